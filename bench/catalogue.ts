/**
 * Catalogue listing throughput: requests/s of `GET /v1/products?limit=50` (one page of 50 products,
 * each with 2 variants, out of 10,000) against the real API started as a separate process, compared
 * in the same run with a bare Fastify process returning a fixed JSON body of the same byte size.
 * The ratio says what our stack (auth, scoping, Postgres, zod serialisation) costs over the framework
 * floor on this machine. Goal: ratio ≥ 0.4. Also records the API process RSS under that load
 * (goal ≤ 150 MB). The API runs as production runs it: compiled (`npm run build` first), `node
 * dist/src/server.js` with APP_MODE=production and NODE_ENV=production, as in the Dockerfile.
 *
 * Run: `npx tsx bench/catalogue.ts` (or `npm run bench`). Needs Postgres and Redis; uses its own
 * database `kriya_bench_catalogue` (recreated each run) on the server of BENCH_DATABASE_ADMIN_URL.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import postgres from 'postgres';
import { importRegionsFile, tangselRegionsFile } from '../src/cli/import-regions.js';
import { runMigrations } from '../src/db/migrate.js';
import { freePort } from '../src/dev/ports.js';
import { withDatabase } from '../src/dev/probes.js';
import { type AutocannonResult, autocannon, median } from './lib/load.js';
import { machineLine, writeBenchmarkSection } from './lib/report.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const PRODUCTS = Number(process.env.BENCH_PRODUCTS ?? 10_000);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);
const PAGE = 50;
const DATABASE = 'kriya_bench_catalogue';
const adminUrl = process.env.BENCH_DATABASE_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

/** A fresh, migrated database with the Tangsel regions, 10,000 products and a bench operator. */
async function prepareDatabase(): Promise<{ url: string; username: string; password: string }> {
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  try {
    await admin.unsafe(`drop database if exists "${DATABASE}" with (force)`);
    await admin.unsafe(`create database "${DATABASE}"`);
  } finally {
    await admin.end();
  }
  const url = withDatabase(adminUrl, DATABASE);
  await runMigrations(url);
  await importRegionsFile(url, tangselRegionsFile);

  const { createDatabase } = await import('../src/db/client.js');
  const { createUserUnscoped } = await import('../src/services/users.js');
  const handle = createDatabase(url, { max: 2 });
  const sql = handle.sql;
  try {
    const kelurahan = (await sql`select code from regions where level = 'kelurahan' order by code`).map(
      (r) => r.code as string,
    );
    const crafters = kelurahan.slice(0, 20).map((code, i) => ({
      id: randomUUID(),
      business_name: `Bench Kriya ${i + 1}`,
      owner_name: 'Ibu Bench',
      phone: '0812-0000-0000',
      kelurahan_code: code,
      craft_category: 'crafts',
    }));
    await sql`insert into crafters ${sql(crafters)}`;

    const started = Date.now();
    const base = Date.now() - PRODUCTS * 1000;
    for (let offset = 0; offset < PRODUCTS; offset += 1000) {
      const products = [];
      const variants = [];
      for (let i = offset; i < Math.min(offset + 1000, PRODUCTS); i += 1) {
        const id = randomUUID();
        const crafterId = crafters[i % crafters.length]?.id ?? '';
        const at = new Date(base + i * 1000).toISOString();
        products.push({
          id,
          crafter_id: crafterId,
          title: `Tas anyaman pandan nomor ${i + 1}`,
          description: 'Anyaman pandan buatan tangan dari Tangerang Selatan, cocok untuk belanja harian.',
          category: 'crafts/anyaman',
          attributes: JSON.stringify({ bahan: 'pandan', asal: 'Tangerang Selatan' }),
          image_urls: JSON.stringify([`https://img.example.com/products/${i + 1}.jpg`]),
          status: 'active',
          created_at: at,
          updated_at: at,
        });
        for (const [position, colour] of ['merah', 'biru'].entries()) {
          variants.push({
            product_id: id,
            crafter_id: crafterId,
            sku: `TAS-${i + 1}-${colour.toUpperCase()}`,
            options: JSON.stringify({ warna: colour }),
            price_idr: 150_000 + position * 5000,
            stock: 10,
            weight_grams: 400,
            position,
          });
        }
      }
      await sql`insert into products ${sql(products)}`;
      await sql`insert into variants ${sql(variants)}`;
    }
    await sql`analyze`;
    process.stdout.write(
      `inserted ${PRODUCTS} products and ${PRODUCTS * 2} variants in ${Date.now() - started} ms\n`,
    );

    const username = 'bench-operator';
    const password = randomBytes(16).toString('base64url');
    await createUserUnscoped(handle.db, {
      username,
      displayName: 'Bench operator',
      password,
      role: 'operator',
    });
    return { url, username, password };
  } finally {
    await handle.close();
  }
}

function startProcess(args: string[], env: Record<string, string>, name: string): ChildProcess {
  const child = spawn(process.execPath, args, {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (d: Buffer) => {
    output = (output + d.toString()).slice(-4000);
  });
  child.stderr?.on('data', (d: Buffer) => {
    output = (output + d.toString()).slice(-4000);
  });
  child.on('exit', (code, signal) => {
    if (code !== 0 && signal !== 'SIGTERM')
      process.stderr.write(`${name} exited (${code ?? signal}):\n${output}\n`);
  });
  return child;
}

async function waitFor(url: string, child: ChildProcess, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`process for ${url} exited with ${child.exitCode}`);
    try {
      const res = await fetch(url);
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`${url} did not answer 200 within ${timeoutMs} ms`);
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}

/** Resident set size of a process in MiB, from /proc (Linux). */
async function rssMiB(pid: number): Promise<number | null> {
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    const kb = /VmRSS:\s+(\d+)\s+kB/.exec(status)?.[1];
    return kb ? Number(kb) / 1024 : null;
  } catch {
    return null;
  }
}

/** The bare control: Fastify answering one route with a fixed, pre-serialised JSON body. */
const BARE_SERVER = `
import Fastify from 'fastify';
const body = Buffer.from(process.env.BENCH_BODY_B64, 'base64');
const app = Fastify({ logger: false });
app.get('/page', (_req, reply) => { reply.type('application/json; charset=utf-8').send(body); });
await app.listen({ host: '127.0.0.1', port: Number(process.env.PORT) });
`;

interface Series {
  rps: number[];
  p99: number[];
}

async function load(url: string, headers: Record<string, string>, label: string): Promise<AutocannonResult> {
  const result = await autocannon({ url, connections: CONNECTIONS, duration: SECONDS, headers });
  if (result.non2xx > 0 || result.errors > 0 || result.timeouts > 0) {
    throw new Error(
      `${label}: ${result.non2xx} non-2xx, ${result.errors} errors, ${result.timeouts} timeouts`,
    );
  }
  process.stdout.write(
    `${label}: ${Math.round(result.requests.average)} req/s, p50 ${result.latency.p50} ms, p99 ${result.latency.p99} ms\n`,
  );
  return result;
}

export interface CatalogueBenchResult {
  api: { median: number; min: number; max: number; p99: number };
  apiUncached: { median: number; min: number; max: number; p99: number };
  bare: { median: number; min: number; max: number; p99: number };
  ratio: number;
  rssMiB: { max: number; median: number; idle: number };
  pageBytes: number;
}

/** NODE_OPTIONS of the production image (the Dockerfile's ENV), so the API runs with production's runtime flags. */
async function productionNodeOptions(): Promise<string> {
  const dockerfile = await readFile(`${root}/Dockerfile`, 'utf8');
  const value = /NODE_OPTIONS="([^"]*)"/.exec(dockerfile)?.[1];
  if (value === undefined) throw new Error('the Dockerfile sets no NODE_OPTIONS="..."');
  return value;
}

/** The compiled build the API runs from; rebuilt each run so the figures are of the current code. */
function build(): void {
  const started = Date.now();
  const result = spawnSync('npm', ['run', '--silent', 'build'], { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) throw new Error(`npm run build failed (${result.status ?? result.signal})`);
  process.stdout.write(`built dist/ in ${Date.now() - started} ms\n`);
}

export async function main(): Promise<CatalogueBenchResult> {
  build();
  const nodeOptions = await productionNodeOptions();
  const db = await prepareDatabase();
  const secret = randomBytes(32).toString('hex');
  // One prefix for the run: the API processes create queue keys, removed at the end.
  const queuePrefix = `bench_${randomBytes(3).toString('hex')}`;
  const startApi = async (listCacheMb: number, label: string) => {
    const port = await freePort();
    const child = startProcess(
      ['dist/src/server.js'],
      {
        APP_MODE: 'production',
        NODE_ENV: 'production',
        NODE_OPTIONS: nodeOptions,
        LOG_LEVEL: 'warn',
        HOST: '127.0.0.1',
        PORT: String(port),
        DATABASE_URL: db.url,
        REDIS_URL: redisUrl,
        QUEUE_PREFIX: queuePrefix,
        AUTH_TOKEN_SECRET: secret,
        AUTH_TOKEN_TTL_SECONDS: '3600',
        LIST_CACHE_MAX_MB: String(listCacheMb),
      },
      label,
    );
    return { base: `http://127.0.0.1:${port}`, child };
  };
  const { base: apiBase, child: apiProcess } = await startApi(32, 'API');
  let bareProcess: ChildProcess | undefined;
  let uncachedProcess: ChildProcess | undefined;
  try {
    await waitFor(`${apiBase}/health/ready`, apiProcess);
    // The same API with the list-page cache off: what a cache miss costs (Postgres, drizzle, zod).
    const uncached = await startApi(0, 'API (no list cache)');
    uncachedProcess = uncached.child;
    await waitFor(`${uncached.base}/health/ready`, uncached.child);
    const uncachedUrl = `${uncached.base}/v1/products?limit=${PAGE}`;
    const login = await fetch(`${apiBase}/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: db.username, password: db.password }),
    });
    if (!login.ok) throw new Error(`bench login failed: ${login.status} ${await login.text()}`);
    const { token } = (await login.json()) as { token: string };
    const auth = { authorization: `Bearer ${token}` };
    const pageUrl = `${apiBase}/v1/products?limit=${PAGE}`;
    const page = await fetch(pageUrl, { headers: auth });
    const pageBody = Buffer.from(await page.arrayBuffer());
    const items = (JSON.parse(pageBody.toString('utf8')) as { items: unknown[] }).items;
    if (!page.ok || items.length !== PAGE)
      throw new Error(`unexpected page: ${page.status}, ${items.length} items`);

    const barePort = await freePort();
    bareProcess = startProcess(
      ['--input-type=module', '-e', BARE_SERVER],
      // The same runtime flags, so the ratio compares code, not V8 settings.
      { PORT: String(barePort), BENCH_BODY_B64: pageBody.toString('base64'), NODE_OPTIONS: nodeOptions },
      'bare Fastify',
    );
    const bareUrl = `http://127.0.0.1:${barePort}/page`;
    await waitFor(bareUrl, bareProcess);
    const bareBytes = Buffer.from(await (await fetch(bareUrl)).arrayBuffer()).length;
    if (bareBytes !== pageBody.length)
      throw new Error(`bare body is ${bareBytes} bytes, page is ${pageBody.length}`);

    const idleRss = (apiProcess.pid !== undefined ? await rssMiB(apiProcess.pid) : null) ?? Number.NaN;
    const loadBefore = loadavg()
      .map((l) => l.toFixed(2))
      .join(' / ');
    // Warm-up (JIT, connection pools), then alternate so drift on the machine hits both alike.
    await autocannon({ url: pageUrl, connections: CONNECTIONS, duration: 2, headers: auth });
    await autocannon({ url: bareUrl, connections: CONNECTIONS, duration: 2 });
    const apiSeries: Series = { rps: [], p99: [] };
    const uncachedSeries: Series = { rps: [], p99: [] };
    const bareSeries: Series = { rps: [], p99: [] };
    const rss: number[] = [];
    for (let run = 1; run <= RUNS; run += 1) {
      const sampler = setInterval(() => {
        if (apiProcess.pid !== undefined) void rssMiB(apiProcess.pid).then((v) => v !== null && rss.push(v));
      }, 250);
      try {
        const a = await load(pageUrl, auth, `API run ${run}`);
        apiSeries.rps.push(a.requests.average);
        apiSeries.p99.push(a.latency.p99);
      } finally {
        clearInterval(sampler);
      }
      const b = await load(bareUrl, {}, `bare run ${run}`);
      bareSeries.rps.push(b.requests.average);
      bareSeries.p99.push(b.latency.p99);
    }

    // Measured after the comparison, so its saturated Postgres cannot disturb the API/bare pairs.
    await autocannon({ url: uncachedUrl, connections: CONNECTIONS, duration: 2, headers: auth });
    for (let run = 1; run <= RUNS; run += 1) {
      const u = await load(uncachedUrl, auth, `API without list cache run ${run}`);
      uncachedSeries.rps.push(u.requests.average);
      uncachedSeries.p99.push(u.latency.p99);
    }

    const summary = (s: Series) => ({
      median: median(s.rps),
      min: Math.min(...s.rps),
      max: Math.max(...s.rps),
      p99: median(s.p99),
    });
    const result: CatalogueBenchResult = {
      api: summary(apiSeries),
      apiUncached: summary(uncachedSeries),
      bare: summary(bareSeries),
      ratio: median(apiSeries.rps) / median(bareSeries.rps),
      rssMiB: { max: Math.max(...rss), median: median(rss), idle: idleRss },
      pageBytes: pageBody.length,
    };
    const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
    const markdown = [
      '## Catalogue listing (`bench/catalogue.ts`)',
      '',
      `Machine: ${await machineLine()}; load average (1/5/15 min) before the runs: ${loadBefore}.`,
      '',
      `\`GET /v1/products?limit=${PAGE}\` as an operator (first page of ${fmt(PRODUCTS)} products, 2 variants each; ` +
        `${fmt(pageBody.length)} bytes) against the real API as production runs it, its own process from the ` +
        `compiled build (\`node dist/src/server.js\`, APP_MODE=production, NODE_ENV=production, ` +
        `NODE_OPTIONS="${nodeOptions}" as the Dockerfile sets it, LOG_LEVEL=warn), ` +
        `and a bare Fastify process returning a fixed JSON body of the same size. ` +
        `autocannon in the bench process, ${CONNECTIONS} connections, ${SECONDS} s per run after a 2 s warm-up, ` +
        `${RUNS} runs each, alternating.`,
      '',
      '| Target | req/s median | min | max | p99 latency (median of runs) |',
      '| --- | ---: | ---: | ---: | ---: |',
      `| API, one page of ${PAGE} | ${fmt(result.api.median)} | ${fmt(result.api.min)} | ${fmt(result.api.max)} | ${result.api.p99} ms |`,
      `| API with the list cache off (every request queries Postgres) | ${fmt(result.apiUncached.median)} | ${fmt(result.apiUncached.min)} | ${fmt(result.apiUncached.max)} | ${result.apiUncached.p99} ms |`,
      `| Bare Fastify, same bytes | ${fmt(result.bare.median)} | ${fmt(result.bare.min)} | ${fmt(result.bare.max)} | ${result.bare.p99} ms |`,
      '',
      `**Ratio API / bare: ${result.ratio.toFixed(2)}** (goal ≥ 0.4: ${result.ratio >= 0.4 ? 'met' : 'NOT met'}). ` +
        `Without the list cache: ${(result.apiUncached.median / result.bare.median).toFixed(2)}.`,
      '',
      'The API keeps serialised list pages per process (`src/http/list-cache.ts`), dropped by Postgres change ' +
        'notifications that triggers send after every committed catalogue change, so repeated page reads cost ' +
        'auth, scoping and a memory lookup; a change is visible to the next request through the same process at ' +
        'once and through other processes when the notification arrives (milliseconds).',
      '',
      `API process RSS under that load (VmRSS, sampled every 250 ms): median ${result.rssMiB.median.toFixed(0)} MiB, ` +
        `max ${result.rssMiB.max.toFixed(0)} MiB (goal ≤ 150 MB = 143 MiB: ${result.rssMiB.max * 2 ** 20 <= 150e6 ? 'met' : 'NOT met'}); ` +
        `idle after start-up ${result.rssMiB.idle.toFixed(0)} MiB.`,
      '',
      'The load generator shares the CPU cores with both servers, so absolute figures understate a dedicated host; ' +
        'the ratio is the figure to compare between runs.' +
        (Number(loadBefore.split(' / ')[0]) > cpus().length
          ? ` The load average before the runs exceeded the ${cpus().length} cores: other work (here, other test ` +
            'suites) shared the machine, so req/s and latency are depressed and noisy, the ratio less so.'
          : ''),
    ].join('\n');
    await writeBenchmarkSection('catalogue', markdown);
    process.stdout.write(`${markdown}\n`);
    return result;
  } finally {
    if (bareProcess) await stop(bareProcess);
    if (uncachedProcess) await stop(uncachedProcess);
    await stop(apiProcess);
    const redis = new Redis(redisUrl);
    const keys = await redis.keys(`${queuePrefix}:*`);
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
    if (!process.env.BENCH_KEEP_DB) {
      const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
      await admin.unsafe(`drop database if exists "${DATABASE}" with (force)`).finally(() => admin.end());
    }
  }
}

const isMain = process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1];
if (isMain) {
  main().then(
    () => process.exit(0),
    (err: unknown) => {
      process.stderr.write(
        `catalogue bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
      );
      process.exit(1);
    },
  );
}
