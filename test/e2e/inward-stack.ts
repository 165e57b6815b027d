/**
 * Inward-sync e2e harness: the real sandbox, API and worker processes (`sandbox/main.ts`,
 * `src/server.ts`, `workers/main.ts`) on a fresh database and queue prefix, with several crafters in
 * different kelurahan, each with their own Shopee and Tokopedia (TikTok Shop) shops connected through
 * the real authorization flow, and the sandbox's push/webhook callbacks pointing at our webhook routes.
 *
 * Built from the same blocks as `outward-stack.ts` (`process-stack.ts`); it satisfies `OutwardStack`
 * so `scanForSecrets` reads it as it is.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { createDatabase } from '../../src/db/client.js';
import { freePort } from '../../src/dev/ports.js';
import { QUEUE } from '../../src/queues/definitions.js';
import { queuePulls } from '../../src/queues/pulls.js';
import { makeCrafter } from '../factories/index.js';
import { makeProduct, uniqueSku } from '../factories/products.js';
import { createTestDatabase } from '../helpers/db-template.js';
import type { OutwardStack } from './outward-stack.js';
import {
  appDeployment,
  type Client,
  type Connection,
  connectShopee,
  connectTiktok,
  defaultRedisUrl,
  dropQueueKeys,
  loginAs,
  newPlatformApps,
  processGroup,
  repoRoot,
  sandboxControl,
  spawnApp,
  spawnSandbox,
  until,
} from './process-stack.js';

export type { Client } from './process-stack.js';

const START_TIMEOUT_MS = 90_000;

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

/** The four figures of a `GET /v1/sales/summary` row or total, and of the sandbox's own `sum`. */
export interface Figures {
  grossIdr: number;
  netIdr: number;
  units: number;
  orders: number;
}

/** `GET /v1/sales/summary`, as the inward proofs read it (the grouping keys present as grouped by). */
export interface SalesSummary {
  rows: Array<
    Figures & {
      day?: string;
      channel?: string;
      crafterId?: string;
      kecamatanCode?: string;
      kelurahanCode?: string;
    }
  >;
  totals: Figures;
  completeness: {
    complete: boolean;
    connections: number;
    missing: Array<{ connectionId: string; channel: string; crafterId: string; days: string[] }>;
  };
}

/** Just the four figures of a row (rows carry their grouping keys too). */
export const pickFigures = ({ grossIdr, netIdr, units, orders }: Figures): Figures => ({
  grossIdr,
  netIdr,
  units,
  orders,
});

/** The platform's own figures of one sandbox shop over Jakarta days [from, to]. */
export async function sandboxSum(
  stack: Pick<InwardStack, 'sandboxGet'>,
  platform: 'shopee' | 'tiktok-shop' | 'partner-brand',
  shopId: string,
  from: string,
  to: string,
): Promise<Figures> {
  const totals = await stack.sandboxGet<{ sum: Figures }>(
    `/${platform}/shops/${shopId}/sales-totals?from=${from}&to=${to}`,
  );
  return totals.sum;
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
  const logs: string[] = [];
  const responses: string[] = [];
  const testDb = await createTestDatabase(label);
  const database = createDatabase(testDb.url, { max: 4 });
  const prefix = `h13_${label}_${randomBytes(3).toString('hex')}`;
  const redis = new Redis(defaultRedisUrl, { maxRetriesPerRequest: null, lazyConnect: false });
  const pullQueue = new Queue(QUEUE.pullOrders, { connection: redis, prefix });
  const group = processGroup(logs, START_TIMEOUT_MS);

  const close = async () => {
    await group.kill();
    await pullQueue.close().catch(() => {});
    await dropQueueKeys(redis, prefix);
    redis.disconnect();
    await database.close();
    await testDb.drop();
  };

  try {
    const { control, sandboxRoot } = await spawnSandbox(group);
    const sandbox = sandboxControl(control);
    const { sandboxGet, sandboxPost } = sandbox;

    const apiPort = await freePort();
    const api = `http://127.0.0.1:${apiPort}`;
    const apps = newPlatformApps('h13');
    const { shopeePartner, tiktokApp } = apps;
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

    const deployment = appDeployment({
      apiPort,
      databaseUrl: testDb.url,
      redisUrl: defaultRedisUrl,
      prefix,
      sandboxRoot,
      apps,
      extra: {
        SHOPEE_CALLS_PER_SECOND: '500',
        TIKTOK_SHOP_CALLS_PER_SECOND: '500',
        // The sandbox's orders go back 60 days from "now": the first pull reaches past them.
        PULL_INITIAL_LOOKBACK_DAYS: '62',
      },
      env: options.env,
    });
    const { appEnv } = deployment;
    if (options.pausePulls) await pullQueue.pause();
    const app = await spawnApp(group, appEnv);
    const startWorker = async () => {
      await app.startWorker();
    };

    const login = (
      role: 'admin' | 'crafter' | 'operator',
      binding: { crafterId?: string; regionCode?: string } = {},
    ) => loginAs(api, database, responses, role, binding);
    const connectShopeeOf = (client: Client, crafterId: string) =>
      connectShopee(client, crafterId, responses);
    const connectTiktokOf = (client: Client, crafterId: string) =>
      connectTiktok(
        {
          api,
          client,
          crafterId,
          sandbox,
          appKey: tiktokApp.appKey,
          shopName: `Toko ${randomBytes(2).toString('hex')}`,
        },
        responses,
      );

    const crafters: InwardCrafter[] = [];
    for (const kelurahanCode of options.kelurahan) {
      const crafter = await makeCrafter(database.db, { kelurahanCode });
      const client = await login('crafter', { crafterId: crafter.id });
      crafters.push({
        id: crafter.id,
        kelurahanCode,
        client,
        shopee: await connectShopeeOf(client, crafter.id),
        tiktok: await connectTiktokOf(client, crafter.id),
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
      configuredSecrets: deployment.configuredSecrets,
      credentialsKeys: deployment.credentialsKeys,
      call: first.client.call,
      json: first.client.json,
      sandboxGet,
      sandboxPost,
      startWorker,
      killWorkers: app.killWorkers,
      close,
      appEnv,
      crafters,
      city,
      pullQueue,
      resumePulls: () => pullQueue.resume(),
      login,
      connectShopee: connectShopeeOf,
      connectTiktok: connectTiktokOf,
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
