/**
 * Outward-sync e2e harness: the real sandbox, API and worker processes (`sandbox/main.ts`,
 * `src/server.ts`, `workers/main.ts`) on a fresh database and queue prefix, a crafter whose own
 * Shopee and Tokopedia (TikTok Shop) shops are connected through the real authorization flow, and
 * every line the processes print kept, so tests can look for leaked secrets.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { createDatabase, type DatabaseHandle } from '../../src/db/client.js';
import { channelConnections } from '../../src/db/schema/index.js';
import { freePort } from '../../src/dev/ports.js';
import { findOnPath, startRedisServer } from '../../src/dev/redis-server.js';
import { openJson, parseKeyring } from '../../src/lib/secrets.js';
import { secretsContext } from '../../src/services/connections.js';
import { makeCrafter } from '../factories/index.js';
import { makeProduct, uniqueSku } from '../factories/products.js';
import { createTestDatabase } from '../helpers/db-template.js';
import {
  appDeployment,
  type Connection,
  connectShopee,
  connectTiktok,
  defaultRedisUrl,
  dropQueueKeys,
  loginAs,
  newPlatformApps,
  processGroup,
  sandboxControl,
  spawnApp,
  spawnSandbox,
} from './process-stack.js';

export { type Connection, until } from './process-stack.js';

const START_TIMEOUT_MS = 60_000;

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

export interface OutwardStackOptions {
  privateRedis?: boolean;
  /** Extra environment of the API and worker processes (timeouts, declared rates, …). */
  env?: Record<string, string>;
}

export async function startOutwardStack(
  label: string,
  options: OutwardStackOptions = {},
): Promise<OutwardStack> {
  const logs: string[] = [];
  const responses: string[] = [];
  // A Redis of the run's own (a spawned redis-server), for tests that FLUSHALL it.
  const ownRedis = options.privateRedis
    ? await startRedisServer(findOnPath('redis-server') ?? 'redis-server', (line) =>
        logs.push(`[redis] ${line}`),
      )
    : undefined;
  const runRedisUrl = ownRedis?.url ?? defaultRedisUrl;
  const testDb = await createTestDatabase(label);
  const database = createDatabase(testDb.url, { max: 4 });
  const prefix = `h12_${label}_${randomBytes(3).toString('hex')}`;
  const redis = new Redis(runRedisUrl, { maxRetriesPerRequest: null, lazyConnect: false });
  const group = processGroup(logs, START_TIMEOUT_MS);

  const close = async () => {
    await group.kill();
    await dropQueueKeys(redis, prefix);
    redis.disconnect();
    await ownRedis?.stop();
    await database.close();
    await testDb.drop();
  };

  try {
    const { control, sandboxRoot } = await spawnSandbox(group);
    const sandbox = sandboxControl(control);
    const apps = newPlatformApps('h12');
    const { shopeePartner, tiktokApp } = apps;
    await sandbox.sandboxPost('/shopee/apps', { ...shopeePartner, name: 'kriya-sync e2e' });
    await sandbox.sandboxPost('/tiktok-shop/apps', {
      app_key: tiktokApp.appKey,
      app_secret: tiktokApp.appSecret,
      name: 'kriya-sync e2e',
    });
    // TikTok Shop's review ("a couple of minutes") passes at once: prices are taken after it.
    await sandbox.sandboxPost('/tiktok-shop/configure', { audit_delay_seconds: 0 });

    const apiPort = await freePort();
    const api = `http://127.0.0.1:${apiPort}`;
    const deployment = appDeployment({
      apiPort,
      databaseUrl: testDb.url,
      redisUrl: runRedisUrl,
      prefix,
      sandboxRoot,
      apps,
      env: options.env,
    });
    const { startWorker, killWorkers } = await spawnApp(group, deployment.appEnv);

    const crafter = await makeCrafter(database.db);
    const client = await loginAs(api, database, responses, 'crafter', { crafterId: crafter.id });
    const reconnectShopee = (shopId?: string) => connectShopee(client, crafter.id, responses, shopId);
    const shopee = await reconnectShopee();
    const tiktok = await connectTiktok(
      { api, client, crafterId: crafter.id, sandbox, appKey: tiktokApp.appKey, shopName: 'Toko Anyaman E2E' },
      responses,
    );

    return {
      databaseUrl: testDb.url,
      database,
      prefix,
      redis,
      api,
      control,
      token: client.token,
      crafterId: crafter.id,
      shopee,
      tiktok,
      logs,
      responses,
      configuredSecrets: deployment.configuredSecrets,
      credentialsKeys: deployment.credentialsKeys,
      call: client.call,
      json: client.json,
      ...sandbox,
      connectShopee: reconnectShopee,
      shopeePartner: { ...shopeePartner, baseUrl: `${sandboxRoot}/shopee` },
      startWorker,
      killWorkers,
      close,
    };
  } catch (err) {
    await close().catch(() => {});
    throw err;
  }
}

/**
 * `count` single-SKU products of the stack's crafter ("Tas Anyaman Pandan Ciater Nomor 1", …, stock
 * 5), the i-th (from 0) priced `priceOf(i)`, with the photo at `image`; not yet listed anywhere.
 */
export async function makeNumberedProducts(
  stack: Pick<OutwardStack, 'database' | 'crafterId'>,
  options: { count: number; skuPrefix: string; image: string; priceOf: (i: number) => number },
): Promise<Array<{ id: string; sku: string; version: number; price: number }>> {
  const products: Array<{ id: string; sku: string; version: number; price: number }> = [];
  for (let i = 0; i < options.count; i += 1) {
    const sku = uniqueSku(options.skuPrefix);
    const price = options.priceOf(i);
    const made = await makeProduct(stack.database.db, stack.crafterId, {
      title: `Tas Anyaman Pandan Ciater Nomor ${i + 1}`,
      description: 'Tas anyaman pandan buatan tangan perajin Tangerang Selatan, kuat dan ringan.',
      category: 'kerajinan/anyaman',
      imageUrls: [options.image],
      variants: [{ sku, options: {}, priceIdr: price, stock: 5, weightGrams: 300 }],
    });
    products.push({ id: made.id, sku, version: made.version, price });
  }
  return products;
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
