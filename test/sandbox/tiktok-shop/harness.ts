/**
 * Starts the sandbox (buildSandbox, TikTok Shop module only) on port 0, and a scripted webhook receiver.
 */
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach } from 'vitest';
import type { CoreContext } from '../../../sandbox/core/context.js';
import type { PlatformModule } from '../../../sandbox/core/contract.js';
import { buildSandbox } from '../../../sandbox/server.js';
import { createTiktokShopPlatform } from '../../../sandbox/tiktok-shop/index.js';
import { authorizedShop, type ShopSetup } from './fixtures.js';

export interface TiktokHarness {
  /** Base URL of the platform (sandbox URL + `/tiktok-shop`). */
  baseUrl: string;
  /** Sandbox root URL (control API under `/__sandbox`). */
  rootUrl: string;
  ctx: CoreContext;
  platform: PlatformModule;
  close(): Promise<void>;
}

export async function startTiktokSandbox(): Promise<TiktokHarness> {
  const sandbox = await buildSandbox({
    factories: [createTiktokShopPlatform],
    seed: 7,
    webhookTimeoutMs: 2_000,
  });
  await sandbox.app.listen({ port: 0, host: '127.0.0.1' });
  const platform = sandbox.platforms.find((candidate) => candidate.name === 'tiktok-shop');
  if (!platform) throw new Error('tiktok-shop is not mounted');
  const rootUrl = sandbox.ctx.baseUrl();
  return {
    baseUrl: `${rootUrl}${platform.prefix}`,
    rootUrl,
    ctx: sandbox.ctx,
    platform,
    close: () => sandbox.close(),
  };
}

/**
 * Lets the audit of everything submitted so far resolve, by moving the sandbox clock past the
 * configured audit delay (the rule stays on; only time passes).
 */
export function passAudit(h: TiktokHarness): void {
  const settings = h.platform.control.configure({}) as { settings: { auditDelaySeconds: number } };
  h.ctx.clock.advance(settings.settings.auditDelaySeconds * 1000);
}

export interface ReceivedHook {
  headers: IncomingMessage['headers'];
  body: string;
}

/** A webhook receiver whose answers are scripted per request (default 200, empty body). */
export async function startReceiver(statuses: Array<number | { status: number; body: string }> = []) {
  const received: ReceivedHook[] = [];
  const server = createServer((request, response) => {
    let body = '';
    request.setEncoding('utf8');
    request.on('data', (chunk: string) => {
      body += chunk;
    });
    request.on('end', () => {
      received.push({ headers: request.headers, body });
      const answer = statuses.shift() ?? 200;
      response.statusCode = typeof answer === 'number' ? answer : answer.status;
      response.end(typeof answer === 'number' ? undefined : answer.body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hooks/tiktok`,
    received,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/**
 * The usual suite set-up: one sandbox for the file, and before each test a clean TikTok Shop state
 * (platform, limiter, webhooks, clock) with a freshly authorized shop handed to `onEach`.
 */
export function useAuthorizedShop(
  onEach: (harness: TiktokHarness, shop: ShopSetup) => void | Promise<void>,
): void {
  let harness: TiktokHarness | undefined;
  beforeAll(async () => {
    harness = await startTiktokSandbox();
  });
  afterAll(async () => {
    await harness?.close();
  });
  beforeEach(async () => {
    const h = harness!;
    h.platform.control.reset();
    h.ctx.rateLimiter.reset();
    h.ctx.webhooks.clear();
    h.ctx.clock.restoreOffset(0);
    await onEach(h, await authorizedShop(h));
  });
}
