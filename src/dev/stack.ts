/**
 * `npm start`: the whole service on one machine with no configuration.
 *
 * 1. Postgres: DATABASE_URL, else a local one on 127.0.0.1:5432, else an embedded one (data in .data/pg).
 * 2. Redis: REDIS_URL, else a local one on 127.0.0.1:6379, else a redis-server from PATH on a free port.
 * 3. Migrations, the Tangsel regions and the demo data (credentials printed once, when created).
 * 4. The sandbox (started during step 3), the API and one worker as child processes sharing one
 *    demo configuration.
 * 5. Once /health/ready answers 200: the URLs, and a machine-readable `STACK_READY {json}` line.
 *
 * SIGINT/SIGTERM stops the children, then whatever step 1 and 2 started. A child dying stops
 * everything with exit code 1.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../config/env.js';
import { generateKeySpec } from '../lib/secrets.js';
import { type BackingService, resolvePostgres, resolveRedis } from './backing-services.js';
import { credentialsText, existingAccountsLines } from './credentials.js';
import { connectDemoShops } from './demo-shops.js';
import { lineFormatter } from './log-format.js';
import { loadDevOptions } from './options.js';
import { freePort, preferredOrFreePort, waitFor } from './ports.js';
import { type DemoCredentials, prepareDatabase } from './prepare-database.js';
import { databaseName } from './probes.js';
import { describeExit, type ManagedChild, Supervisor } from './supervisor.js';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const log = (line: string) => process.stdout.write(`[stack] ${line}\n`);

/** Stop functions, run last-in first-out on shutdown. */
const cleanups: Array<() => Promise<unknown>> = [];
let shuttingDown = false;

async function shutdown(exitCode: number, reason: string): Promise<never> {
  if (!shuttingDown) {
    shuttingDown = true;
    log(reason);
    log('stopping');
    for (const stop of cleanups.reverse()) {
      try {
        await stop();
      } catch (err) {
        log(`while stopping: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    log('stopped');
    process.exit(exitCode);
  }
  // A second signal while stopping: the first shutdown is already on its way to exit.
  return new Promise<never>(() => {});
}

/** Bails out of start-up when a signal arrived meanwhile (shutdown exits the process). */
async function unlessStopping(): Promise<void> {
  if (shuttingDown) await new Promise<never>(() => {});
}

function track(service: BackingService): BackingService {
  if (service.stop) cleanups.push(service.stop);
  return service;
}

async function waitForReady(apiUrl: string, timeoutMs: number): Promise<void> {
  await waitFor(
    `${apiUrl}/health/ready to answer 200`,
    async () => {
      try {
        const res = await fetch(`${apiUrl}/health/ready`, { signal: AbortSignal.timeout(2_000) });
        await res.body?.cancel();
        return res.status === 200;
      } catch {
        return false;
      }
    },
    { timeoutMs, intervalMs: 250 },
  );
}

/** `forScripts` adds the DEMO_OPERATOR / DEMO_CRAFTER_USER lines that tests and scripts read. */
function printCredentials(credentials: DemoCredentials, forScripts: boolean): void {
  if (!credentials.operator && !credentials.crafterUser) {
    for (const line of existingAccountsLines()) log(line);
    return;
  }
  process.stdout.write(
    credentialsText(
      credentials,
      'Demo accounts created. These passwords are shown ONCE; note them now:',
      forScripts,
    ),
  );
}

function sandboxOrigin(readyLine: string): string {
  const parsed: unknown = JSON.parse(readyLine);
  if (
    typeof parsed === 'object' &&
    parsed !== null &&
    'control' in parsed &&
    typeof parsed.control === 'string'
  ) {
    return new URL(parsed.control).origin;
  }
  throw new Error(`SANDBOX_READY did not name a control URL: ${readyLine}`);
}

/** An explicit port (0 = any free one), else `preferred` when free, else any free port. */
async function choosePort(explicit: number | undefined, preferred: number, host: string): Promise<number> {
  if (explicit === undefined) return preferredOrFreePort(preferred, host);
  return explicit === 0 ? freePort(host) : explicit;
}

/**
 * The demo's credentials key: generated once and kept beside the demo data (the database outlives a
 * restart, so a per-boot key would leave every stored token unreadable). CREDENTIALS_KEYS in the
 * environment wins, as in production.
 */
async function demoCredentialsKeys(dataDir: string): Promise<{ keys: string; activeKeyId: string }> {
  if (process.env.CREDENTIALS_KEYS && process.env.CREDENTIALS_ACTIVE_KEY_ID) {
    return { keys: process.env.CREDENTIALS_KEYS, activeKeyId: process.env.CREDENTIALS_ACTIVE_KEY_ID };
  }
  const file = join(dataDir, 'credentials-keys');
  try {
    const keys = (await readFile(file, 'utf8')).trim();
    return { keys, activeKeyId: keys.split(':')[0] ?? 'demo' };
  } catch {
    const keys = generateKeySpec('demo');
    await writeFile(file, `${keys}\n`, { mode: 0o600 });
    return { keys, activeKeyId: 'demo' };
  }
}

interface DemoChannelApps {
  shopee: { partnerId: number; partnerKey: string };
  tiktokShop: { appKey: string; appSecret: string };
}

/**
 * This service's partner credentials at the demo's sandbox: generated once and kept beside the
 * sandbox state (which keeps the apps), so connections made in one run still work in the next.
 */
async function demoChannelApps(dataDir: string): Promise<DemoChannelApps> {
  const file = join(dataDir, 'sandbox-apps.json');
  try {
    return JSON.parse(await readFile(file, 'utf8')) as DemoChannelApps;
  } catch {
    const apps: DemoChannelApps = {
      shopee: {
        partnerId: 1_000_000 + randomBytes(3).readUIntBE(0, 3),
        partnerKey: randomBytes(24).toString('hex'),
      },
      tiktokShop: {
        appKey: `kriya${randomBytes(5).toString('hex')}`,
        appSecret: randomBytes(24).toString('hex'),
      },
    };
    await writeFile(file, `${JSON.stringify(apps)}\n`, { mode: 0o600 });
    return apps;
  }
}

/**
 * Registers the demo apps in the sandbox (an app that already exists there is fine) and points their
 * webhooks at our API, so the demo shops' sales trigger pulls as on the real platforms.
 */
async function registerDemoApps(controlUrl: string, apps: DemoChannelApps, apiUrl: string): Promise<void> {
  const post = async (path: string, body: unknown) => {
    const res = await fetch(`${controlUrl}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(5_000),
    });
    return { ok: res.ok, text: await res.text() };
  };
  const shopeeApp = await post('/shopee/apps', { ...apps.shopee, name: 'kriya-sync demo' });
  if (!shopeeApp.ok && !shopeeApp.text.includes('already exists'))
    log(`sandbox shopee app not registered: ${shopeeApp.text}`);
  const tiktokApp = await post('/tiktok-shop/apps', {
    app_key: apps.tiktokShop.appKey,
    app_secret: apps.tiktokShop.appSecret,
    name: 'kriya-sync demo',
  });
  if (!tiktokApp.ok && !tiktokApp.text.includes('already exists'))
    log(`sandbox tiktok-shop app not registered: ${tiktokApp.text}`);
  // Shopee signs the push with the URL it calls: the API's public URL (PUBLIC_BASE_URL below). Its
  // review of new items (the sandbox's default: 10 minutes) is shortened like TikTok's below, so the
  // demo shop is live, and selling, within the first minute.
  const shopeePush = await post('/shopee/configure', {
    reviewDelayMs: 30_000,
    app: { partnerId: apps.shopee.partnerId, pushCallbackUrl: `${apiUrl}/v1/webhooks/shopee` },
  });
  if (!shopeePush.ok) log(`sandbox shopee review delay and push URL not set: ${shopeePush.text}`);
  // TikTok Shop takes price and stock only once a product has passed its review ("a couple of
  // minutes"; the sandbox's default is 180 s). The demo shortens the review to 30 s so a new user sees
  // both shops live, and a price change arrive, within the first minute. Tests keep the default.
  const tiktok = await post('/tiktok-shop/configure', {
    audit_delay_seconds: 30,
    app_key: apps.tiktokShop.appKey,
    webhook_url: `${apiUrl}/v1/webhooks/tiktok-shop`,
  });
  if (!tiktok.ok) log(`sandbox tiktok-shop review delay and webhook URL not set: ${tiktok.text}`);
}

/**
 * The demo's steady trickle of sales: the sandbox places an order in each demo shop every few
 * seconds from its live stock, and sends the platform's signed webhooks to our API, which pulls the
 * shop. Sales, stock movements and the summary change while the user watches.
 */
async function startDemoTrickle(
  controlUrl: string,
  shops: { shopee: { shopId: string }; tiktokShop: { shopId: string } },
  intervalSeconds: number,
): Promise<void> {
  const res = await fetch(`${controlUrl}/trickle`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      intervalSeconds,
      // One tick in ten cancels an earlier demo order instead: stock comes back, net drops below gross.
      cancelRate: 0.1,
      shops: [
        { platform: 'shopee', shopId: shops.shopee.shopId },
        { platform: 'tiktok-shop', shopId: shops.tiktokShop.shopId },
      ],
    }),
    signal: AbortSignal.timeout(5_000),
  });
  if (!res.ok) throw new Error(`sandbox trickle answered ${res.status}: ${(await res.text()).slice(0, 300)}`);
}

async function main(): Promise<void> {
  const startedAt = Date.now();
  process.on('SIGINT', () => void shutdown(0, 'SIGINT received'));
  process.on('SIGTERM', () => void shutdown(0, 'SIGTERM received'));

  const options = loadDevOptions(repoRoot);
  await mkdir(options.dataDir, { recursive: true });

  const postgres = track(await resolvePostgres(options, log));
  log(`database: ${postgres.describe}, database ${databaseName(postgres.url)}`);
  await unlessStopping();
  const redis = track(await resolveRedis(options, log));
  log(`redis: ${redis.describe}, queue prefix ${options.queuePrefix}`);
  await unlessStopping();

  const host = options.host;
  const publicHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
  // Ports are chosen here (0 included), so every URL is known before any child listens.
  const apiPort = await choosePort(options.apiPort, 3000, host);
  const sandboxPort = await choosePort(options.sandboxPort, 4010, host);
  const metricsPort = await choosePort(options.metricsPort, 9464, host);
  const credentialsKeys = await demoCredentialsKeys(options.dataDir);
  const channelApps = await demoChannelApps(options.dataDir);
  const sharedEnv: NodeJS.ProcessEnv = {
    ...process.env,
    APP_MODE: 'demo',
    DATABASE_URL: postgres.url,
    REDIS_URL: redis.url,
    QUEUE_PREFIX: options.queuePrefix,
    LOG_LEVEL: options.logLevel,
    // One secret for every process, so a token issued by the API is valid wherever it is checked.
    AUTH_TOKEN_SECRET: options.authTokenSecret ?? randomBytes(32).toString('hex'),
    // One credentials key for API, worker and `npm run credentials:rotate`, stable across restarts.
    CREDENTIALS_KEYS: credentialsKeys.keys,
    CREDENTIALS_ACTIVE_KEY_ID: credentialsKeys.activeKeyId,
  };

  const supervisor = new Supervisor(
    repoRoot,
    (text) => process.stdout.write(text),
    lineFormatter(options.logFormat, process.stdout.isTTY === true),
  );
  cleanups.push(() => supervisor.stopAll());
  supervisor.onChildDied(
    (exit) => void shutdown(1, `[${exit.name}] exited unexpectedly (${describeExit(exit)})`),
  );

  // The sandbox needs no database: it starts while the migrations run.
  const sandbox = supervisor.start('sandbox', 'sandbox/main.ts', {
    ...sharedEnv,
    SANDBOX_HOST: host,
    SANDBOX_PORT: String(sandboxPort),
    SANDBOX_STATE_FILE: join(options.dataDir, 'sandbox-state.json'),
  });
  const sandboxReady = sandbox.waitForLine(/^SANDBOX_READY (\{.*\})\s*$/, options.readyTimeoutMs);
  sandboxReady.catch(() => {}); // awaited below; a start-up failure before then must not be "unhandled"

  const credentials = await prepareDatabase(
    postgres.url,
    options.regionsCsv,
    log,
    `http://${publicHost}:${sandboxPort}`,
  );
  // Printed now, so they are not lost if a later step fails, and repeated once the stack is ready.
  printCredentials(credentials, true);
  await unlessStopping();

  const appEnv = {
    ...sharedEnv,
    HOST: host,
    PORT: String(apiPort),
    METRICS_HOST: host,
    METRICS_PORT: String(metricsPort),
    SANDBOX_URL: `http://${publicHost}:${sandboxPort}`,
    PUBLIC_BASE_URL: `http://${publicHost}:${apiPort}`,
    SHOPEE_PARTNER_ID: String(channelApps.shopee.partnerId),
    SHOPEE_PARTNER_KEY: channelApps.shopee.partnerKey,
    TIKTOK_SHOP_APP_KEY: channelApps.tiktokShop.appKey,
    TIKTOK_SHOP_APP_SECRET: channelApps.tiktokShop.appSecret,
  };
  const api = supervisor.start('api', 'src/server.ts', appEnv);
  const worker = supervisor.start('worker', 'workers/main.ts', appEnv);

  const apiUrl = `http://${publicHost}:${apiPort}`;
  const metricsUrl = `http://${publicHost}:${metricsPort}/metrics`;
  const [[, readyLine = '{}']] = await Promise.all([
    sandboxReady,
    waitForReady(apiUrl, Math.max(1_000, options.readyTimeoutMs - (Date.now() - startedAt))),
  ]);
  const sandboxUrl = sandboxOrigin(readyLine);
  await registerDemoApps(`${sandboxUrl}/__sandbox`, channelApps, apiUrl);
  await unlessStopping();
  // The demo crafter's sandbox shops, connected and published to. A failure here leaves the stack
  // usable (connect by hand, see the README), so it is reported, not fatal.
  let demoShops: Awaited<ReturnType<typeof connectDemoShops>> | undefined;
  try {
    demoShops = await connectDemoShops({
      databaseUrl: postgres.url,
      config: loadConfig(appEnv),
      apiUrl,
      controlUrl: `${sandboxUrl}/__sandbox`,
      log,
    });
    log(
      `demo: ${demoShops.listings} listings published to Shopee shop ${demoShops.shopee.shopId} and Tokopedia shop ${demoShops.tiktokShop.shopId}`,
    );
    if (options.trickleSeconds > 0) {
      await startDemoTrickle(`${sandboxUrl}/__sandbox`, demoShops, options.trickleSeconds);
      log(
        `demo: the sandbox sells in each demo shop every ${options.trickleSeconds} s (DEV_TRICKLE_SECONDS); its webhooks trigger pulls`,
      );
    }
  } catch (err) {
    log(`demo shops not connected: ${err instanceof Error ? err.message : String(err)}`);
  }
  await unlessStopping();

  if (credentials.operator || credentials.crafterUser) printCredentials(credentials, false);
  const pids = (children: ManagedChild[]) => Object.fromEntries(children.map((c) => [c.name, c.pid]));
  process.stdout.write(
    [
      '',
      `  kriya-sync is running in demo mode (ready in ${((Date.now() - startedAt) / 1000).toFixed(1)} s):`,
      `    API              ${apiUrl}`,
      `    API docs         ${apiUrl}/docs`,
      `    Queue dashboard  ${apiUrl}/admin/queues   (operator login)`,
      `    Metrics          ${metricsUrl}   (own listener, not on the API port)`,
      `    Sandbox          ${sandboxUrl}`,
      ...(demoShops
        ? [
            `    Demo Shopee shop ${sandboxUrl}/__sandbox/shopee/shops/${demoShops.shopee.shopId}/state`,
            `    Demo Tokopedia   ${sandboxUrl}/__sandbox/tiktok-shop/shops/${demoShops.tiktokShop.shopId}/state`,
          ]
        : []),
      `    Database         ${postgres.describe}`,
      `    Redis            ${redis.describe}`,
      '  Press Ctrl+C to stop.',
      '',
      '',
    ].join('\n'),
  );
  process.stdout.write(
    `STACK_READY ${JSON.stringify({
      api: apiUrl,
      docs: `${apiUrl}/docs`,
      queues: `${apiUrl}/admin/queues`,
      metrics: metricsUrl,
      sandbox: sandboxUrl,
      ...(demoShops ? { demoShops } : {}),
      pids: { ...pids([sandbox, api, worker]), postgres: postgres.pid, redis: redis.pid },
    })}\n`,
  );
}

main().catch((err: unknown) => {
  const message = err instanceof Error ? err.message : String(err);
  void shutdown(1, `start-up failed: ${message}`);
});
