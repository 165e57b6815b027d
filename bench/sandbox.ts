/**
 * Sandbox throughput: signed Shopee get_item_base_info calls per second against the sandbox started as
 * a real separate process (as e2e tests and sync benchmarks use it), with keep-alive connections and
 * no injected latency. Goal: ≥ 3,000 calls/s so the sandbox never limits the sync benchmarks.
 *
 * Run: `npx tsx bench/sandbox.ts` (or `main()` from bench/run.ts).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { type AutocannonResult, autocannon, median } from './lib/load.js';
import { machineLine, writeBenchmarkSection } from './lib/report.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);
const partnerId = 2001887;
const partnerKey = 'bench_partner_key';
const shopId = 14701711;

async function startSandbox(): Promise<{ child: ChildProcess; urls: Record<string, string> }> {
  const root = fileURLToPath(new URL('..', import.meta.url));
  const child = spawn(process.execPath, ['--import', 'tsx', 'sandbox/main.ts'], {
    cwd: root,
    env: { ...process.env, SANDBOX_PORT: '0', SANDBOX_HOST: '127.0.0.1', SANDBOX_SEED: 'bench' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const urls = await new Promise<Record<string, string>>((resolve, reject) => {
    let buffer = '';
    const timer = setTimeout(
      () => reject(new Error('sandbox did not print SANDBOX_READY within 30 s')),
      30_000,
    );
    child.once('exit', (code) => reject(new Error(`sandbox exited early with code ${code}`)));
    child.stdout?.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      const line = buffer.split('\n').find((l) => l.startsWith('SANDBOX_READY '));
      if (line) {
        clearTimeout(timer);
        resolve(JSON.parse(line.slice('SANDBOX_READY '.length)) as Record<string, string>);
      }
    });
  });
  return { child, urls };
}

const sign = (base: string) => createHmac('sha256', partnerKey).update(base).digest('hex');

async function json(url: string, init: RequestInit = {}): Promise<Record<string, unknown>> {
  const response = await fetch(url, init);
  const body = (await response.json()) as Record<string, unknown>;
  if (!response.ok || (typeof body.error === 'string' && body.error !== '')) {
    throw new Error(`${init.method ?? 'GET'} ${url}: ${response.status} ${JSON.stringify(body)}`);
  }
  return body;
}

const post = (url: string, body: unknown) =>
  json(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

/** Builds a small shop through the documented flow and returns a signed get_item_base_info URL. */
async function prepareShop(control: string, shopee: string): Promise<string> {
  // The bench measures the sandbox, not its throttling: lift the per-shop rate and the daily quota.
  await post(`${control}/shopee/configure`, { rateLimitPerSecond: 0, dailyCallQuota: 0 });
  await post(`${control}/shopee/apps`, { partnerId, partnerKey });
  await post(`${control}/shopee/shops`, { shopId, name: 'Bench Crafts' });
  const { code } = await post(`${control}/shopee/authorize`, { partnerId, shopId });
  const publicQuery = (path: string) => {
    const ts = Math.floor(Date.now() / 1000);
    return `partner_id=${partnerId}&timestamp=${ts}&sign=${sign(`${partnerId}${path}${ts}`)}`;
  };
  const tokenPath = '/api/v2/auth/token/get';
  const token = await post(`${shopee}${tokenPath}?${publicQuery(tokenPath)}`, {
    code,
    partner_id: partnerId,
    shop_id: shopId,
  });
  const accessToken = String(token.access_token);
  const shopQuery = (path: string) => {
    const ts = Math.floor(Date.now() / 1000);
    const signature = sign(`${partnerId}${path}${ts}${accessToken}${shopId}`);
    return `partner_id=${partnerId}&timestamp=${ts}&access_token=${accessToken}&shop_id=${shopId}&sign=${signature}`;
  };

  const uploadPath = '/api/v2/media_space/upload_image';
  const form = new FormData();
  const png = Buffer.from(
    'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==',
    'base64',
  );
  form.append('image', new Blob([png], { type: 'image/png' }), 'bench.png');
  const upload = await json(`${shopee}${uploadPath}?${shopQuery(uploadPath)}`, {
    method: 'POST',
    body: form,
  });
  const imageId = String(
    ((upload.response as Record<string, unknown>).image_info as Record<string, unknown>).image_id,
  );

  const itemIds: number[] = [];
  const addPath = '/api/v2/product/add_item';
  for (let i = 0; i < 5; i += 1) {
    const added = await post(`${shopee}${addPath}?${shopQuery(addPath)}`, {
      original_price: 150_000 + i * 10_000,
      description: 'Tas anyaman pandan buatan pengrajin Tangerang Selatan.',
      weight: 0.3,
      item_name: `Tas Anyaman Pandan ${i + 1}`,
      logistic_info: [{ logistic_id: 8003, enabled: true }],
      dimension: { package_length: 35, package_width: 30, package_height: 10 },
      category_id: 100112,
      attribute_list: [{ attribute_id: 200001, attribute_value_list: [{ value_id: 3004 }] }],
      brand: { brand_id: 0, original_brand_name: 'NoBrand' },
      image: { image_id_list: [imageId] },
      item_sku: `BENCH-${i + 1}`,
      seller_stock: [{ stock: 20 }],
    });
    itemIds.push(Number((added.response as Record<string, unknown>).item_id));
  }
  const readPath = '/api/v2/product/get_item_base_info';
  return `${shopee}${readPath}?${shopQuery(readPath)}&item_id_list=${itemIds.join(',')}`;
}

export async function main(): Promise<{ median: number; min: number; max: number }> {
  const { child, urls } = await startSandbox();
  try {
    const control = urls.control ?? '';
    const shopee = urls.shopee ?? '';
    const url = await prepareShop(control, shopee);
    const check = await json(url);
    if (((check.response as Record<string, unknown>).item_list as unknown[]).length !== 5)
      throw new Error('unexpected item list');

    const loadBefore = loadavg()
      .map((l) => l.toFixed(2))
      .join(' / ');
    await autocannon({ url, connections: CONNECTIONS, pipelining: 1, duration: 2 }); // warm-up (JIT)
    const runs: AutocannonResult[] = [];
    for (let run = 0; run < RUNS; run += 1) {
      const result = await autocannon({ url, connections: CONNECTIONS, pipelining: 1, duration: SECONDS });
      if (result.non2xx > 0 || result.errors > 0 || result.timeouts > 0) {
        throw new Error(
          `run ${run + 1}: ${result.non2xx} non-2xx, ${result.errors} errors, ${result.timeouts} timeouts`,
        );
      }
      runs.push(result);
      process.stdout.write(
        `run ${run + 1}: ${Math.round(result.requests.average)} calls/s, p50 ${result.latency.p50} ms, p99 ${result.latency.p99} ms\n`,
      );
    }
    // Same load against the bare control health route: what this machine allows right now without
    // signing, state or the platform hooks, to tell sandbox cost from machine contention.
    const baseline = await autocannon({
      url: `${control}/health`,
      connections: CONNECTIONS,
      pipelining: 1,
      duration: SECONDS,
    });
    const rates = runs.map((r) => r.requests.average);
    const summary = {
      median: Math.round(median(rates)),
      min: Math.round(Math.min(...rates)),
      max: Math.round(Math.max(...rates)),
    };
    const p99 = median(runs.map((r) => r.latency.p99));
    const markdown = [
      '## Sandbox: signed Shopee calls per second',
      '',
      `Machine: ${await machineLine()}; load average before the runs ${loadBefore} (other work on the machine skews figures).`,
      '',
      `Sandbox started as a separate process (\`node --import tsx sandbox/main.ts\`, port 0); the load generator (autocannon, ${CONNECTIONS} keep-alive connections, no pipelining) runs in the benchmark process on the same machine. Call: \`GET /shopee/api/v2/product/get_item_base_info\` for 5 items, full signature and access-token check, no injected latency, per-shop rate limit and daily quota lifted. ${RUNS} runs of ${SECONDS} s after a 2 s warm-up.`,
      '',
      '| calls/s median | min | max | p99 latency (median of runs) | goal |',
      '| ---: | ---: | ---: | ---: | --- |',
      `| ${summary.median} | ${summary.min} | ${summary.max} | ${p99} ms | ≥ 3,000 calls/s: ${summary.median >= 3000 ? 'met' : 'NOT met'} |`,
      '',
      `Baseline on the same machine right after: unsigned \`GET /__sandbox/health\` ${Math.round(baseline.requests.average)} calls/s (one ${SECONDS} s run).`,
    ].join('\n');
    await writeBenchmarkSection('sandbox', markdown);
    process.stdout.write(`${markdown}\n`);
    return summary;
  } finally {
    child.kill('SIGTERM');
    await new Promise((resolve) => child.once('exit', resolve));
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main().catch((err: unknown) => {
    process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  });
}
