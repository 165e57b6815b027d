/**
 * Outward sync against real processes: the marketplace sandbox, the API and one worker, each its own
 * process (API and worker from the compiled build, `node dist/...`, APP_MODE=demo so channels point at
 * the sandbox, with the Dockerfile's NODE_OPTIONS; the sandbox with tsx as `npm start` runs it).
 *
 * 1. Edit → visible: price PATCHes of live single-SKU listings through the API at a steady rate
 *    (default 50 edits/s, round-robin over 100 products published to a Shopee and a Tokopedia
 *    sandbox shop); "visible" is the first poll of the sandbox shop state that shows the new price.
 *    Measured BENCH_OUTWARD_EDIT_REPEATS times (default 3) at each rate with the default edit window
 *    (EDIT_COALESCE_MS), reported per run and as the median of runs (the machine may be shared), and
 *    once at 50 edits/s with BENCH_OUTWARD_SHORT_COALESCE_MS (default 400) for the burst trade-off.
 *    Each worker start is followed by a warm-up run (BENCH_OUTWARD_WARMUP_SECONDS, default 10, at the
 *    edit rate), reported apart and not counted.
 * 2. 100 quick edits: 100 PATCHes of one product within ~1 s; remote calls per shop until it settles.
 * 3. Publishing N single-SKU products to both shops with the sandbox's per-shop rate limit set to the
 *    adapters' declared rate (SHOPEE_CALLS_PER_SECOND / TIKTOK_SHOP_CALLS_PER_SECOND): wall time from
 *    the first publish to every listing live, over the bound max(calls on a shop / its rate).
 * 4. Worker RSS (VmRSS every 250 ms) throughout.
 *
 * Run: `npm run bench -- outward` (never part of `npm test`). Needs Postgres and Redis; uses its own
 * database `kriya_bench_outward` (recreated, dropped at the end) and a random queue prefix (removed).
 * BENCH_OUTWARD_SKUS (default 10000), BENCH_OUTWARD_RATE (calls/s per shop, default 50),
 * BENCH_OUTWARD_EDIT_SECONDS (default 20), BENCH_OUTWARD_EDIT_RATE (default 50),
 * BENCH_OUTWARD_SHORT_COALESCE_MS (default 400), BENCH_OUTWARD_EDIT_BUDGET (calls/s per shop during the
 * edit runs, default 200), BENCH_OUTWARD_EDIT_REPEATS (default 3; BENCH_OUTWARD_EDIT_SECONDS=0 skips the
 * edit runs, BENCH_OUTWARD_SKUS=0 the publish run), BENCH_OUTWARD_WORKER_NODE_ARGS (extra node flags for
 * the worker, e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`), BENCH_OUTWARD_API_NODE_ARGS (the same for the
 * API), BENCH_OUTWARD_TIMELINE (a file to write the
 * publish run's calls per second on each shop to, as JSON).
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import postgres from 'postgres';
import { tangselRegionsFile } from '../src/cli/import-regions.js';
import { loadConfig } from '../src/config/env.js';
import { connectDemoShops } from '../src/dev/demo-shops.js';
import { freePort } from '../src/dev/ports.js';
import { prepareDatabase } from '../src/dev/prepare-database.js';
import { withDatabase } from '../src/dev/probes.js';
import { generateKeySpec } from '../src/lib/secrets.js';
import { EDIT_COALESCE_MS, EDIT_JOB, PUSH_QUEUE } from '../src/queues/definitions.js';
import { median } from './lib/load.js';
import { machineLine, writeBenchmarkSection } from './lib/report.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const SKUS = Number(process.env.BENCH_OUTWARD_SKUS ?? 10_000);
/** Products per bulk publish call (the API takes up to 1,000). */
const PUBLISH_BATCH = 250;
const RATE = Number(process.env.BENCH_OUTWARD_RATE ?? 50);
const EDIT_SECONDS = Number(process.env.BENCH_OUTWARD_EDIT_SECONDS ?? 20);
/** Seconds of edits at EDIT_RATE after each worker start, before the measured runs (0: none). */
const WARMUP_SECONDS = Number(process.env.BENCH_OUTWARD_WARMUP_SECONDS ?? 10);
const EDIT_RATE = Number(process.env.BENCH_OUTWARD_EDIT_RATE ?? 50);
const SHORT_COALESCE_MS = Number(process.env.BENCH_OUTWARD_SHORT_COALESCE_MS ?? 400);
/** Runs of each latency measurement at the default window; the report gives each and their median. */
const REPEATS = Number(process.env.BENCH_OUTWARD_EDIT_REPEATS ?? 3);
/**
 * Per-shop budget during the edit runs. Each edit of a different product is one push per shop of two
 * calls (price and stock), so 50 edits/s need 100 calls/s per shop; the budget is set above that, so
 * the runs measure the pipeline, not a saturated limiter (the publish run measures the limiter).
 */
const EDIT_BUDGET = Number(process.env.BENCH_OUTWARD_EDIT_BUDGET ?? 200);
/** A light edit rate, measured as well, to separate the pipeline's latency from saturation of the machine. */
const LIGHT_RATE = Number(process.env.BENCH_OUTWARD_LIGHT_RATE ?? 5);
const EDIT_PRODUCTS = 100;
/** Extra node flags for the worker (profiling: `--cpu-prof --cpu-prof-dir=/tmp/prof`). */
const WORKER_NODE_ARGS = (process.env.BENCH_OUTWARD_WORKER_NODE_ARGS ?? '').split(' ').filter(Boolean);
const API_NODE_ARGS = (process.env.BENCH_OUTWARD_API_NODE_ARGS ?? '').split(' ').filter(Boolean);
const POLL_MS = 20;
const DATABASE = 'kriya_bench_outward';
const adminUrl = process.env.BENCH_DATABASE_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const log = (line: string) => process.stdout.write(`[outward] ${line}\n`);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Proc {
  child: ChildProcess;
  output(): string;
}

function startProcess(args: string[], env: Record<string, string>, name: string): Proc {
  const child = spawn(process.execPath, args, {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const keep = (d: Buffer) => {
    output = (output + d.toString()).slice(-20_000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  child.on('exit', (code, signal) => {
    if (code !== 0 && signal !== 'SIGTERM' && signal !== 'SIGKILL')
      process.stderr.write(`${name} exited (${code ?? signal}):\n${output.slice(-4000)}\n`);
  });
  return { child, output: () => output };
}

async function until<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    await sleep(200);
  }
  throw new Error(`${what}: not within ${timeoutMs} ms`);
}

async function stop(proc: Proc | undefined): Promise<void> {
  const child = proc?.child;
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}

async function rssMiB(pid: number | undefined): Promise<number | null> {
  if (pid === undefined) return null;
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    const kb = /VmRSS:\s+(\d+)\s+kB/.exec(status)?.[1];
    return kb ? Number(kb) / 1024 : null;
  } catch {
    return null;
  }
}

/** CPU seconds (user + system) a process has used so far. */
async function cpuSeconds(pid: number | undefined): Promise<number> {
  if (pid === undefined) return 0;
  try {
    const fields = (await readFile(`/proc/${pid}/stat`, 'utf8')).split(') ')[1]?.split(' ') ?? [];
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return 0;
  }
}

/**
 * CPU seconds used so far by every process of a program (all `postgres` backends, `redis-server`),
 * exited ones not counted: a backend that ends between two readings loses its share, so this is a
 * floor. Other work on the machine using the same servers counts too.
 */
async function programCpuSeconds(comm: string): Promise<number> {
  let total = 0;
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = await readFile(`/proc/${entry}/stat`, 'utf8');
      const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      if (name !== comm) continue;
      const fields = stat.slice(stat.lastIndexOf(') ') + 2).split(' ');
      total += (Number(fields[11]) + Number(fields[12])) / 100;
    } catch {
      // gone meanwhile
    }
  }
  return total;
}

async function productionNodeOptions(): Promise<string> {
  const dockerfile = await readFile(`${root}/Dockerfile`, 'utf8');
  const value = /NODE_OPTIONS="([^"]*)"/.exec(dockerfile)?.[1];
  if (value === undefined) throw new Error('the Dockerfile sets no NODE_OPTIONS="..."');
  return value;
}

async function http(method: string, url: string, body?: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(url, {
    method,
    headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    signal: AbortSignal.timeout(15_000),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${url} answered ${res.status}: ${text.slice(0, 300)}`);
  return { json: (text ? JSON.parse(text) : {}) as Record<string, unknown>, headers: res.headers };
}

/** SKU → price in a sandbox shop's state (Shopee items/models; TikTok products/skus). */
function pricesOf(state: Record<string, unknown>): Map<string, number> {
  const out = new Map<string, number>();
  const items = (state.items ?? []) as Array<{
    itemSku?: string;
    price: number | null;
    models: Array<{ modelSku: string; price: number }>;
  }>;
  for (const item of items) {
    if (item.models.length === 0 && item.itemSku && item.price !== null) out.set(item.itemSku, item.price);
    for (const m of item.models) out.set(m.modelSku, m.price);
  }
  const products = (state.products ?? []) as Array<{
    status: string;
    skus: Array<{ seller_sku: string; price: { amount: string } }>;
  }>;
  for (const p of products) for (const s of p.skus) out.set(s.seller_sku, Number(s.price.amount));
  return out;
}

type Counters = Record<string, { calls: number; errors: number; throttled: number }>;

function diffCounters(before: Counters, after: Counters, platform: string) {
  let calls = 0;
  let throttled = 0;
  let errors = 0;
  const byEndpoint: Record<string, number> = {};
  for (const [key, v] of Object.entries(after)) {
    if (!key.startsWith(`${platform} `)) continue;
    const b = before[key] ?? { calls: 0, errors: 0, throttled: 0 };
    const n = v.calls - b.calls;
    if (n === 0) continue;
    calls += n;
    throttled += v.throttled - b.throttled;
    errors += v.errors - b.errors;
    // Paths that name an item (`/products/2930…/prices/update`) count under one pattern.
    const endpoint = key.slice(platform.length + 1).replace(/\/\d{9,}(?=\/|$)/g, '/{id}');
    byEndpoint[endpoint] = (byEndpoint[endpoint] ?? 0) + n;
  }
  return { calls, throttled, errors, byEndpoint };
}

function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
}

export interface OutwardBenchResult {
  edit: Array<{
    coalesceMs: number;
    rate: number;
    edits: number;
    seen: { shopee: number; tiktok: number };
    p50: { shopee: number; tiktok: number; both: number };
    p99: { shopee: number; tiktok: number; both: number };
    sentRate: number;
    patch: { p50: number; p99: number };
    fromCommit: { p50: number; p99: number };
    /**
     * Where the time after the commit went (p50 / p99 in ms): the outbox row waiting for the relay
     * (created → relayed), the push job waiting in its queue (added → started), the push itself
     * (started → finished).
     */
    phases: { relay: [number, number]; queued: [number, number]; push: [number, number] };
    /** CPU seconds the worker and the API used from the first edit until the last was visible. */
    cpu: { worker: number; api: number; sandbox: number; bench: number; postgres: number; redis: number };
    /** 1-minute load average at the end of the run. */
    load: number;
  }>;
  /** The warm-up run after each worker start (not counted in the figures). */
  warmups: OutwardBenchResult['edit'];
  burst: Array<{ coalesceMs: number; shopee: number; tiktok: number; finalOk: boolean; detail: string }>;
  publish: {
    skus: number;
    wallMs: number;
    boundMs: number;
    ratio: number;
    shopee: ReturnType<typeof diffCounters>;
    tiktok: ReturnType<typeof diffCounters>;
    live: number;
    /** CPU seconds each process used from the first publish to the last listing live. */
    cpu: { worker: number; api: number; sandbox: number; bench: number; postgres: number; redis: number };
    /** 1-minute load average at the end of the run. */
    loadDuring: number;
  } | null;
  rss: { max: number; median: number };
}

export async function main(): Promise<OutwardBenchResult> {
  const built = spawnSync('npm', ['run', '--silent', 'build'], { cwd: root, stdio: 'inherit' });
  if (built.status !== 0) throw new Error('npm run build failed');
  const nodeOptions = await productionNodeOptions();
  const loadBefore = loadavg()
    .map((l) => l.toFixed(2))
    .join(' / ');
  const queuePrefix = `bench_outward_${randomBytes(3).toString('hex')}`;
  const dbUrl = withDatabase(adminUrl, DATABASE);
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`drop database if exists "${DATABASE}" with (force)`);
  await admin.unsafe(`create database "${DATABASE}"`);
  await admin.end();

  let sandbox: Proc | undefined;
  let api: Proc | undefined;
  let worker: Proc | undefined;
  const rss: number[] = [];
  const sampler = setInterval(() => {
    void rssMiB(worker?.child.pid).then((v) => v !== null && rss.push(v));
  }, 250);
  const sql = postgres(dbUrl, { max: 4, onnotice: () => {} });
  try {
    sandbox = startProcess(['--import', 'tsx', 'sandbox/main.ts'], { SANDBOX_PORT: '0' }, 'sandbox');
    const sb = sandbox;
    const readyLine = await until('sandbox ready', 60_000, async () => {
      const m = /SANDBOX_READY (\{.*\})/.exec(sb.output());
      return m?.[1];
    });
    const control = (JSON.parse(readyLine) as { control: string }).control;
    const sandboxOrigin = new URL(control).origin;
    const credentials = await prepareDatabase(dbUrl, tangselRegionsFile, log, sandboxOrigin);
    const operatorPassword = credentials.operator?.password;
    if (!operatorPassword) throw new Error('the demo seed created no operator');

    const shopeeApp = {
      partnerId: 1_300_000 + randomBytes(2).readUInt16BE(0),
      partnerKey: randomBytes(24).toString('hex'),
    };
    const ttsApp = {
      app_key: `bench${randomBytes(4).toString('hex')}`,
      app_secret: randomBytes(24).toString('hex'),
    };
    await http('POST', `${control}/shopee/apps`, { ...shopeeApp, name: 'bench' });
    await http('POST', `${control}/tiktok-shop/apps`, { ...ttsApp, name: 'bench' });
    // Per-shop limits equal to what the adapters declare; reviews instant so listings go live at once.
    // A Shopee shop holds 1,000 items by default (as a new seller's shop); room for the publish run.
    await http('POST', `${control}/shopee/configure`, {
      rateLimitPerSecond: RATE,
      reviewDelayMs: 0,
      itemLimit: { itemCountMax: SKUS + 1000 },
    });
    await http('POST', `${control}/tiktok-shop/configure`, {
      rate_limit_per_second: RATE,
      audit_delay_seconds: 0,
    });

    const apiPort = await freePort();
    const appEnv: Record<string, string> = {
      APP_MODE: 'demo',
      NODE_OPTIONS: nodeOptions,
      LOG_LEVEL: 'warn',
      DATABASE_URL: dbUrl,
      REDIS_URL: redisUrl,
      QUEUE_PREFIX: queuePrefix,
      AUTH_TOKEN_SECRET: randomBytes(32).toString('hex'),
      AUTH_TOKEN_TTL_SECONDS: '7200',
      CREDENTIALS_KEYS: generateKeySpec('bench'),
      CREDENTIALS_ACTIVE_KEY_ID: 'bench',
      HOST: '127.0.0.1',
      PORT: String(apiPort),
      SANDBOX_URL: sandboxOrigin,
      PUBLIC_BASE_URL: `http://127.0.0.1:${apiPort}`,
      SHOPEE_PARTNER_ID: String(shopeeApp.partnerId),
      SHOPEE_PARTNER_KEY: shopeeApp.partnerKey,
      TIKTOK_SHOP_APP_KEY: ttsApp.app_key,
      TIKTOK_SHOP_APP_SECRET: ttsApp.app_secret,
      SHOPEE_CALLS_PER_SECOND: String(RATE),
      TIKTOK_SHOP_CALLS_PER_SECOND: String(RATE),
    };
    const apiUrl = `http://127.0.0.1:${apiPort}`;
    api = startProcess(
      [...API_NODE_ARGS, 'dist/src/server.js'],
      { ...appEnv, METRICS_PORT: String(await freePort()) },
      'API',
    );
    const startWorker = async (coalesceMs: number, budget: number) => {
      await stop(worker);
      // The sandbox's limit and the adapters' declared budget always match.
      await http('POST', `${control}/shopee/configure`, { rateLimitPerSecond: budget });
      await http('POST', `${control}/tiktok-shop/configure`, { rate_limit_per_second: budget });
      worker = startProcess(
        [...WORKER_NODE_ARGS, 'dist/workers/main.js'],
        {
          ...appEnv,
          SHOPEE_CALLS_PER_SECOND: String(budget),
          TIKTOK_SHOP_CALLS_PER_SECOND: String(budget),
          EDIT_COALESCE_MS: String(coalesceMs),
          METRICS_PORT: String(await freePort()),
        },
        `worker (coalesce ${coalesceMs} ms)`,
      );
      await sleep(1500);
      if (worker.child.exitCode !== null) throw new Error(`worker exited: ${worker.output().slice(-2000)}`);
    };
    await startWorker(EDIT_COALESCE_MS, EDIT_BUDGET);
    await until('API ready', 60_000, async () =>
      (await fetch(`${apiUrl}/health/ready`)).ok ? true : undefined,
    );

    const shops = await connectDemoShops({
      databaseUrl: dbUrl,
      config: loadConfig(appEnv),
      apiUrl,
      controlUrl: control,
      log,
    });
    const shopState = async (platform: 'shopee' | 'tiktok-shop') => {
      const id = platform === 'shopee' ? shops.shopee.shopId : shops.tiktokShop.shopId;
      return pricesOf((await http('GET', `${control}/${platform}/shops/${id}/state`)).json);
    };
    const counters = async () => (await http('GET', `${control}/counters`)).json.counters as Counters;
    const login = await http('POST', `${apiUrl}/v1/auth/login`, {
      username: 'demo-operator',
      password: operatorPassword,
    });
    const auth = { authorization: `Bearer ${login.json.token as string}` };

    // Single-SKU products like the demo's bag (its category, photo and crafter), inserted directly.
    const [template] = await sql`
      select p.crafter_id, p.category, p.attributes, p.image_urls, p.description
      from products p where p.category = 'kerajinan/anyaman' limit 1`;
    if (!template) throw new Error('no demo product to copy');
    const insertProducts = async (
      count: number,
      prefix: string,
    ): Promise<Array<{ id: string; sku: string }>> => {
      const made: Array<{ id: string; sku: string }> = [];
      for (let offset = 0; offset < count; offset += 1000) {
        const products = [];
        const variants = [];
        for (let i = offset; i < Math.min(count, offset + 1000); i += 1) {
          const id = randomUUID();
          const sku = `${prefix}-${i + 1}`;
          made.push({ id, sku });
          products.push({
            id,
            crafter_id: template.crafter_id,
            title: `Tas Anyaman Pandan Bench ${prefix} ${i + 1}`,
            description: template.description,
            category: template.category,
            attributes: sql.json(template.attributes),
            image_urls: sql.json(template.image_urls),
            status: 'active',
          });
          variants.push({
            product_id: id,
            crafter_id: template.crafter_id,
            sku,
            options: sql.json({}),
            price_idr: 100_000,
            stock: 10,
            weight_grams: 400,
            position: 0,
          });
        }
        await sql`insert into products ${sql(products)}`;
        await sql`insert into variants ${sql(variants)}`;
      }
      return made;
    };
    // Through the API's bulk publish, as a crafter who connects a shop publishes the catalogue:
    // PUBLISH_BATCH products a call (the first pushes start when the first call commits), both shops
    // at once, calls one after another.
    const publishAll = async (items: Array<{ id: string }>) => {
      // A fresh login: the token of the start may have expired by the publish run.
      const session = await http('POST', `${apiUrl}/v1/auth/login`, {
        username: 'demo-operator',
        password: operatorPassword,
      });
      const publishAuth = { authorization: `Bearer ${session.json.token as string}` };
      for (let offset = 0; offset < items.length; offset += PUBLISH_BATCH) {
        await http(
          'POST',
          `${apiUrl}/v1/listings/publish`,
          {
            productIds: items.slice(offset, offset + PUBLISH_BATCH).map((item) => item.id),
            connectionIds: [shops.shopee.connectionId, shops.tiktokShop.connectionId],
          },
          publishAuth,
        );
      }
    };

    /** The phases after the commit of every edit since `since`, from the outbox and the push jobs. */
    const editPhases = async (since: number): Promise<OutwardBenchResult['edit'][number]['phases']> => {
      const pair = (values: number[]): [number, number] => [percentile(values, 50), percentile(values, 99)];
      const relay = await sql<{ ms: number }[]>`
        select extract(epoch from (relayed_at - created_at)) * 1000 as ms from outbox
        where topic = 'product.changed' and created_at >= to_timestamp(${since / 1000}) and relayed_at is not null`;
      const redis = new Redis(redisUrl);
      const queued: number[] = [];
      const push: number[] = [];
      try {
        for (const name of [PUSH_QUEUE.shopee, PUSH_QUEUE.tiktok_shop]) {
          const queue = new Queue(name, { connection: redis, prefix: queuePrefix });
          for (const job of await queue.getJobs(['completed'], 0, -1)) {
            if (job.name !== EDIT_JOB || job.timestamp < since || !job.processedOn || !job.finishedOn)
              continue;
            // A job delayed by the edit spacing waited on purpose: its wait counts from its delay's end.
            queued.push(job.processedOn - (job.timestamp + (job.opts.delay ?? 0)));
            push.push(job.finishedOn - job.processedOn);
          }
          await queue.close();
        }
      } finally {
        redis.disconnect();
      }
      return { relay: pair(relay.map((r) => Number(r.ms))), queued: pair(queued), push: pair(push) };
    };

    /** CPU seconds of every process of the stack, for the difference over a run (`cpuSince`). */
    const cpuNow = async () => ({
      worker: await cpuSeconds(worker?.child.pid),
      api: await cpuSeconds(api?.child.pid),
      sandbox: await cpuSeconds(sandbox?.child.pid),
      bench: process.cpuUsage(),
      postgres: await programCpuSeconds('postgres'),
      redis: await programCpuSeconds('redis-server'),
    });
    const cpuSince = async (start: Awaited<ReturnType<typeof cpuNow>>) => {
      const end = await cpuNow();
      const bench = process.cpuUsage(start.bench);
      return {
        worker: end.worker - start.worker,
        api: end.api - start.api,
        sandbox: end.sandbox - start.sandbox,
        bench: (bench.user + bench.system) / 1e6,
        postgres: end.postgres - start.postgres,
        redis: end.redis - start.redis,
      };
    };

    const result: OutwardBenchResult = {
      edit: [],
      warmups: [],
      burst: [],
      publish: null,
      rss: { max: 0, median: 0 },
    };
    // Products for the edit runs, live on both shops before any edit.
    const editProducts = await insertProducts(EDIT_PRODUCTS, 'EDIT');
    await publishAll(editProducts);
    await until('edit products live on both shops', 180_000, async () => {
      const [a, b] = await Promise.all([shopState('shopee'), shopState('tiktok-shop')]);
      return editProducts.every((p) => a.get(p.sku) === 100_000 && b.get(p.sku) === 100_000)
        ? true
        : undefined;
    });
    log(`${EDIT_PRODUCTS} products live on both shops`);
    const etags = new Map<string, string>();
    for (const p of editProducts) {
      const res = await fetch(`${apiUrl}/v1/products/${p.id}`, { headers: auth });
      etags.set(p.id, res.headers.get('etag') ?? '');
      await res.body?.cancel();
    }
    let nextPrice = 100_000;
    let patchTimes: number[] = [];
    const patchPrice = async (product: { id: string; sku: string }, price: number) => {
      const sent = Date.now();
      const res = await http(
        'PATCH',
        `${apiUrl}/v1/products/${product.id}`,
        { variants: [{ sku: product.sku, options: {}, priceIdr: price, stock: 10, weightGrams: 400 }] },
        { ...auth, 'if-match': etags.get(product.id) ?? '' },
      );
      etags.set(product.id, res.headers.get('etag') ?? '');
      patchTimes.push(Date.now() - sent);
    };

    // The default window at both rates, REPEATS times each (the machine is shared: the figure is the
    // median of the runs), then one run with a shorter window for the trade-off on bursts.
    const runs =
      EDIT_SECONDS > 0
        ? [
            ...Array.from({ length: REPEATS }, () => [
              { coalesceMs: EDIT_COALESCE_MS, rate: EDIT_RATE, burst: true },
              { coalesceMs: EDIT_COALESCE_MS, rate: LIGHT_RATE, burst: false },
            ]).flat(),
            ...(SHORT_COALESCE_MS !== EDIT_COALESCE_MS
              ? [{ coalesceMs: SHORT_COALESCE_MS, rate: EDIT_RATE, burst: true }]
              : []),
          ]
        : [];
    let workerWindow = -1;
    for (const { coalesceMs, rate: runRate, burst: runBurst } of runs) {
      // A fresh worker first takes a warm-up run at 50 edits/s, reported apart and not counted: the
      // first seconds of a new process (V8 compiling the hot paths, pools opening connections,
      // statements prepared per connection) are not the steady state a long-running worker serves.
      const warmup = coalesceMs !== workerWindow && WARMUP_SECONDS > 0;
      if (coalesceMs !== workerWindow) await startWorker(coalesceMs, EDIT_BUDGET);
      workerWindow = coalesceMs;
      for (const phase of warmup ? (['warmup', 'measured'] as const) : (['measured'] as const)) {
        const rate = phase === 'warmup' ? EDIT_RATE : runRate;
        const burst = phase === 'warmup' ? false : runBurst;
        const seconds = phase === 'warmup' ? WARMUP_SECONDS : EDIT_SECONDS;
        await sleep(2000);
        // Poll both shops; the first poll that shows a price marks it visible (time the answer came).
        const firstSeen = { shopee: new Map<string, number>(), tiktok: new Map<string, number>() };
        let polling = true;
        const poll = async (platform: 'shopee' | 'tiktok-shop', into: Map<string, number>) => {
          while (polling) {
            const prices = await shopState(platform).catch(() => new Map<string, number>());
            const at = Date.now();
            for (const [sku, price] of prices) {
              const key = `${sku}@${price}`;
              if (!into.has(key)) into.set(key, at);
            }
            await sleep(POLL_MS);
          }
        };
        const pollers = [poll('shopee', firstSeen.shopee), poll('tiktok-shop', firstSeen.tiktok)];
        const edits: Array<{ key: string; sentAt: number; ackAt?: number }> = [];
        const lastKey = new Map<string, string>();
        patchTimes = [];
        const cpuAtStart = await cpuNow();
        const total = Math.round(seconds * rate);
        const started = Date.now();
        const inflight: Array<Promise<void>> = [];
        for (let i = 0; i < total; i += 1) {
          const due = started + (i * 1000) / rate;
          if (due > Date.now()) await sleep(due - Date.now());
          const product = editProducts[i % editProducts.length];
          if (!product) continue;
          nextPrice += 100;
          const price = nextPrice;
          const sentAt = Date.now();
          const edit: { key: string; sentAt: number; ackAt?: number } = {
            key: `${product.sku}@${price}`,
            sentAt,
          };
          edits.push(edit);
          lastKey.set(product.sku, edit.key);
          // One request in flight per product (its ETag), edits of different products overlap.
          const previous = inflight[i % editProducts.length] ?? Promise.resolve();
          inflight[i % editProducts.length] = previous.then(async () => {
            await patchPrice(product, price);
            edit.ackAt = Date.now();
          });
        }
        await Promise.all(inflight);
        const sentRate = total / ((Date.now() - started) / 1000);
        // Earlier edits of a product may be coalesced away; its last edit must arrive.
        await until('the last edit of every product visible on both shops', 60_000, async () =>
          [...lastKey.values()].every((k) => firstSeen.shopee.has(k) && firstSeen.tiktok.has(k))
            ? true
            : undefined,
        ).catch((err: unknown) => log(String(err)));
        polling = false;
        await Promise.all(pollers);
        const cpu = await cpuSince(cpuAtStart);
        const lat = { shopee: [] as number[], tiktok: [] as number[], both: [] as number[] };
        const fromCommit: number[] = [];
        for (const e of edits) {
          const s = firstSeen.shopee.get(e.key);
          const t = firstSeen.tiktok.get(e.key);
          if (s !== undefined) lat.shopee.push(s - e.sentAt);
          if (t !== undefined) lat.tiktok.push(t - e.sentAt);
          if (s !== undefined && t !== undefined) {
            lat.both.push(Math.max(s, t) - e.sentAt);
            if (e.ackAt !== undefined) fromCommit.push(Math.max(s, t) - e.ackAt);
          }
        }
        const phases = await editPhases(started);
        const run = {
          coalesceMs,
          rate,
          edits: edits.length,
          phases,
          seen: { shopee: lat.shopee.length, tiktok: lat.tiktok.length },
          p50: {
            shopee: percentile(lat.shopee, 50),
            tiktok: percentile(lat.tiktok, 50),
            both: percentile(lat.both, 50),
          },
          p99: {
            shopee: percentile(lat.shopee, 99),
            tiktok: percentile(lat.tiktok, 99),
            both: percentile(lat.both, 99),
          },
          sentRate,
          patch: { p50: percentile(patchTimes, 50), p99: percentile(patchTimes, 99) },
          fromCommit: { p50: percentile(fromCommit, 50), p99: percentile(fromCommit, 99) },
          cpu,
          load: loadavg()[0] ?? 0,
        };
        if (phase === 'warmup') {
          result.warmups.push(run);
          log(`warm-up (coalesce ${coalesceMs} ms, not counted): ${JSON.stringify(run)}`);
          continue;
        }
        result.edit.push(run);
        log(`edit→visible (coalesce ${coalesceMs} ms): ${JSON.stringify(run)}`);

        if (!burst) continue;
        // 100 quick edits of one product, one after another (each needs the previous ETag).
        await sleep(1500);
        const target = editProducts[0];
        if (!target) throw new Error('no product');
        const before = await counters();
        const burstStart = Date.now();
        let last = 0;
        for (let i = 0; i < 100; i += 1) {
          nextPrice += 100;
          last = nextPrice;
          await patchPrice(target, last);
        }
        const burstMs = Date.now() - burstStart;
        const finalOk = await until('burst final price on both shops', 30_000, async () => {
          const [a, b] = await Promise.all([shopState('shopee'), shopState('tiktok-shop')]);
          return a.get(target.sku) === last && b.get(target.sku) === last ? true : undefined;
        }).then(
          () => true,
          () => false,
        );
        await sleep(2000); // any trailing push lands in the count
        const after = await counters();
        const s = diffCounters(before, after, 'shopee');
        const t = diffCounters(before, after, 'tiktok-shop');
        result.burst.push({
          coalesceMs,
          shopee: s.calls,
          tiktok: t.calls,
          finalOk,
          detail: `100 PATCHes in ${burstMs} ms; Shopee ${JSON.stringify(s.byEndpoint)}, TikTok ${JSON.stringify(t.byEndpoint)}`,
        });
        log(`burst (coalesce ${coalesceMs} ms): ${JSON.stringify(result.burst.at(-1))}`);
      }
    }

    // Publishing against the rate limit, with the default worker.
    if (SKUS > 0) {
      await startWorker(EDIT_COALESCE_MS, RATE);
      const bulk = await insertProducts(SKUS, 'BULK');
      const before = await counters();
      const cpuBefore = await cpuNow();
      const started = Date.now();
      // Calls per second on each shop, sampled once a second: where the pipeline fell below the rate.
      const timeline: Array<{ s: number; shopee: number; tiktok: number; throttled: number }> = [];
      let sampling = true;
      const sampler = (async () => {
        let prev = before;
        while (sampling) {
          await sleep(1000);
          const now = await counters();
          const a = diffCounters(prev, now, 'shopee');
          const b = diffCounters(prev, now, 'tiktok-shop');
          timeline.push({
            s: Math.round((Date.now() - started) / 1000),
            shopee: a.calls,
            tiktok: b.calls,
            throttled: a.throttled + b.throttled,
          });
          prev = now;
        }
      })();
      await publishAll(bulk);
      const publishedMs = Date.now() - started;
      log(`${SKUS} products published (API side) in ${publishedMs} ms`);
      const wanted = SKUS * 2;
      let live = 0;
      let settled = 0;
      let lastChange = Date.now();
      // Bounded: 15 min at most, or 60 s without any listing settling (live or failed).
      const deadline = Date.now() + 900_000;
      while (Date.now() < deadline && Date.now() - lastChange < 60_000) {
        const [row] = await sql`
            select count(*) filter (where l.state = 'live')::int as live,
                   count(*) filter (where l.state in ('live', 'failed', 'needs_attention'))::int as settled
            from channel_listings l join variants v on v.product_id = l.product_id
            where v.sku like 'BULK-%'`;
        live = (row?.live as number) ?? 0;
        if ((row?.settled as number) !== settled) lastChange = Date.now();
        settled = (row?.settled as number) ?? 0;
        if (settled >= wanted) break;
        await sleep(250);
      }
      const wallMs = Date.now() - started;
      sampling = false;
      await sampler;
      if (process.env.BENCH_OUTWARD_TIMELINE)
        writeFileSync(process.env.BENCH_OUTWARD_TIMELINE, JSON.stringify(timeline));
      const after = await counters();
      const s = diffCounters(before, after, 'shopee');
      const t = diffCounters(before, after, 'tiktok-shop');
      // The bound counts the calls the work NEEDS (one create per single-SKU product per shop), not
      // the calls made: a lookup or a retry is overhead the pipeline must be charged for.
      const boundMs = (SKUS / RATE) * 1000;
      const cpu = await cpuSince(cpuBefore);
      result.publish = {
        skus: SKUS,
        wallMs,
        boundMs,
        ratio: wallMs / boundMs,
        shopee: s,
        tiktok: t,
        live,
        cpu,
        loadDuring: loadavg()[0] ?? 0,
      };
      log(`publish: ${JSON.stringify(result.publish)}`);
    }
    result.rss = { max: Math.max(...rss), median: median(rss) };
    await report(result, loadBefore, nodeOptions);
    return result;
  } finally {
    clearInterval(sampler);
    await stop(worker);
    await stop(api);
    await stop(sandbox);
    await sql.end();
    const redis = new Redis(redisUrl);
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${queuePrefix}:*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) await redis.del(...keys);
    } while (cursor !== '0');
    redis.disconnect();
    if (!process.env.BENCH_KEEP_DB) {
      const cleanup = postgres(adminUrl, { max: 1, onnotice: () => {} });
      await cleanup.unsafe(`drop database if exists "${DATABASE}" with (force)`).finally(() => cleanup.end());
    }
  }
}

/** Median over the runs at the default window, per rate. */
function summary(r: OutwardBenchResult): string[] {
  const ms = (n: number) => (Number.isFinite(n) ? `${Math.round(n)} ms` : 'n/a');
  const rates = [...new Set(r.edit.filter((e) => e.coalesceMs === EDIT_COALESCE_MS).map((e) => e.rate))];
  return [
    `Median of the runs at the default window (EDIT_COALESCE_MS = ${EDIT_COALESCE_MS}):`,
    '',
    '| edits/s | runs | p50 both (median of runs) | p99 both (median of runs) | p99 both per run | goal p99 ≤ 300 ms |',
    '| ---: | ---: | ---: | ---: | --- | --- |',
    ...rates.map((rate) => {
      const runs = r.edit.filter((e) => e.coalesceMs === EDIT_COALESCE_MS && e.rate === rate);
      const p99 = median(runs.map((e) => e.p99.both));
      return (
        `| ${rate} | ${runs.length} | ${ms(median(runs.map((e) => e.p50.both)))} | **${ms(p99)}** | ` +
        `${runs.map((e) => ms(e.p99.both)).join(', ')} | ${p99 <= 300 ? 'met' : 'NOT met'} |`
      );
    }),
  ];
}

async function report(r: OutwardBenchResult, loadBefore: string, nodeOptions: string): Promise<void> {
  const ms = (n: number) => (Number.isFinite(n) ? `${Math.round(n)} ms` : 'n/a');
  const loadAfter = loadavg()
    .map((l) => l.toFixed(2))
    .join(' / ');
  const lines = [
    '## Outward sync (`bench/outward.ts`)',
    '',
    `Machine: ${await machineLine()}; load average (1/5/15 min) before: ${loadBefore}, after: ${loadAfter}.`,
    '',
    'Real processes: the sandbox (`node --import tsx sandbox/main.ts`), the API and one worker from the compiled ' +
      `build (\`node dist/src/server.js\`, \`node dist/workers/main.js\`, APP_MODE=demo, NODE_OPTIONS="${nodeOptions}"), ` +
      'Postgres and Redis on the same 2 cores, plus the load generator and the sandbox pollers in the bench process. ' +
      `Sandbox per-shop rate limit on both platforms equal to the adapters' declared budget ` +
      `(SHOPEE_CALLS_PER_SECOND / TIKTOK_SHOP_CALLS_PER_SECOND): ${EDIT_BUDGET} calls/s in the edit runs, ` +
      `${RATE} calls/s in the publish run; sandbox reviews instant.`,
    '',
    `### Edit → visible on both shops (${EDIT_RATE} edits/s, and ${LIGHT_RATE} edits/s for comparison; ${EDIT_SECONDS} s each, ${REPEATS} runs each at the default window)`,
    '',
    `Price PATCHes through the API, round-robin over ${EDIT_PRODUCTS} live single-SKU products published to one ` +
      'Shopee and one Tokopedia (TikTok Shop) sandbox shop. Latency: from sending the PATCH to the first poll of ' +
      `the sandbox shop state (\`/__sandbox/{platform}/shops/:id/state\`, polled back-to-back with ${POLL_MS} ms pauses) ` +
      'that shows the new price; so it includes up to one poll round trip. "Both" = the later of the two shops. ' +
      `Each product is edited every ${EDIT_PRODUCTS / EDIT_RATE} s at ${EDIT_RATE} edits/s, so with a window shorter than that ` +
      'every edit is the first after a quiet spell and is pushed at once; an edit never seen was overtaken by the next ' +
      'edit of its product before it became visible (coalesced away), and counts in no percentile.',
    '',
    ...summary(r),
    '',
    'Every run:',
    '',
    '| EDIT_COALESCE_MS | edits/s asked | edits (completed rate) | PATCH p50 / p99 | seen Shopee / TikTok | p50 Shopee / TikTok / both | p99 Shopee / TikTok / both | goal p99 ≤ 300 ms | CPU s worker / API / sandbox / bench (pollers) / Postgres | load (1 min) |',
    '| ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: | ---: |',
    ...r.edit.map(
      (e) =>
        `| ${e.coalesceMs}${e.coalesceMs === EDIT_COALESCE_MS ? ' (default)' : ''} | ${e.rate} | ${e.edits} (${e.sentRate.toFixed(1)}/s) | ${ms(e.patch.p50)} / ${ms(e.patch.p99)} | ${e.seen.shopee} / ${e.seen.tiktok} | ` +
        `${ms(e.p50.shopee)} / ${ms(e.p50.tiktok)} / ${ms(e.p50.both)} | ${ms(e.p99.shopee)} / ${ms(e.p99.tiktok)} / **${ms(e.p99.both)}** | ` +
        `${e.p99.both <= 300 ? 'met' : 'NOT met'} | ${e.cpu.worker.toFixed(1)} / ${e.cpu.api.toFixed(1)} / ${e.cpu.sandbox.toFixed(1)} / ${e.cpu.bench.toFixed(1)} / ${e.cpu.postgres.toFixed(1)} | ${e.load.toFixed(1)} |`,
    ),
    '',
    'Where the time after the commit went, p50 / p99 per run (outbox row → relayed; push job added → started; push started → finished, both shops): ' +
      r.edit
        .map(
          (e) =>
            `${e.coalesceMs} ms window at ${e.rate}/s relay ${ms(e.phases.relay[0])} / ${ms(e.phases.relay[1])}, ` +
            `queued ${ms(e.phases.queued[0])} / ${ms(e.phases.queued[1])}, push ${ms(e.phases.push[0])} / ${ms(e.phases.push[1])}`,
        )
        .join('; ') +
      '.',
    '',
    r.warmups.length > 0
      ? `Warm-up, not counted above: after each worker start, ${WARMUP_SECONDS} s of edits at ${EDIT_RATE}/s before the measured runs (a new process compiles its hot paths, opens its pool connections and prepares its statements per connection; a long-running worker has done so). Both shops: ` +
        r.warmups
          .map(
            (e) =>
              `${e.coalesceMs} ms window p50 ${ms(e.p50.both)}, p99 ${ms(e.p99.both)} (PATCH p99 ${ms(e.patch.p99)}, seen ${e.seen.shopee} / ${e.seen.tiktok} of ${e.edits})`,
          )
          .join('; ') +
        '.'
      : 'No warm-up run (BENCH_OUTWARD_WARMUP_SECONDS=0): the first run after each worker start includes its cold start.',
    '',
    'Measured from the PATCH answer (the edit committed) instead of from sending it, both shops: ' +
      r.edit
        .map(
          (e) =>
            `${e.coalesceMs} ms window at ${e.rate}/s p50 ${ms(e.fromCommit.p50)}, p99 ${ms(e.fromCommit.p99)}`,
        )
        .join('; ') +
      '.',
    '',
    '### 100 quick edits of one product',
    '',
    '| EDIT_COALESCE_MS | remote calls Shopee | remote calls TikTok | final price = last edit | goal ≤ 3 per channel | detail |',
    '| ---: | ---: | ---: | --- | --- | --- |',
    ...r.burst.map(
      (b) =>
        `| ${b.coalesceMs} | ${b.shopee} | ${b.tiktok} | ${b.finalOk ? 'yes' : 'NO'} | ${Math.max(b.shopee, b.tiktok) <= 3 ? 'met' : 'NOT met'} | ${b.detail} |`,
    ),
    '',
    'Counted from the sandbox call counters (every call to either platform from the first PATCH until 2 s after ' +
      'the final price was visible; nothing else ran meanwhile).',
    '',
    '### Publishing against the per-shop rate limit',
    '',
    ...(r.publish
      ? [
          `${r.publish.skus.toLocaleString('en-US')} single-SKU products published to both shops ` +
            `(${(r.publish.skus * 2).toLocaleString('en-US')} listings; ${r.publish.live.toLocaleString('en-US')} live at the end). ` +
            `Wall time from the first publish call (the API’s bulk publish, \`POST /v1/listings/publish\`, ${PUBLISH_BATCH} products and both shops a call, calls one after another) to every listing \`live\` in Postgres.`,
          '',
          '| SKUs | remote calls Shopee / TikTok | throttled (429) Shopee / TikTok | rate-limit bound (calls needed ÷ declared rate) | wall time | wall ÷ bound | goal ≤ 1.10 |',
          '| ---: | ---: | ---: | ---: | ---: | ---: | --- |',
          `| ${r.publish.skus.toLocaleString('en-US')} | ${r.publish.shopee.calls} / ${r.publish.tiktok.calls} | ${r.publish.shopee.throttled} / ${r.publish.tiktok.throttled} | ` +
            `${(r.publish.boundMs / 1000).toFixed(1)} s | ${(r.publish.wallMs / 1000).toFixed(1)} s | **${r.publish.ratio.toFixed(2)}** | ${r.publish.live < r.publish.skus * 2 ? 'not all live: no figure' : r.publish.ratio <= 1.1 ? 'met' : 'NOT met'} |`,
          '',
          `Calls needed: one create per product per shop (${r.publish.skus.toLocaleString('en-US')}), at the declared ${RATE} calls/s (Shopee: per shop; TikTok Shop: per API of a shop, as the platform counts). ` +
            'The adapters hold themselves to 1/1.05 of the declared rate (a 5 % safety margin in src/queues/shop-rate-limit.ts against ' +
            "jitter between our send and the platform's count), so 1.05 is the floor of this ratio, not a slack. " +
            'Whether items are still in review is read in batch calls (a review sweep per shop), which TikTok Shop counts against its search API, not the create API.',
          '',
          `Calls by endpoint: Shopee ${JSON.stringify(r.publish.shopee.byEndpoint)}; TikTok ${JSON.stringify(r.publish.tiktok.byEndpoint)}.`,
          '',
          `CPU used during the run: worker ${r.publish.cpu.worker.toFixed(1)} s ` +
            `(${((r.publish.cpu.worker * 1000) / (r.publish.skus * 2)).toFixed(1)} ms per listing pushed), ` +
            `sandbox ${r.publish.cpu.sandbox.toFixed(1)} s, API ${r.publish.cpu.api.toFixed(1)} s, ` +
            `bench process (publish calls, polling Postgres) ${r.publish.cpu.bench.toFixed(1)} s; Postgres (every backend; ones that ended meanwhile not counted) ${r.publish.cpu.postgres.toFixed(1)} s, Redis ${r.publish.cpu.redis.toFixed(1)} s. ` +
            `1-minute load average at the end of the run: ${r.publish.loadDuring.toFixed(1)} (2 cores).`,
        ]
      : ['Not measured in this run (BENCH_OUTWARD_SKUS=0).']),
    '',
    `### Worker RSS`,
    '',
    `VmRSS of the worker process sampled every 250 ms over all runs above: median ${r.rss.median.toFixed(0)} MiB, ` +
      `max ${r.rss.max.toFixed(0)} MiB (goal ≤ 200 MB = 191 MiB: ${r.rss.max * 2 ** 20 <= 200e6 ? 'met' : 'NOT met'}).`,
  ];
  const markdown = lines.join('\n');
  await writeBenchmarkSection('outward', markdown);
  process.stdout.write(`${markdown}\n`);
}

const isMain = process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1];
if (isMain) {
  main().then(
    () => process.exit(0),
    (err: unknown) => {
      process.stderr.write(
        `outward bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
      );
      process.exit(1);
    },
  );
}
