import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Fastify, { type FastifyInstance, type FastifyReply } from 'fastify';
import { controlRoutes } from './control/routes.js';
import { type CoreContext, createCoreContext } from './core/context.js';
import type { PlatformFactory, PlatformModule } from './core/contract.js';
import { mountPlatform } from './core/mount.js';
import { createStateFile } from './core/state-file.js';
import { createTrickle } from './core/trickle.js';
import { defaultPlatformFactories } from './platforms.js';

export interface BuildSandboxOptions {
  /** Seed of the shared PRNG (generated ids, random orders, fault draws). */
  seed?: number | string;
  /** JSON file the platform state is loaded from at start and saved to on change and at close. */
  stateFile?: string;
  factories?: PlatformFactory[];
  logger?: boolean;
  /** Real-time timeout of one outbound webhook POST. */
  webhookTimeoutMs?: number;
}

/** One route as Fastify registered it (full URL, prefix included), for tooling such as the fuzz test. */
export interface SandboxRoute {
  method: string;
  url: string;
}

export interface Sandbox {
  app: FastifyInstance;
  ctx: CoreContext;
  platforms: PlatformModule[];
  /** Every route registered on the app (platforms and control API), known once `buildSandbox` resolves. */
  routes: readonly SandboxRoute[];
  close(): Promise<void>;
}

/** Base URL from the listening socket; cached once known, since `address()` is a syscall and URLs are built per item. */
function listeningBaseUrl(app: FastifyInstance, cache: { url?: string }): string {
  if (cache.url !== undefined) return cache.url;
  const address = app.server.address() as AddressInfo | string | null;
  if (address === null || typeof address === 'string') return 'http://127.0.0.1:4010';
  const host =
    address.address === '0.0.0.0' || address.address === '::'
      ? '127.0.0.1'
      : address.family === 'IPv6'
        ? `[${address.address}]`
        : address.address;
  cache.url = `http://${host}:${address.port}`;
  return cache.url;
}

/**
 * Builds the sandbox without listening: one Fastify app, each platform mounted under its prefix, the
 * control API under `/__sandbox/`. Tests use `app.inject` or `app.listen({ port: 0 })`.
 */
export async function buildSandbox(options: BuildSandboxOptions = {}): Promise<Sandbox> {
  let platforms: PlatformModule[] = [];
  const app = Fastify({
    logger: options.logger ?? false,
    bodyLimit: 12 * 1024 * 1024,
    // A URL Fastify cannot even decode (`%E0%A4%A`) is refused before any route or plugin sees it;
    // without this it would be answered in Fastify's own shape instead of the platform's error.
    frameworkErrors: (error, request, rawReply) => {
      const reply = rawReply as FastifyReply;
      const platform = platforms.find((p) => request.url.startsWith(`${p.prefix}/`));
      if (platform) {
        const answer = platform.badRequestResponse(error.message);
        return reply.code(answer.status).send(answer.body);
      }
      return reply.code(400).send({ error: 'bad_request', message: error.message });
    },
  });
  const baseUrlCache: { url?: string } = {};
  // Collected from Fastify itself (added before anything is registered, so every child plugin inherits
  // it) rather than listed by hand, so a new route is fuzzed and documented without anyone remembering to.
  const routes: SandboxRoute[] = [];
  app.addHook('onRoute', (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    for (const method of methods) routes.push({ method, url: route.url });
  });
  const ctx = createCoreContext({
    baseUrl: () => listeningBaseUrl(app, baseUrlCache),
    ...(options.seed === undefined ? {} : { seed: options.seed }),
    ...(options.webhookTimeoutMs === undefined ? {} : { webhookTimeoutMs: options.webhookTimeoutMs }),
  });
  platforms = (options.factories ?? defaultPlatformFactories).map((factory) => factory(ctx));
  const names = new Set<string>();
  for (const platform of platforms) {
    if (names.has(platform.name)) throw new Error(`platform ${platform.name} is mounted twice`);
    names.add(platform.name);
  }

  const stateFile = options.stateFile ? createStateFile(options.stateFile, ctx.clock, platforms) : undefined;
  if (stateFile) {
    // Any write through a platform or the control API may change state; GETs never do. The hook is
    // added before the platforms are mounted so their encapsulated instances inherit it.
    app.addHook('onResponse', async (request) => {
      if (request.method !== 'GET' && request.method !== 'HEAD') stateFile.changed();
    });
    ctx.clock.onChange(() => stateFile.changed());
  }

  const releaseHeld: Array<() => void> = [];
  for (const platform of platforms) releaseHeld.push(await mountPlatform(app, platform, ctx));

  const trickle = createTrickle(platforms);
  const reset = (keepClock: boolean): void => {
    trickle.stop();
    for (const platform of platforms) platform.control.reset();
    ctx.faults.clear();
    ctx.callLog.clear();
    ctx.webhooks.clear();
    ctx.rateLimiter.reset();
    if (!keepClock) ctx.clock.restoreOffset(0);
  };
  await app.register(controlRoutes, { prefix: '/__sandbox', ctx, platforms, reset, trickle });
  if (stateFile) await stateFile.load();

  let closed = false;
  return {
    app,
    ctx,
    platforms,
    routes,
    async close() {
      if (closed) return;
      closed = true;
      for (const release of releaseHeld) release();
      trickle.stop();
      await app.close();
      await ctx.webhooks.close();
      if (stateFile) await stateFile.flush();
    },
  };
}

/**
 * Serves platforms on ports of their own, at the root (`http://host:4011/api/v2/...` for Shopee).
 * Official SDKs sign the whole path of their URL, so behind a path prefix such as `/shopee` their
 * signatures would cover the prefix too and be refused; on its own port a client needs only its base
 * URL changed. Each port hands its requests to the same app with the platform's prefix put in front,
 * so state, faults, limits and the call log are shared with the prefixed base URL.
 */
export async function listenOnOwnPorts(
  sandbox: Sandbox,
  host: string,
  ports: ReadonlyArray<{ platform: string; port: number }>,
): Promise<{ urls: Record<string, string>; close(): Promise<void> }> {
  await sandbox.app.ready();
  const servers: Server[] = [];
  const urls: Record<string, string> = {};
  for (const { platform: name, port } of ports) {
    const platform = sandbox.platforms.find((p) => p.name === name);
    if (!platform) throw new Error(`no platform named ${name}`);
    const server = createServer((req, res) => {
      req.url = `${platform.prefix}${req.url ?? '/'}`;
      sandbox.app.routing(req, res);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => resolve());
    });
    servers.push(server);
    const address = server.address() as AddressInfo;
    urls[name] = `http://${host.includes(':') ? `[${host}]` : host}:${address.port}`;
  }
  return {
    urls,
    async close() {
      await Promise.all(
        servers.map(
          (server) =>
            new Promise<void>((resolve) => {
              server.close(() => resolve());
              server.closeAllConnections();
            }),
        ),
      );
    },
  };
}
