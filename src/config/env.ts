/**
 * Configuration: one zod schema for every environment variable. This module is the only reader of
 * `process.env`; everything else receives a typed `AppConfig`.
 */
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { generateKeySpec, type Keyring, parseKeyring } from '../lib/secrets.js';

/** Orders per ingest transaction of a pull (PULL_INGEST_BATCH_ORDERS); bench/inward measures this size. */
export const DEFAULT_PULL_INGEST_BATCH_ORDERS = 500;

const booleanFlag = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

const postgresUrl = z
  .string()
  .url()
  .refine((v) => /^postgres(ql)?:\/\//.test(v), 'must be a postgres:// or postgresql:// URL');
const redisUrl = z
  .string()
  .url()
  .refine((v) => /^rediss?:\/\//.test(v), 'must be a redis:// or rediss:// URL');

const httpUrl = z
  .string()
  .url()
  .refine((v) => /^https?:\/\//.test(v), 'must be an http:// or https:// URL')
  .transform((v) => v.replace(/\/+$/, ''));

const envSchema = z.object({
  /** production: every secret must be set. demo: `npm start`, generated secrets allowed. test: test suites. */
  APP_MODE: z.enum(['production', 'demo', 'test']).default('production'),
  HOST: z.string().min(1).default('127.0.0.1'),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  /**
   * The separate listener that serves Prometheus `GET /metrics` (never the API port). Keep it on a
   * loopback or internal address. 0 = any free port (the chosen one is logged); that is the default
   * outside production, so several demo/test API processes on one host do not fight over 9464.
   */
  METRICS_HOST: z.string().min(1).default('127.0.0.1'),
  METRICS_PORT: z.coerce.number().int().min(0).max(65535).optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  DATABASE_URL: postgresUrl.optional(),
  DATABASE_POOL_MAX: z.coerce.number().int().min(1).max(100).default(10),
  /**
   * Push jobs one worker process runs at once, per channel queue. Pushes mostly wait on the platform
   * and Postgres, so more than the pool size helps; each shop's rate is held in Redis whatever this is.
   */
  PUSH_CONCURRENCY: z.coerce.number().int().min(1).max(200).default(25),
  /**
   * Whether the worker's outbox relay LISTENs for commits (relay at once) or only polls every 500 ms.
   * Off behind a pooler that cannot hold a LISTEN session (PgBouncer in transaction mode).
   */
  OUTBOX_LISTEN: z
    .enum(['true', 'false'])
    .default('true')
    .transform((v) => v === 'true'),
  REDIS_URL: redisUrl.optional(),
  /** Prefix of every BullMQ key, so several deployments (or test runs) can share one Redis. */
  QUEUE_PREFIX: z
    .string()
    .regex(/^[a-z0-9_-]{1,40}$/i, 'letters, digits, _ and - only (1-40)')
    .default('kriya'),
  /** HMAC secret for bearer tokens; at least 32 characters. Required outside demo/test mode. */
  AUTH_TOKEN_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
  AUTH_TOKEN_TTL_SECONDS: z.coerce.number().int().min(60).max(86_400).default(900),
  /**
   * How long an API process trusts what it read about a token's user (enabled, token version)
   * before reading it again: the longest a user disabled or changed by another process or by SQL
   * keeps access here. Changes made through this process apply at once. 0 = read on every request.
   */
  AUTH_USER_CACHE_SECONDS: z.coerce.number().int().min(0).max(60).default(5),
  /** Login attempts allowed per username+IP per window. */
  LOGIN_RATE_LIMIT_MAX: z.coerce.number().int().min(1).max(1000).default(10),
  /** Login attempts allowed per username per window from all addresses together. */
  LOGIN_RATE_LIMIT_PER_USER_MAX: z.coerce.number().int().min(1).max(10_000).default(20),
  LOGIN_RATE_LIMIT_WINDOW_SECONDS: z.coerce.number().int().min(1).max(86_400).default(60),
  /** Largest JSON body accepted (bytes). */
  BODY_LIMIT_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .max(50 * 1024 * 1024)
    .default(1024 * 1024),
  /** Largest CSV import accepted (bytes). */
  CSV_IMPORT_LIMIT_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .max(100 * 1024 * 1024)
    .default(5 * 1024 * 1024),
  /** How long an Idempotency-Key is remembered. */
  IDEMPOTENCY_TTL_HOURS: z.coerce
    .number()
    .int()
    .min(1)
    .max(24 * 30)
    .default(24),
  /**
   * Which X-Forwarded-For hops to believe for the client address (rate limits, logs). `false`: none.
   * A number: that many proxies in front (1 behind one reverse proxy). A comma-separated list of
   * proxy addresses/CIDRs. `true` believes every hop, so any client can claim any address: use it
   * only when the proxy overwrites the header.
   */
  TRUST_PROXY: z
    .union([
      // Numbers first: `1` means one proxy, not "believe every hop" as a boolean `1` would.
      z
        .string()
        .regex(/^\d{1,2}$/)
        .transform(Number),
      booleanFlag,
      z
        .string()
        .regex(/^[0-9a-f:./]+(\s*,\s*[0-9a-f:./]+)*$/i, 'true, false, a hop count, or proxy addresses/CIDRs')
        .transform((v) => v.split(',').map((a) => a.trim())),
    ])
    .default(false),
  /** Memory for cached catalogue list pages per API process (MiB); 0 turns the cache off. */
  LIST_CACHE_MAX_MB: z.coerce.number().int().min(0).max(4096).default(32),
  /** Base URL of the marketplace sandbox, shown by the demo stack. */
  SANDBOX_URL: z.string().url().optional(),
  /**
   * Tests only (APP_MODE=test): the API kills itself (SIGKILL) right after committing a write made
   * with an Idempotency-Key, before answering, to prove a retry is answered from the stored outcome.
   */
  TEST_CRASH_AFTER_IDEMPOTENT_COMMIT: booleanFlag.default(false),
  /**
   * Keys that encrypt channel credentials at rest: `id:base64(32 bytes),id2:...`. Several keys during a
   * rotation; `CREDENTIALS_ACTIVE_KEY_ID` names the one new secrets are sealed with. Required in production.
   */
  CREDENTIALS_KEYS: z.string().min(1).optional(),
  CREDENTIALS_ACTIVE_KEY_ID: z.string().min(1).optional(),
  /** Public origin of the API, used to build the OAuth callback URLs marketplaces redirect to. */
  PUBLIC_BASE_URL: httpUrl.optional(),
  /** Shopee Open Platform v2 host and partner credentials. Required in production; sandbox in demo/test. */
  SHOPEE_BASE_URL: httpUrl.optional(),
  SHOPEE_PARTNER_ID: z.coerce.number().int().positive().optional(),
  SHOPEE_PARTNER_KEY: z.string().min(8).optional(),
  /** Calls per second per Shopee shop the adapter holds itself to; unset = the adapter's default (10). */
  SHOPEE_CALLS_PER_SECOND: z.coerce.number().int().min(1).max(10_000).optional(),
  /** TikTok Shop: API host, authorization-service host (token exchange), seller authorization page. */
  TIKTOK_SHOP_API_BASE_URL: httpUrl.optional(),
  TIKTOK_SHOP_AUTH_BASE_URL: httpUrl.optional(),
  TIKTOK_SHOP_AUTHORIZE_URL: httpUrl.optional(),
  TIKTOK_SHOP_APP_KEY: z.string().min(1).optional(),
  TIKTOK_SHOP_APP_SECRET: z.string().min(8).optional(),
  /** Calls per second per TikTok Shop shop the adapter holds itself to; unset = the adapter's default (20). */
  TIKTOK_SHOP_CALLS_PER_SECOND: z.coerce.number().int().min(1).max(10_000).optional(),
  /** Optional `service_id` added to the TikTok Shop authorization link (the partner centre's service). */
  TIKTOK_SHOP_SERVICE_ID: z.string().min(1).optional(),
  /** Partner-brand programme API host (each programme's key and secret are stored per connection). */
  PARTNER_BRAND_BASE_URL: httpUrl.optional(),
  /** Bound on every call to a marketplace, milliseconds. */
  CHANNEL_HTTP_TIMEOUT_MS: z.coerce.number().int().min(500).max(120_000).default(10_000),
  /** Access tokens expiring within this many minutes are refreshed by the scheduled job. */
  TOKEN_REFRESH_LEAD_MINUTES: z.coerce
    .number()
    .int()
    .min(5)
    .max(7 * 24 * 60)
    .default(60),
  /**
   * Public origin the marketplaces call webhooks on (`{origin}/v1/webhooks/shopee`): Shopee signs the
   * full URL it called, so this must be the URL registered in its console. Defaults to PUBLIC_BASE_URL.
   */
  WEBHOOK_PUBLIC_BASE_URL: httpUrl.optional(),
  /** Every active connection's orders are pulled this often (and on each webhook). */
  PULL_INTERVAL_MINUTES: z.coerce.number().int().min(1).max(60).default(5),
  /** Each incremental pull re-reads this far behind its watermark (late platform updates, clock skew). */
  PULL_OVERLAP_MINUTES: z.coerce
    .number()
    .int()
    .min(0)
    .max(24 * 60)
    .default(10),
  /** A connection's first pull reaches back this many days. */
  PULL_INITIAL_LOOKBACK_DAYS: z.coerce.number().int().min(1).max(365).default(60),
  /** Consecutive failed pulls of a connection that raise a `pull_failing` alert. */
  PULL_FAILURE_ALERT_AFTER: z.coerce.number().int().min(1).max(100).default(3),
  /**
   * A pull stores the platform's pages (100 orders each) in transactions of at least this many orders
   * (the last one smaller): one transaction per page spent most of its time on per-statement costs
   * (bench/inward). A crash re-reads at most this many orders; 1 stores every page on its own.
   */
  PULL_INGEST_BATCH_ORDERS: z.coerce
    .number()
    .int()
    .min(1)
    .max(5000)
    .default(DEFAULT_PULL_INGEST_BATCH_ORDERS),
  /**
   * Optional outbound alert webhook: every alert opened or resolved is POSTed there as JSON, signed
   * with HMAC-SHA256 under ALERT_WEBHOOK_SECRET (README "Alerts"). Unset: alerts are only in the API.
   */
  ALERT_WEBHOOK_URL: httpUrl.optional(),
  ALERT_WEBHOOK_SECRET: z.string().min(16, 'must be at least 16 characters').optional(),
  /** Bound on one delivery, milliseconds. */
  ALERT_WEBHOOK_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(5_000),
  /** First retry delay of a failed delivery; doubles per attempt up to an hour. */
  ALERT_WEBHOOK_RETRY_BASE_MS: z.coerce.number().int().min(10).max(3_600_000).default(10_000),
});

export type AppMode = 'production' | 'demo' | 'test';

export interface AppConfig {
  mode: AppMode;
  host: string;
  port: number;
  metricsHost: string;
  metricsPort: number;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  databaseUrl: string;
  databasePoolMax: number;
  pushConcurrency: number;
  outboxListen: boolean;
  redisUrl: string;
  queuePrefix: string;
  authTokenSecret: string;
  authTokenTtlSeconds: number;
  authUserCacheSeconds: number;
  loginRateLimitMax: number;
  loginRateLimitPerUserMax: number;
  loginRateLimitWindowSeconds: number;
  bodyLimitBytes: number;
  csvImportLimitBytes: number;
  idempotencyTtlHours: number;
  /** Fastify's `trustProxy`: false, true, a hop count or proxy addresses. */
  trustProxy: boolean | number | string[];
  listCacheMaxMb: number;
  sandboxUrl: string | undefined;
  testCrashAfterIdempotentCommit: boolean;
  credentialsKeyring: Keyring;
  /** Origin the OAuth callbacks are built on (`{publicBaseUrl}/v1/connections/callback/...`). */
  publicBaseUrl: string;
  channels: ChannelsConfig;
  tokenRefreshLeadMinutes: number;
  /** Origin the webhook URLs are built on, exactly as registered with the platforms. */
  webhookBaseUrl: string;
  pulls: PullsConfig;
  /** Where alerts are POSTed, signed; undefined when not configured. */
  alertWebhook: AlertWebhookConfig | undefined;
}

/** How the inward sync pulls orders (see src/services/order-pull.ts). */
export interface PullsConfig {
  intervalMinutes: number;
  overlapMinutes: number;
  initialLookbackDays: number;
  failureAlertAfter: number;
  /** Orders stored per transaction: platform pages are gathered until they reach this many. */
  ingestBatchOrders: number;
}

export interface AlertWebhookConfig {
  url: string;
  secret: string;
  timeoutMs: number;
  retryBaseMs: number;
}

export interface ShopeeChannelConfig {
  baseUrl: string;
  partnerId: number;
  partnerKey: string;
  /** Per-shop call budget; undefined = the adapter's declared default. */
  callsPerSecond: number | undefined;
}

export interface TiktokShopChannelConfig {
  apiBaseUrl: string;
  authBaseUrl: string;
  authorizeUrl: string;
  appKey: string;
  appSecret: string;
  serviceId: string | undefined;
  /** Per-shop call budget; undefined = the adapter's declared default. */
  callsPerSecond: number | undefined;
}

/**
 * Where each channel lives and the partner credentials of this service. A channel is `undefined` when
 * it is not configured (demo and test only; production refuses to boot without them).
 */
export interface ChannelsConfig {
  httpTimeoutMs: number;
  shopee: ShopeeChannelConfig | undefined;
  tiktokShop: TiktokShopChannelConfig | undefined;
  partnerBrand: { baseUrl: string } | undefined;
}

/** Thrown when the environment is invalid; names every bad variable at once. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

const DEFAULT_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/kriya';
const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';

/** Parses and checks the environment. Throws `ConfigError` listing every problem. */
export function loadConfig(env: Record<string, string | undefined> = process.env): AppConfig {
  // Empty strings mean "unset", as in most .env files.
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = envSchema.safeParse(cleaned);
  const problems = parsed.success
    ? []
    : parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
  // Checked even when other values are malformed, so that one message names every bad variable.
  if ((cleaned.APP_MODE ?? 'production') === 'production') {
    if (!cleaned.DATABASE_URL) problems.push('DATABASE_URL: required in production mode');
    if (!cleaned.REDIS_URL) problems.push('REDIS_URL: required in production mode');
    if (!cleaned.AUTH_TOKEN_SECRET)
      problems.push('AUTH_TOKEN_SECRET: required in production mode (32+ random characters)');
    for (const name of PRODUCTION_ONLY_REQUIRED) {
      if (!cleaned[name]) problems.push(`${name}: required in production mode`);
    }
  }
  let keyring: Keyring | undefined;
  if (cleaned.CREDENTIALS_KEYS || cleaned.CREDENTIALS_ACTIVE_KEY_ID) {
    try {
      keyring = parseKeyring(cleaned.CREDENTIALS_KEYS ?? '', cleaned.CREDENTIALS_ACTIVE_KEY_ID ?? '');
    } catch (err) {
      problems.push(`CREDENTIALS_KEYS: ${(err as Error).message}`);
    }
  }
  if (cleaned.TEST_CRASH_AFTER_IDEMPOTENT_COMMIT !== undefined && cleaned.APP_MODE !== 'test')
    problems.push('TEST_CRASH_AFTER_IDEMPOTENT_COMMIT: only allowed with APP_MODE=test');
  if (Boolean(cleaned.ALERT_WEBHOOK_URL) !== Boolean(cleaned.ALERT_WEBHOOK_SECRET))
    problems.push(
      'ALERT_WEBHOOK_URL / ALERT_WEBHOOK_SECRET: set both or neither (deliveries are always signed)',
    );
  if (!parsed.success || problems.length > 0) throw new ConfigError(problems);
  const e = parsed.data;
  return {
    mode: e.APP_MODE,
    host: e.HOST,
    port: e.PORT,
    metricsHost: e.METRICS_HOST,
    metricsPort: e.METRICS_PORT ?? (e.APP_MODE === 'production' ? 9464 : 0),
    logLevel: e.LOG_LEVEL,
    databaseUrl: e.DATABASE_URL ?? DEFAULT_DATABASE_URL,
    databasePoolMax: e.DATABASE_POOL_MAX,
    pushConcurrency: e.PUSH_CONCURRENCY,
    outboxListen: e.OUTBOX_LISTEN,
    redisUrl: e.REDIS_URL ?? DEFAULT_REDIS_URL,
    queuePrefix: e.QUEUE_PREFIX,
    // Demo and test runs get a random secret per boot: tokens simply stop working after a restart.
    authTokenSecret: e.AUTH_TOKEN_SECRET ?? randomBytes(32).toString('hex'),
    authTokenTtlSeconds: e.AUTH_TOKEN_TTL_SECONDS,
    authUserCacheSeconds: e.AUTH_USER_CACHE_SECONDS,
    loginRateLimitMax: e.LOGIN_RATE_LIMIT_MAX,
    loginRateLimitPerUserMax: e.LOGIN_RATE_LIMIT_PER_USER_MAX,
    loginRateLimitWindowSeconds: e.LOGIN_RATE_LIMIT_WINDOW_SECONDS,
    bodyLimitBytes: e.BODY_LIMIT_BYTES,
    csvImportLimitBytes: e.CSV_IMPORT_LIMIT_BYTES,
    idempotencyTtlHours: e.IDEMPOTENCY_TTL_HOURS,
    trustProxy: e.TRUST_PROXY,
    listCacheMaxMb: e.LIST_CACHE_MAX_MB,
    sandboxUrl: e.SANDBOX_URL,
    testCrashAfterIdempotentCommit: e.TEST_CRASH_AFTER_IDEMPOTENT_COMMIT,
    // Demo and test runs without keys get a random one per boot (demo's `npm start` persists its own).
    credentialsKeyring: keyring ?? parseKeyring(generateKeySpec('generated'), 'generated'),
    publicBaseUrl: e.PUBLIC_BASE_URL ?? `http://${e.HOST}:${e.PORT}`,
    channels: channelsConfig(e),
    tokenRefreshLeadMinutes: e.TOKEN_REFRESH_LEAD_MINUTES,
    webhookBaseUrl: (e.WEBHOOK_PUBLIC_BASE_URL ?? e.PUBLIC_BASE_URL ?? `http://${e.HOST}:${e.PORT}`).replace(
      /\/+$/,
      '',
    ),
    pulls: {
      intervalMinutes: e.PULL_INTERVAL_MINUTES,
      overlapMinutes: e.PULL_OVERLAP_MINUTES,
      initialLookbackDays: e.PULL_INITIAL_LOOKBACK_DAYS,
      failureAlertAfter: e.PULL_FAILURE_ALERT_AFTER,
      ingestBatchOrders: e.PULL_INGEST_BATCH_ORDERS,
    },
    alertWebhook:
      e.ALERT_WEBHOOK_URL && e.ALERT_WEBHOOK_SECRET
        ? {
            url: e.ALERT_WEBHOOK_URL,
            secret: e.ALERT_WEBHOOK_SECRET,
            timeoutMs: e.ALERT_WEBHOOK_TIMEOUT_MS,
            retryBaseMs: e.ALERT_WEBHOOK_RETRY_BASE_MS,
          }
        : undefined,
  };
}

/** Required in production only: demo and test fall back to generated keys and the sandbox. */
const PRODUCTION_ONLY_REQUIRED = [
  'CREDENTIALS_KEYS',
  'CREDENTIALS_ACTIVE_KEY_ID',
  'PUBLIC_BASE_URL',
  'SHOPEE_BASE_URL',
  'SHOPEE_PARTNER_ID',
  'SHOPEE_PARTNER_KEY',
  'TIKTOK_SHOP_API_BASE_URL',
  'TIKTOK_SHOP_AUTH_BASE_URL',
  'TIKTOK_SHOP_AUTHORIZE_URL',
  'TIKTOK_SHOP_APP_KEY',
  'TIKTOK_SHOP_APP_SECRET',
  'PARTNER_BRAND_BASE_URL',
] as const;

/**
 * Hosts come only from configuration; outside production a missing host means the sandbox (its
 * platforms are mounted under `/shopee`, `/tiktok-shop` and `/partner-brand`). Partner credentials
 * have no default anywhere: without them the channel is simply not configured.
 */
function channelsConfig(e: z.infer<typeof envSchema>): ChannelsConfig {
  const sandbox = e.APP_MODE === 'production' ? undefined : e.SANDBOX_URL?.replace(/\/+$/, '');
  const shopeeBase = e.SHOPEE_BASE_URL ?? (sandbox && `${sandbox}/shopee`);
  const ttsApi = e.TIKTOK_SHOP_API_BASE_URL ?? (sandbox && `${sandbox}/tiktok-shop`);
  const ttsAuth = e.TIKTOK_SHOP_AUTH_BASE_URL ?? (sandbox && `${sandbox}/tiktok-shop`);
  // The sandbox has no seller-facing consent page (codes come from its control API); the link is shown only.
  const ttsAuthorize = e.TIKTOK_SHOP_AUTHORIZE_URL ?? (sandbox && `${sandbox}/tiktok-shop/oauth/authorize`);
  const partnerBase = e.PARTNER_BRAND_BASE_URL ?? (sandbox && `${sandbox}/partner-brand`);
  return {
    httpTimeoutMs: e.CHANNEL_HTTP_TIMEOUT_MS,
    shopee:
      shopeeBase && e.SHOPEE_PARTNER_ID !== undefined && e.SHOPEE_PARTNER_KEY
        ? {
            baseUrl: shopeeBase,
            partnerId: e.SHOPEE_PARTNER_ID,
            partnerKey: e.SHOPEE_PARTNER_KEY,
            callsPerSecond: e.SHOPEE_CALLS_PER_SECOND,
          }
        : undefined,
    tiktokShop:
      ttsApi && ttsAuth && ttsAuthorize && e.TIKTOK_SHOP_APP_KEY && e.TIKTOK_SHOP_APP_SECRET
        ? {
            apiBaseUrl: ttsApi,
            authBaseUrl: ttsAuth,
            authorizeUrl: ttsAuthorize,
            appKey: e.TIKTOK_SHOP_APP_KEY,
            appSecret: e.TIKTOK_SHOP_APP_SECRET,
            serviceId: e.TIKTOK_SHOP_SERVICE_ID,
            callsPerSecond: e.TIKTOK_SHOP_CALLS_PER_SECOND,
          }
        : undefined,
    partnerBrand: partnerBase ? { baseUrl: partnerBase } : undefined,
  };
}

/** For entry points: load the config or print every problem and exit non-zero. */
export function loadConfigOrExit(env: Record<string, string | undefined> = process.env): AppConfig {
  try {
    return loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\nSee .env.example for every variable.\n`);
      process.exit(78); // EX_CONFIG
    }
    throw err;
  }
}
