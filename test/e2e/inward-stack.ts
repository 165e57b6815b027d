/**
 * Inward-sync e2e harness: the real sandbox, API and worker processes (`sandbox/main.ts`,
 * `src/server.ts`, `workers/main.ts`) on a fresh database and queue prefix, with several crafters in
 * different kelurahan, each with their own Shopee and Tokopedia (TikTok Shop) shops connected through
 * the real authorization flow, and the sandbox's push/webhook callbacks pointing at our webhook routes.
 *
 * The process spawning is copied from `outward-stack.ts` (unexported there, and that file belongs to
 * the outward proofs); it satisfies `OutwardStack` so `scanForSecrets` reads it as it is.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { createDatabase } from '../../src/db/client.js';
import { freePort } from '../../src/dev/ports.js';
import { generateKeySpec } from '../../src/lib/secrets.js';
import { QUEUE } from '../../src/queues/definitions.js';
import { queuePulls } from '../../src/queues/pulls.js';
import { makeCrafter, makeUser } from '../factories/index.js';
import { makeProduct, uniqueSku } from '../factories/products.js';
import { createTestDatabase } from '../helpers/db-template.js';
import type { Connection, OutwardStack } from './outward-stack.js';
import { until } from './outward-stack.js';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const START_TIMEOUT_MS = 90_000;
const redisUrl = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

interface Proc {
  name: string;
  child: ChildProcess;
  exited: Promise<void>;
}

export interface Client {
  token: string;
  call(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<Response>;
  json<T>(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<T>;
}

export interface InwardCrafter {
  id: string;
  kelurahanCode: string;
  client: Client;
  shopee: Connection;
  tiktok: Connection;
}

export interface InwardStack
  extends Omit<OutwardStack, 'connectShopee' | 'startWorker' | 'sandboxRequest' | 'shopeePartner'> {
  /** Starts one more worker process once it is ready. */
  startWorker(): Promise<void>;
  appEnv: NodeJS.ProcessEnv;
  crafters: InwardCrafter[];
  /** A city-level admin (scope: the whole city). */
  city: Client;
  pullQueue: Queue;
  resumePulls(): Promise<void>;
  /** Logs in a new user of that role and binding. */
  login(
    role: 'admin' | 'crafter' | 'operator',
    binding?: { crafterId?: string; regionCode?: string },
  ): Promise<Client>;
  /** Connects a new Shopee / Tokopedia shop for the crafter through the real authorization flow. */
  connectShopee(client: Client, crafterId: string): Promise<Connection>;
  connectTiktok(client: Client, crafterId: string): Promise<Connection>;
  /**
   * Queues an incremental pull of each connection (the ops trigger: the same deduplicated job the
   * schedule and webhooks queue) and waits for a pull run of each that started after the call and
   * finished (any status), or with `orFailedAttempt` one still open whose attempt failed (a retryable
   * failure keeps its run open, error noted, until the job's last attempt). Returns those runs.
   */
  pull(
    connectionIds: string[],
    timeoutMs?: number,
    options?: { orFailedAttempt?: boolean },
  ): Promise<PullRun[]>;
  /** Pull runs of a connection, newest first. */
  pullRuns(connectionId?: string): Promise<PullRun[]>;
  /** Runs `npm run nightly -- <job> --day <day>` against the run (its own process), returns its summary. */
  nightly(job: string, day: string): Promise<unknown>;
  /** A product of the crafter with these variants, published live to the given connections. */
  liveProduct(
    crafter: { id: string; client: Client; shopee?: Connection; tiktok?: Connection },
    connectionIds: string[],
    variants: Array<{ priceIdr: number; stock: number; warna: string }>,
  ): Promise<{ id: string; title: string; variants: Array<{ id: string; sku: string }> }>;
  /** Every webhook the sandbox sent (all platforms), as recorded by the sandbox. */
  sandboxWebhooks(): Promise<WebhookDelivery[]>;
}

export interface WebhookDelivery {
  id: string;
  platform: string;
  url: string;
  headers: Record<string, string>;
  body: string;
  state: 'pending' | 'delivered' | 'dropped';
  attempts: Array<{ at: number; status: number | null }>;
}

export interface PullRun {
  id: string;
  connection_id: string;
  reason: string;
  status: 'running' | 'succeeded' | 'failed';
  fetched: number;
  inserted: number;
  updated: number;
  error: string | null;
  started_at: Date;
  finished_at: Date | null;
}

function makeClient(api: string, token: string, responses: string[]): Client {
  const call = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
    const res = await fetch(`${api}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...headers,
      },
      ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
    });
    const text = await res.text();
    responses.push(text);
    return new Response(text, { status: res.status, headers: res.headers });
  };
  const json = async <T>(method: string, path: string, body?: unknown, headers?: Record<string, string>) => {
    const res = await call(method, path, body, headers);
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${path} answered ${res.status}: ${text}`);
    return JSON.parse(text) as T;
  };
  return { token, call, json };
}

export async function startInwardStack(
  label: string,
  options: {
    kelurahan: string[];
    env?: Record<string, string>;
    /**
     * Keep the pull queue paused (pulls wait, everything else runs) until `resumePulls()`: a set-up
     * that places months of orders after connecting needs our first pull to come after them, as it
     * would for a shop with a history (connecting queues a pull at once).
     */
    pausePulls?: boolean;
  },
): Promise<InwardStack> {
  const procs: Proc[] = [];
  const logs: string[] = [];
  const responses: string[] = [];
  const testDb = await createTestDatabase(label);
  const database = createDatabase(testDb.url, { max: 4 });
  const prefix = `h13_${label}_${randomBytes(3).toString('hex')}`;
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: null, lazyConnect: false });
  const pullQueue = new Queue(QUEUE.pullOrders, { connection: redis, prefix });

  const spawnProc = (name: string, script: string, env: NodeJS.ProcessEnv, ready: RegExp) => {
    const child = spawn(process.execPath, ['--import', 'tsx', script], {
      cwd: repoRoot,
      env: { PATH: process.env.PATH ?? '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    procs.push({ name, child, exited });
    return new Promise<RegExpExecArray>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`${name} not ready within ${START_TIMEOUT_MS} ms:\n${logs.join('\n')}`)),
        START_TIMEOUT_MS,
      );
      let buffered = '';
      const onData = (chunk: Buffer) => {
        buffered += chunk.toString('utf8');
        const lines = buffered.split('\n');
        buffered = lines.pop() ?? '';
        for (const line of lines) {
          logs.push(`[${name}] ${line}`);
          const match = ready.exec(line);
          if (match) {
            clearTimeout(timer);
            resolve(match);
          }
        }
      };
      child.stdout?.on('data', onData);
      child.stderr?.on('data', onData);
      void exited.then(() => {
        clearTimeout(timer);
        reject(new Error(`${name} exited before it was ready:\n${logs.slice(-40).join('\n')}`));
      });
    });
  };

  const close = async () => {
    for (const p of procs) {
      if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
    }
    await Promise.all(procs.map((p) => p.exited));
    await pullQueue.close().catch(() => {});
    const keys = await redis.keys(`${prefix}:*`).catch(() => [] as string[]);
    for (let i = 0; i < keys.length; i += 500) await redis.del(...keys.slice(i, i + 500));
    redis.disconnect();
    await database.close();
    await testDb.drop();
  };

  try {
    const [, sandboxReady = '{}'] = await spawnProc(
      'sandbox',
      'sandbox/main.ts',
      { SANDBOX_HOST: '127.0.0.1', SANDBOX_PORT: '0' },
      /^SANDBOX_READY (\{.*\})\s*$/,
    );
    const control = (JSON.parse(sandboxReady) as { control: string }).control;
    const sandboxRoot = new URL(control).origin;
    const sandboxPost = async <T>(path: string, body: unknown): Promise<T> => {
      const res = await fetch(`${control}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      const text = await res.text();
      if (!res.ok) throw new Error(`sandbox ${path} answered ${res.status}: ${text}`);
      return JSON.parse(text) as T;
    };
    const sandboxGet = async <T>(path: string): Promise<T> => {
      const res = await fetch(`${control}${path}`);
      const text = await res.text();
      if (!res.ok) throw new Error(`sandbox ${path} answered ${res.status}: ${text}`);
      return JSON.parse(text) as T;
    };

    const apiPort = await freePort();
    const api = `http://127.0.0.1:${apiPort}`;
    const shopeePartner = {
      partnerId: 3_000_000 + randomBytes(2).readUInt16BE(0),
      partnerKey: randomBytes(24).toString('hex'),
    };
    const tiktokApp = {
      appKey: `h13${randomBytes(5).toString('hex')}`,
      appSecret: randomBytes(24).toString('hex'),
    };
    // The platforms call our webhook routes: Shopee signs the callback URL as registered.
    await sandboxPost('/shopee/apps', {
      ...shopeePartner,
      name: 'kriya-sync inward e2e',
      pushCallbackUrl: `${api}/v1/webhooks/shopee`,
    });
    await sandboxPost('/tiktok-shop/apps', {
      app_key: tiktokApp.appKey,
      app_secret: tiktokApp.appSecret,
      name: 'kriya-sync inward e2e',
      webhook_url: `${api}/v1/webhooks/tiktok-shop`,
    });
    // Review passes at once; rate limits out of the way of 5,000 orders' detail calls.
    await sandboxPost('/tiktok-shop/configure', { audit_delay_seconds: 0, rate_limit_per_second: 1_000 });
    await sandboxPost('/shopee/configure', { rateLimitPerSecond: 1_000, reviewDelayMs: 0 });
    await sandboxPost('/partner-brand/configure', { rate_limit_per_second: 1_000 });

    const credentialsKey = generateKeySpec('e2e');
    const authSecret = randomBytes(32).toString('hex');
    const appEnv: NodeJS.ProcessEnv = {
      APP_MODE: 'test',
      HOST: '127.0.0.1',
      PORT: String(apiPort),
      LOG_LEVEL: 'info',
      DATABASE_URL: testDb.url,
      DATABASE_POOL_MAX: '5',
      REDIS_URL: redisUrl,
      QUEUE_PREFIX: prefix,
      AUTH_TOKEN_SECRET: authSecret,
      CREDENTIALS_KEYS: credentialsKey,
      CREDENTIALS_ACTIVE_KEY_ID: 'e2e',
      PUBLIC_BASE_URL: api,
      SANDBOX_URL: sandboxRoot,
      SHOPEE_PARTNER_ID: String(shopeePartner.partnerId),
      SHOPEE_PARTNER_KEY: shopeePartner.partnerKey,
      TIKTOK_SHOP_APP_KEY: tiktokApp.appKey,
      TIKTOK_SHOP_APP_SECRET: tiktokApp.appSecret,
      SHOPEE_CALLS_PER_SECOND: '500',
      TIKTOK_SHOP_CALLS_PER_SECOND: '500',
      CHANNEL_HTTP_TIMEOUT_MS: '5000',
      LIST_CACHE_MAX_MB: '0',
      // The sandbox's orders go back 60 days from "now": the first pull reaches past them.
      PULL_INITIAL_LOOKBACK_DAYS: '62',
      ...options.env,
    };
    if (options.pausePulls) await pullQueue.pause();
    await spawnProc('api', 'src/server.ts', appEnv, /Server listening at/);
    let workers = 0;
    const startWorker = async () => {
      workers += 1;
      await spawnProc(`worker${workers}`, 'workers/main.ts', appEnv, /worker started/);
    };
    await startWorker();

    const login = async (
      role: 'admin' | 'crafter' | 'operator',
      binding: { crafterId?: string; regionCode?: string } = {},
    ): Promise<Client> => {
      const user = await makeUser(database.db, role, binding);
      const res = await fetch(`${api}/v1/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: user.username, password: user.password }),
      });
      const text = await res.text();
      responses.push(text);
      if (!res.ok) throw new Error(`login answered ${res.status}: ${text}`);
      return makeClient(api, (JSON.parse(text) as { token: string }).token, responses);
    };

    const connectShopee = async (client: Client, crafterId: string): Promise<Connection> => {
      const link = await client.json<{ authorizationUrl: string }>(
        'POST',
        `/v1/crafters/${crafterId}/connections/shopee/authorize`,
      );
      const approval = await fetch(link.authorizationUrl, { redirect: 'manual' });
      await approval.body?.cancel();
      const location = approval.headers.get('location');
      if (!location) throw new Error(`Shopee authorization answered ${approval.status} without a redirect`);
      const res = await fetch(location);
      const text = await res.text();
      responses.push(text);
      if (!res.ok) throw new Error(`Shopee callback answered ${res.status}: ${text}`);
      return JSON.parse(text) as Connection;
    };
    const connectTiktok = async (client: Client, crafterId: string): Promise<Connection> => {
      const shop = await sandboxPost<{ shop_id: string }>('/tiktok-shop/shops', {
        name: `Toko ${randomBytes(2).toString('hex')}`,
        tokopedia: true,
      });
      const link = await client.json<{ authorizationUrl: string }>(
        'POST',
        `/v1/crafters/${crafterId}/connections/tiktok-shop/authorize`,
      );
      const state = new URL(link.authorizationUrl).searchParams.get('state') ?? '';
      const { auth_code } = await sandboxPost<{ auth_code: string }>('/tiktok-shop/authorize', {
        app_key: tiktokApp.appKey,
        shop_id: shop.shop_id,
      });
      const res = await fetch(
        `${api}/v1/connections/callback/tiktok-shop?code=${encodeURIComponent(auth_code)}&state=${encodeURIComponent(state)}`,
      );
      const text = await res.text();
      responses.push(text);
      if (!res.ok) throw new Error(`TikTok callback answered ${res.status}: ${text}`);
      return JSON.parse(text) as Connection;
    };

    const crafters: InwardCrafter[] = [];
    for (const kelurahanCode of options.kelurahan) {
      const crafter = await makeCrafter(database.db, { kelurahanCode });
      const client = await login('crafter', { crafterId: crafter.id });
      crafters.push({
        id: crafter.id,
        kelurahanCode,
        client,
        shopee: await connectShopee(client, crafter.id),
        tiktok: await connectTiktok(client, crafter.id),
      });
    }
    const city = await login('admin', { regionCode: '36.74' });

    const sql = database.sql;
    const pullRuns = async (connectionId?: string) =>
      (connectionId
        ? await sql<
            PullRun[]
          >`select * from channel_pull_runs where connection_id = ${connectionId} order by started_at desc`
        : await sql<PullRun[]>`select * from channel_pull_runs order by started_at desc`) as PullRun[];

    const pull = async (
      connectionIds: string[],
      timeoutMs = 120_000,
      opts: { orFailedAttempt?: boolean } = {},
    ) => {
      const orFailed = opts.orFailedAttempt === true;
      const since = new Date(Date.now() - 5);
      await queuePulls(pullQueue, connectionIds, 'manual');
      return until(
        `a finished pull of ${connectionIds.length} connection(s)`,
        async () => {
          const runs = await sql<PullRun[]>`
            select distinct on (connection_id) * from channel_pull_runs
             where connection_id = any(${connectionIds}::uuid[]) and started_at >= ${since.toISOString()}::timestamptz
               and (finished_at is not null or (${orFailed} and error is not null))
             order by connection_id, started_at desc`;
          return runs.length === connectionIds.length && (runs as PullRun[]);
        },
        timeoutMs,
        200,
      );
    };

    const nightly = async (job: string, day: string) => {
      const { stdout } = await promisify(execFile)(
        process.execPath,
        ['--import', 'tsx', 'src/cli/nightly.ts', job, '--day', day],
        { cwd: repoRoot, env: { PATH: process.env.PATH ?? '', ...appEnv }, maxBuffer: 64 * 1024 * 1024 },
      );
      logs.push(...stdout.split('\n').map((l) => `[nightly] ${l}`));
      const last = stdout.trim().split('\n').pop() ?? 'null';
      return JSON.parse(last) as unknown;
    };

    const liveProduct: InwardStack['liveProduct'] = async (crafter, connectionIds, variants) => {
      const product = await makeProduct(database.db, crafter.id, {
        title: `Tas Anyaman Pandan ${randomBytes(2).toString('hex')} Handmade`,
        description: 'Tas anyaman pandan buatan tangan perajin Tangerang Selatan, kuat dan ringan.',
        category: 'kerajinan/anyaman',
        imageUrls: [`${control}/demo-images/tas-e2e.png`],
        variants: variants.map((v) => ({
          sku: uniqueSku('IN'),
          options: { warna: v.warna },
          priceIdr: v.priceIdr,
          stock: v.stock,
          weightGrams: 400,
        })),
      });
      await crafter.client.json('POST', `/v1/products/${product.id}/listings`, { connectionIds });
      await until(
        'listings live',
        async () => {
          const { items } = await crafter.client.json<{ items: Array<{ state: string }> }>(
            'GET',
            `/v1/products/${product.id}/listings`,
          );
          return items.length === connectionIds.length && items.every((l) => l.state === 'live');
        },
        60_000,
        250,
      );
      // Live on the platforms too (TikTok's audit settles on the sandbox clock, nudged here).
      const skus = product.variants.map((v) => v.sku);
      await until(
        'the products sellable in the sandbox shops',
        async () => {
          await sandboxPost('/clock', { advanceMs: 1 });
          for (const id of connectionIds) {
            if (id === crafter.shopee?.id) {
              const { items } = await sandboxGet<{
                items: Array<{ status?: string; item_status?: string; models: Array<{ modelSku: string }> }>;
              }>(`/shopee/shops/${crafter.shopee.externalShopId}/state`);
              const item = items.find((i) => i.models.some((m) => skus.includes(m.modelSku)));
              if ((item?.status ?? item?.item_status) !== 'NORMAL') return false;
            } else if (id === crafter.tiktok?.id) {
              const { products } = await sandboxGet<{
                products: Array<{ status: string; skus: Array<{ seller_sku: string }> }>;
              }>(`/tiktok-shop/shops/${crafter.tiktok.externalShopId}/state`);
              const p = products.find((x) => x.skus.some((s) => skus.includes(s.seller_sku)));
              if (p?.status !== 'ACTIVATE') return false;
            }
          }
          return true;
        },
        30_000,
        200,
      );
      return {
        id: product.id,
        title: product.title,
        variants: product.variants.map((v) => ({ id: v.id, sku: v.sku })),
      };
    };

    const first = crafters[0];
    if (!first) throw new Error('at least one crafter');
    return {
      databaseUrl: testDb.url,
      database,
      prefix,
      redis,
      api,
      control,
      token: first.client.token,
      crafterId: first.id,
      shopee: first.shopee,
      tiktok: first.tiktok,
      logs,
      responses,
      configuredSecrets: [
        shopeePartner.partnerKey,
        tiktokApp.appSecret,
        credentialsKey.split(':')[1] ?? credentialsKey,
        authSecret,
      ],
      credentialsKeys: { spec: credentialsKey, activeKeyId: 'e2e' },
      call: first.client.call,
      json: first.client.json,
      sandboxGet,
      sandboxPost,
      startWorker,
      async killWorkers() {
        const running = procs.filter(
          (p) => p.name.startsWith('worker') && p.child.exitCode === null && p.child.signalCode === null,
        );
        for (const p of running) p.child.kill('SIGKILL');
        await Promise.all(running.map((p) => p.exited));
      },
      close,
      appEnv,
      crafters,
      city,
      pullQueue,
      resumePulls: () => pullQueue.resume(),
      login,
      connectShopee,
      connectTiktok,
      pull,
      pullRuns,
      nightly,
      liveProduct,
      async sandboxWebhooks() {
        return (await sandboxGet<{ deliveries: WebhookDelivery[] }>('/webhooks')).deliveries;
      },
    };
  } catch (err) {
    await close().catch(() => {});
    throw err;
  }
}

/** Re-sends a delivery the sandbox made, byte for byte with its headers, to our webhook route. */
export async function replayWebhook(delivery: WebhookDelivery): Promise<number> {
  const headers = Object.fromEntries(
    Object.entries(delivery.headers).filter(([k]) => !['content-length', 'host'].includes(k.toLowerCase())),
  );
  const res = await fetch(delivery.url, { method: 'POST', headers, body: delivery.body });
  await res.text();
  return res.status;
}

/** Jakarta day (YYYY-MM-DD) of an instant. */
export function jakartaDay(ms: number): string {
  return new Date(ms + 7 * 3_600_000).toISOString().slice(0, 10);
}
