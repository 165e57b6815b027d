/**
 * Outward-sync e2e harness: the real sandbox, API and worker processes (`sandbox/main.ts`,
 * `src/server.ts`, `workers/main.ts`) on a fresh database and queue prefix, a crafter whose own
 * Shopee and Tokopedia (TikTok Shop) shops are connected through the real authorization flow, and
 * every line the processes print kept, so tests can look for leaked secrets.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { createDatabase, type DatabaseHandle } from '../../src/db/client.js';
import { channelConnections } from '../../src/db/schema/index.js';
import { freePort } from '../../src/dev/ports.js';
import { findOnPath, startRedisServer } from '../../src/dev/redis-server.js';
import { generateKeySpec, openJson, parseKeyring } from '../../src/lib/secrets.js';
import { secretsContext } from '../../src/services/connections.js';
import { makeCrafter, makeUser } from '../factories/index.js';
import { createTestDatabase } from '../helpers/db-template.js';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const START_TIMEOUT_MS = 60_000;
const redisUrl = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

interface Proc {
  name: string;
  child: ChildProcess;
  exited: Promise<void>;
}

export interface Connection {
  id: string;
  externalShopId: string;
}

export interface OutwardStack {
  databaseUrl: string;
  database: DatabaseHandle;
  prefix: string;
  redis: Redis;
  api: string;
  control: string;
  token: string;
  crafterId: string;
  shopee: Connection;
  tiktok: Connection;
  /** Every line printed by every process (all runs). */
  logs: string[];
  /** Every API response body the tests read through `call`. */
  responses: string[];
  /** The secrets the deployment holds (partner key, app secret, credentials key, token secret). */
  configuredSecrets: string[];
  /** `CREDENTIALS_KEYS` / `CREDENTIALS_ACTIVE_KEY_ID` of the processes, to open stored credentials. */
  credentialsKeys: { spec: string; activeKeyId: string };
  call(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<Response>;
  json<T>(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<T>;
  sandboxGet<T>(path: string): Promise<T>;
  sandboxPost<T>(path: string, body: unknown): Promise<T>;
  /** Any control-API call (PUT /faults, DELETE /faults, …); throws on a non-2xx answer. */
  sandboxRequest<T>(method: string, path: string, body?: unknown): Promise<T>;
  /** Connects (again, with `shopId`) the crafter's Shopee shop through the real authorization flow. */
  connectShopee(shopId?: string): Promise<Connection>;
  /** The Shopee partner the processes are configured with, and the sandbox's Shopee base URL. */
  shopeePartner: { partnerId: number; partnerKey: string; baseUrl: string };
  /** Starts one more worker process; resolves with its pid once it is ready. */
  startWorker(): Promise<number>;
  /** SIGKILL every running worker and wait for it to be gone. */
  killWorkers(): Promise<void>;
  close(): Promise<void>;
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

export interface OutwardStackOptions {
  privateRedis?: boolean;
  /** Extra environment of the API and worker processes (timeouts, declared rates, …). */
  env?: Record<string, string>;
}

export async function startOutwardStack(
  label: string,
  options: OutwardStackOptions = {},
): Promise<OutwardStack> {
  const procs: Proc[] = [];
  const logs: string[] = [];
  const responses: string[] = [];
  // A Redis of the run's own (a spawned redis-server), for tests that FLUSHALL it.
  const ownRedis = options.privateRedis
    ? await startRedisServer(findOnPath('redis-server') ?? 'redis-server', (line) =>
        logs.push(`[redis] ${line}`),
      )
    : undefined;
  const runRedisUrl = ownRedis?.url ?? redisUrl;
  const testDb = await createTestDatabase(label);
  const database = createDatabase(testDb.url, { max: 4 });
  const prefix = `h12_${label}_${randomBytes(3).toString('hex')}`;
  const redis = new Redis(runRedisUrl, { maxRetriesPerRequest: null, lazyConnect: false });

  const spawnProc = (name: string, script: string, env: NodeJS.ProcessEnv, ready: RegExp) => {
    const child = spawn(process.execPath, ['--import', 'tsx', script], {
      cwd: repoRoot,
      env: { PATH: process.env.PATH ?? '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    const proc = { name, child, exited };
    procs.push(proc);
    return new Promise<RegExpExecArray & { pid: number }>((resolve, reject) => {
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
  };

  const close = async () => {
    for (const p of procs) {
      if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
    }
    await Promise.all(procs.map((p) => p.exited));
    const keys = await redis.keys(`${prefix}:*`).catch(() => [] as string[]);
    for (let i = 0; i < keys.length; i += 500) await redis.del(...keys.slice(i, i + 500));
    redis.disconnect();
    await ownRedis?.stop();
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
    const sandboxRequest = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
      const res = await fetch(`${control}${path}`, {
        method,
        ...(body === undefined
          ? {}
          : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
      });
      const text = await res.text();
      if (!res.ok) throw new Error(`sandbox ${method} ${path} answered ${res.status}: ${text}`);
      return (text === '' ? undefined : JSON.parse(text)) as T;
    };

    const shopeePartner = {
      partnerId: 3_000_000 + randomBytes(2).readUInt16BE(0),
      partnerKey: randomBytes(24).toString('hex'),
    };
    const tiktokApp = {
      appKey: `h12${randomBytes(5).toString('hex')}`,
      appSecret: randomBytes(24).toString('hex'),
    };
    await sandboxPost('/shopee/apps', { ...shopeePartner, name: 'kriya-sync e2e' });
    await sandboxPost('/tiktok-shop/apps', {
      app_key: tiktokApp.appKey,
      app_secret: tiktokApp.appSecret,
      name: 'kriya-sync e2e',
    });
    // TikTok Shop's review ("a couple of minutes") passes at once: prices are taken after it.
    await sandboxPost('/tiktok-shop/configure', { audit_delay_seconds: 0 });

    const apiPort = await freePort();
    const api = `http://127.0.0.1:${apiPort}`;
    const credentialsKey = generateKeySpec('e2e');
    const authSecret = randomBytes(32).toString('hex');
    const appEnv: NodeJS.ProcessEnv = {
      APP_MODE: 'test',
      HOST: '127.0.0.1',
      PORT: String(apiPort),
      LOG_LEVEL: 'info',
      DATABASE_URL: testDb.url,
      DATABASE_POOL_MAX: '5',
      REDIS_URL: runRedisUrl,
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
      CHANNEL_HTTP_TIMEOUT_MS: '5000',
      LIST_CACHE_MAX_MB: '0',
      ...options.env,
    };
    await spawnProc('api', 'src/server.ts', appEnv, /Server listening at/);
    let workers = 0;
    const startWorker = async () => {
      workers += 1;
      const ready = await spawnProc(`worker${workers}`, 'workers/main.ts', appEnv, /worker started/);
      return ready.pid;
    };
    await startWorker();

    const crafter = await makeCrafter(database.db);
    const user = await makeUser(database.db, 'crafter', { crafterId: crafter.id });
    const login = await fetch(`${api}/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: user.username, password: user.password }),
    });
    const loginText = await login.text();
    responses.push(loginText);
    const { token } = JSON.parse(loginText) as { token: string };

    const call = async (
      method: string,
      path: string,
      body?: unknown,
      headers: Record<string, string> = {},
    ) => {
      const res = await fetch(`${api}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${token}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          ...headers,
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      const text = await res.text();
      responses.push(text);
      return new Response(text, { status: res.status, headers: res.headers });
    };
    const json = async <T>(
      method: string,
      path: string,
      body?: unknown,
      headers?: Record<string, string>,
    ) => {
      const res = await call(method, path, body, headers);
      const text = await res.text();
      if (!res.ok) throw new Error(`${method} ${path} answered ${res.status}: ${text}`);
      return JSON.parse(text) as T;
    };

    // Shopee: our authorization link, approved by the sandbox's page, redirected to our callback
    // (with `shopId`, the sandbox's page authorizes that existing shop: a reconnect).
    const connectShopee = async (shopId?: string): Promise<Connection> => {
      const link = await json<{ authorizationUrl: string }>(
        'POST',
        `/v1/crafters/${crafter.id}/connections/shopee/authorize`,
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
    };
    const shopee = await connectShopee();

    // Tokopedia: the seller opens a shop and approves our app; the code comes back with our state.
    const shop = await sandboxPost<{ shop_id: string }>('/tiktok-shop/shops', {
      name: 'Toko Anyaman E2E',
      tokopedia: true,
    });
    const tiktokLink = await json<{ authorizationUrl: string }>(
      'POST',
      `/v1/crafters/${crafter.id}/connections/tiktok-shop/authorize`,
    );
    const state = new URL(tiktokLink.authorizationUrl).searchParams.get('state') ?? '';
    const { auth_code } = await sandboxPost<{ auth_code: string }>('/tiktok-shop/authorize', {
      app_key: tiktokApp.appKey,
      shop_id: shop.shop_id,
    });
    const tiktokRes = await fetch(
      `${api}/v1/connections/callback/tiktok-shop?code=${encodeURIComponent(auth_code)}&state=${encodeURIComponent(state)}`,
    );
    const tiktokText = await tiktokRes.text();
    responses.push(tiktokText);
    if (!tiktokRes.ok) throw new Error(`TikTok callback answered ${tiktokRes.status}: ${tiktokText}`);
    const tiktok = JSON.parse(tiktokText) as Connection;

    return {
      databaseUrl: testDb.url,
      database,
      prefix,
      redis,
      api,
      control,
      token,
      crafterId: crafter.id,
      shopee,
      tiktok,
      logs,
      responses,
      configuredSecrets: [
        shopeePartner.partnerKey,
        tiktokApp.appSecret,
        credentialsKey.split(':')[1] ?? credentialsKey,
        authSecret,
      ],
      credentialsKeys: { spec: credentialsKey, activeKeyId: 'e2e' },
      call,
      json,
      sandboxGet,
      sandboxPost,
      sandboxRequest,
      connectShopee,
      shopeePartner: { ...shopeePartner, baseUrl: `${sandboxRoot}/shopee` },
      startWorker,
      async killWorkers() {
        const running = procs.filter(
          (p) => p.name.startsWith('worker') && p.child.exitCode === null && p.child.signalCode === null,
        );
        for (const p of running) p.child.kill('SIGKILL');
        await Promise.all(running.map((p) => p.exited));
      },
      close,
    };
  } catch (err) {
    await close().catch(() => {});
    throw err;
  }
}

/**
 * Looks for every secret of the deployment (partner key, app secret, credentials key, token secret,
 * and every token or key the platforms granted, read from the sealed credentials) in plain text in
 * the processes' logs, a dump of the run's Redis keys, a pg_dump of its database and every API
 * response read. Returns how many secrets were looked for, where they were found, and how large
 * each place was (so an empty place cannot pass unnoticed).
 */
export async function scanForSecrets(
  stack: Pick<
    OutwardStack,
    | 'credentialsKeys'
    | 'configuredSecrets'
    | 'database'
    | 'databaseUrl'
    | 'redis'
    | 'prefix'
    | 'logs'
    | 'responses'
  >,
): Promise<{ secrets: number; leaks: string[]; places: Record<string, number> }> {
  const keyring = parseKeyring(stack.credentialsKeys.spec, stack.credentialsKeys.activeKeyId);
  const rows = await stack.database.db.select().from(channelConnections);
  const secrets = new Set(stack.configuredSecrets);
  for (const row of rows) {
    if (!row.secretsSealed) continue;
    const opened = openJson<Record<string, unknown>>(keyring, row.secretsSealed, secretsContext(row.id));
    for (const [name, value] of Object.entries(opened)) {
      if (typeof value === 'string' && value.length >= 8 && /token|key|secret/i.test(name))
        secrets.add(value);
    }
  }

  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await stack.redis.scan(cursor, 'MATCH', `${stack.prefix}*`, 'COUNT', '1000');
    cursor = next;
    keys.push(...batch);
  } while (cursor !== '0');
  const redisDump: string[] = [];
  for (const key of keys) {
    const type = await stack.redis.type(key);
    redisDump.push(key);
    if (type === 'string') redisDump.push((await stack.redis.get(key)) ?? '');
    else if (type === 'hash') redisDump.push(JSON.stringify(await stack.redis.hgetall(key)));
    else if (type === 'list') redisDump.push(JSON.stringify(await stack.redis.lrange(key, 0, -1)));
    else if (type === 'set') redisDump.push(JSON.stringify(await stack.redis.smembers(key)));
    else if (type === 'zset') redisDump.push(JSON.stringify(await stack.redis.zrange(key, '0', '-1')));
    else if (type === 'stream') redisDump.push(JSON.stringify(await stack.redis.xrange(key, '-', '+')));
  }
  const { stdout: databaseDump } = await promisify(execFile)('pg_dump', ['--data-only', stack.databaseUrl], {
    maxBuffer: 512 * 1024 * 1024,
  });

  const places: Record<string, string> = {
    logs: stack.logs.join('\n'),
    redis: redisDump.join('\n'),
    database: databaseDump,
    responses: stack.responses.join('\n'),
  };
  const leaks: string[] = [];
  for (const [place, text] of Object.entries(places)) {
    for (const secret of secrets) {
      if (text.includes(secret)) leaks.push(`${place} holds a secret (${secret.slice(0, 4)}…)`);
    }
  }
  return {
    secrets: secrets.size,
    leaks,
    places: Object.fromEntries(Object.entries(places).map(([k, v]) => [k, v.length])),
  };
}
