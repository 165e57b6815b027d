/**
 * Building blocks the e2e harnesses (`outward-stack.ts`, `inward-stack.ts`) share: spawning the real
 * processes with their lines kept, the sandbox's control API, the platform apps and the environment
 * the API and workers run with, logins, and the Shopee / Tokopedia (TikTok Shop) connect flows.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import type { Redis } from 'ioredis';
import type { DatabaseHandle } from '../../src/db/client.js';
import { generateKeySpec } from '../../src/lib/secrets.js';
import { makeUser } from '../factories/index.js';

export const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
export const defaultRedisUrl = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

export interface Connection {
  id: string;
  externalShopId: string;
}

/** Polls `check` until it returns a value other than undefined/false, within `timeoutMs`. */
export async function until<T>(
  what: string,
  check: () => Promise<T | undefined | false>,
  timeoutMs = 30_000,
  everyMs = 100,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined && value !== false) return value as T;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

interface Proc {
  name: string;
  child: ChildProcess;
  exited: Promise<void>;
}

export interface ProcessGroup {
  /**
   * Starts `node --import tsx <script>` from the repository root with only PATH and `env`, keeps
   * every line it prints in `logs` (as `[name] line`), and resolves with the first line matching
   * `ready` (and the pid) — or rejects if it exits first or is not ready in time.
   */
  spawn(
    name: string,
    script: string,
    env: NodeJS.ProcessEnv,
    ready: RegExp,
  ): Promise<RegExpExecArray & { pid: number }>;
  /** SIGKILL the running processes whose name starts with `prefix` (all when omitted); waits for them. */
  kill(prefix?: string): Promise<void>;
}

export function processGroup(logs: string[], startTimeoutMs: number): ProcessGroup {
  const procs: Proc[] = [];
  return {
    spawn(name, script, env, ready) {
      const child = spawn(process.execPath, ['--import', 'tsx', script], {
        cwd: repoRoot,
        env: { PATH: process.env.PATH ?? '', ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      procs.push({ name, child, exited });
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`${name} not ready within ${startTimeoutMs} ms:\n${logs.join('\n')}`)),
          startTimeoutMs,
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
              resolve(Object.assign(match, { pid: child.pid ?? 0 }));
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
    },
    async kill(prefix = '') {
      const running = procs.filter(
        (p) => p.name.startsWith(prefix) && p.child.exitCode === null && p.child.signalCode === null,
      );
      for (const p of running) p.child.kill('SIGKILL');
      await Promise.all(procs.filter((p) => p.name.startsWith(prefix)).map((p) => p.exited));
    },
  };
}

/** Starts the sandbox process; resolves with its control URL and root (the platforms' base). */
export async function spawnSandbox(group: ProcessGroup): Promise<{ control: string; sandboxRoot: string }> {
  const [, sandboxReady = '{}'] = await group.spawn(
    'sandbox',
    'sandbox/main.ts',
    { SANDBOX_HOST: '127.0.0.1', SANDBOX_PORT: '0' },
    /^SANDBOX_READY (\{.*\})\s*$/,
  );
  const control = (JSON.parse(sandboxReady) as { control: string }).control;
  return { control, sandboxRoot: new URL(control).origin };
}

export interface SandboxControl {
  sandboxGet<T>(path: string): Promise<T>;
  sandboxPost<T>(path: string, body: unknown): Promise<T>;
  /** Any control-API call (PUT /faults, DELETE /faults, …); throws on a non-2xx answer. */
  sandboxRequest<T>(method: string, path: string, body?: unknown): Promise<T>;
}

/** The sandbox's control API at `control`; every call throws on a non-2xx answer. */
export function sandboxControl(control: string): SandboxControl {
  return {
    async sandboxPost<T>(path: string, body: unknown): Promise<T> {
      const res = await fetch(`${control}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      const text = await res.text();
      if (!res.ok) throw new Error(`sandbox ${path} answered ${res.status}: ${text}`);
      return JSON.parse(text) as T;
    },
    async sandboxGet<T>(path: string): Promise<T> {
      const res = await fetch(`${control}${path}`);
      const text = await res.text();
      if (!res.ok) throw new Error(`sandbox ${path} answered ${res.status}: ${text}`);
      return JSON.parse(text) as T;
    },
    async sandboxRequest<T>(method: string, path: string, body?: unknown): Promise<T> {
      const res = await fetch(`${control}${path}`, {
        method,
        ...(body === undefined
          ? {}
          : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
      });
      const text = await res.text();
      if (!res.ok) throw new Error(`sandbox ${method} ${path} answered ${res.status}: ${text}`);
      return (text === '' ? undefined : JSON.parse(text)) as T;
    },
  };
}

/** Fresh platform credentials for one run: a Shopee partner and a TikTok Shop app. */
export interface PlatformApps {
  shopeePartner: { partnerId: number; partnerKey: string };
  tiktokApp: { appKey: string; appSecret: string };
}

export function newPlatformApps(appKeyPrefix: string): PlatformApps {
  return {
    shopeePartner: {
      partnerId: 3_000_000 + randomBytes(2).readUInt16BE(0),
      partnerKey: randomBytes(24).toString('hex'),
    },
    tiktokApp: {
      appKey: `${appKeyPrefix}${randomBytes(5).toString('hex')}`,
      appSecret: randomBytes(24).toString('hex'),
    },
  };
}

/** The deployment's own secrets for one run, and the environment the API and workers share. */
export interface AppDeployment {
  appEnv: NodeJS.ProcessEnv;
  /** The secrets the deployment holds (partner key, app secret, credentials key, token secret). */
  configuredSecrets: string[];
  credentialsKeys: { spec: string; activeKeyId: string };
}

export function appDeployment(options: {
  apiPort: number;
  databaseUrl: string;
  redisUrl: string;
  prefix: string;
  sandboxRoot: string;
  apps: PlatformApps;
  /** Run-specific variables, before (and overridable by) `env`. */
  extra?: Record<string, string> | undefined;
  env?: Record<string, string> | undefined;
}): AppDeployment {
  const { shopeePartner, tiktokApp } = options.apps;
  const api = `http://127.0.0.1:${options.apiPort}`;
  const credentialsKey = generateKeySpec('e2e');
  const authSecret = randomBytes(32).toString('hex');
  return {
    appEnv: {
      APP_MODE: 'test',
      HOST: '127.0.0.1',
      PORT: String(options.apiPort),
      LOG_LEVEL: 'info',
      DATABASE_URL: options.databaseUrl,
      DATABASE_POOL_MAX: '5',
      REDIS_URL: options.redisUrl,
      QUEUE_PREFIX: options.prefix,
      AUTH_TOKEN_SECRET: authSecret,
      CREDENTIALS_KEYS: credentialsKey,
      CREDENTIALS_ACTIVE_KEY_ID: 'e2e',
      PUBLIC_BASE_URL: api,
      SANDBOX_URL: options.sandboxRoot,
      SHOPEE_PARTNER_ID: String(shopeePartner.partnerId),
      SHOPEE_PARTNER_KEY: shopeePartner.partnerKey,
      TIKTOK_SHOP_APP_KEY: tiktokApp.appKey,
      TIKTOK_SHOP_APP_SECRET: tiktokApp.appSecret,
      CHANNEL_HTTP_TIMEOUT_MS: '5000',
      LIST_CACHE_MAX_MB: '0',
      ...options.extra,
      ...options.env,
    },
    configuredSecrets: [
      shopeePartner.partnerKey,
      tiktokApp.appSecret,
      credentialsKey.split(':')[1] ?? credentialsKey,
      authSecret,
    ],
    credentialsKeys: { spec: credentialsKey, activeKeyId: 'e2e' },
  };
}

/** Starts the API process, then the worker processes one by one (`worker1`, `worker2`, …). */
export async function spawnApp(
  group: ProcessGroup,
  appEnv: NodeJS.ProcessEnv,
): Promise<{ startWorker(): Promise<number>; killWorkers(): Promise<void> }> {
  await group.spawn('api', 'src/server.ts', appEnv, /Server listening at/);
  let workers = 0;
  const startWorker = async () => {
    workers += 1;
    const ready = await group.spawn(`worker${workers}`, 'workers/main.ts', appEnv, /worker started/);
    return ready.pid;
  };
  await startWorker();
  return { startWorker, killWorkers: () => group.kill('worker') };
}

/** Deletes every Redis key of the run's queue prefix. */
export async function dropQueueKeys(redis: Redis, prefix: string): Promise<void> {
  const keys = await redis.keys(`${prefix}:*`).catch(() => [] as string[]);
  for (let i = 0; i < keys.length; i += 500) await redis.del(...keys.slice(i, i + 500));
}

/** A logged-in caller of the API; every response body read is kept in `responses`. */
export interface Client {
  token: string;
  call(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<Response>;
  json<T>(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<T>;
}

export function makeClient(api: string, token: string, responses: string[]): Client {
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

/** Makes a user of that role and binding and logs them in through `POST /v1/auth/login`. */
export async function loginAs(
  api: string,
  database: DatabaseHandle,
  responses: string[],
  role: 'admin' | 'crafter' | 'operator',
  binding: { crafterId?: string; regionCode?: string } = {},
): Promise<Client> {
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
}

/**
 * Shopee: our authorization link, approved by the sandbox's page, redirected to our callback
 * (with `shopId`, the sandbox's page authorizes that existing shop: a reconnect).
 */
export async function connectShopee(
  client: Client,
  crafterId: string,
  responses: string[],
  shopId?: string,
): Promise<Connection> {
  const link = await client.json<{ authorizationUrl: string }>(
    'POST',
    `/v1/crafters/${crafterId}/connections/shopee/authorize`,
  );
  const url = new URL(link.authorizationUrl);
  if (shopId) url.searchParams.set('shop_id', shopId);
  const approval = await fetch(url, { redirect: 'manual' });
  await approval.body?.cancel();
  const location = approval.headers.get('location');
  if (!location) throw new Error(`Shopee authorization answered ${approval.status} without a redirect`);
  const res = await fetch(location);
  const text = await res.text();
  responses.push(text);
  if (!res.ok) throw new Error(`Shopee callback answered ${res.status}: ${text}`);
  return JSON.parse(text) as Connection;
}

/** Tokopedia: the seller opens a shop and approves our app; the code comes back with our state. */
export async function connectTiktok(
  options: {
    api: string;
    client: Client;
    crafterId: string;
    sandbox: SandboxControl;
    appKey: string;
    shopName: string;
  },
  responses: string[],
): Promise<Connection> {
  const { api, client, crafterId, sandbox } = options;
  const shop = await sandbox.sandboxPost<{ shop_id: string }>('/tiktok-shop/shops', {
    name: options.shopName,
    tokopedia: true,
  });
  const link = await client.json<{ authorizationUrl: string }>(
    'POST',
    `/v1/crafters/${crafterId}/connections/tiktok-shop/authorize`,
  );
  const state = new URL(link.authorizationUrl).searchParams.get('state') ?? '';
  const { auth_code } = await sandbox.sandboxPost<{ auth_code: string }>('/tiktok-shop/authorize', {
    app_key: options.appKey,
    shop_id: shop.shop_id,
  });
  const res = await fetch(
    `${api}/v1/connections/callback/tiktok-shop?code=${encodeURIComponent(auth_code)}&state=${encodeURIComponent(state)}`,
  );
  const text = await res.text();
  responses.push(text);
  if (!res.ok) throw new Error(`TikTok callback answered ${res.status}: ${text}`);
  return JSON.parse(text) as Connection;
}
