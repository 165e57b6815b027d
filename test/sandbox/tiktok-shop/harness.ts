/**
 * Starts the sandbox with the TikTok Shop module on port 0 and a webhook receiver, for route tests.
 */
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import Fastify from 'fastify';
import { type CoreContext, createCoreContext } from '../../../sandbox/core/context.js';
import type { PlatformModule } from '../../../sandbox/core/contract.js';
import { mountPlatform } from '../../../sandbox/core/mount.js';
import { createTiktokShopPlatform } from '../../../sandbox/tiktok-shop/index.js';

export interface TiktokHarness {
  baseUrl: string;
  ctx: CoreContext;
  platform: PlatformModule;
  close(): Promise<void>;
}

export async function startTiktokSandbox(): Promise<TiktokHarness> {
  // Same wiring as buildSandbox() (sandbox/server.ts) minus the control routes, which the tests call
  // as module hooks directly.
  const app = Fastify({ logger: false });
  let base = '';
  const ctx = createCoreContext({ baseUrl: () => base, seed: 7, webhookTimeoutMs: 2_000 });
  const platform = createTiktokShopPlatform(ctx);
  const release = await mountPlatform(app, platform, ctx);
  await app.listen({ port: 0, host: '127.0.0.1' });
  base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  return {
    baseUrl: `${base}/tiktok-shop`,
    ctx,
    platform,
    close: async () => {
      release();
      await app.close();
      await ctx.webhooks.close();
    },
  };
}

export interface ReceivedHook {
  headers: IncomingMessage['headers'];
  body: string;
}

/** A webhook receiver whose answers are scripted per request (default 200, empty body). */
export async function startReceiver(statuses: number[] = []) {
  const received: ReceivedHook[] = [];
  const server = createServer((request, response) => {
    let body = '';
    request.setEncoding('utf8');
    request.on('data', (chunk: string) => {
      body += chunk;
    });
    request.on('end', () => {
      received.push({ headers: request.headers, body });
      response.statusCode = statuses.shift() ?? 200;
      response.end();
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
