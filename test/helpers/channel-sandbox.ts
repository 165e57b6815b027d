/**
 * The real marketplace sandbox, in-process on a free port, with one app per platform whose
 * credentials the API under test is configured with (as an operator would configure the real ones).
 */
import { Writable } from 'node:stream';
import type { PlatformModule } from '../../sandbox/core/contract.js';
import { buildSandbox, type Sandbox } from '../../sandbox/server.js';

export interface ChannelSandbox {
  sandbox: Sandbox;
  rootUrl: string;
  shopee: PlatformModule;
  tiktok: PlatformModule;
  /** Environment for `startTestApi`/`loadConfig` pointing every channel at this sandbox. */
  env: Record<string, string>;
  shopeePartner: { partnerId: number; partnerKey: string };
  tiktokApp: { appKey: string; appSecret: string };
  close(): Promise<void>;
}

export async function startChannelSandbox(): Promise<ChannelSandbox> {
  const sandbox = await buildSandbox({ seed: 8 });
  await sandbox.app.listen({ port: 0, host: '127.0.0.1' });
  const byName = (name: string) => {
    const p = sandbox.platforms.find((candidate) => candidate.name === name);
    if (!p) throw new Error(`${name} not mounted`);
    return p;
  };
  const shopee = byName('shopee');
  const tiktok = byName('tiktok-shop');
  const shopeePartner = { partnerId: 2_008_008, partnerKey: 'h8-shopee-partner-key-0123456789' };
  shopee.control.createApp({ ...shopeePartner, name: 'kriya-sync test' });
  const tiktokApp = { appKey: 'h8appkey01', appSecret: 'h8-tiktok-app-secret-0123456789' };
  tiktok.control.createApp({
    app_key: tiktokApp.appKey,
    app_secret: tiktokApp.appSecret,
    name: 'kriya-sync test',
  });
  const rootUrl = sandbox.ctx.baseUrl();
  return {
    sandbox,
    rootUrl,
    shopee,
    tiktok,
    shopeePartner,
    tiktokApp,
    env: {
      SANDBOX_URL: rootUrl,
      SHOPEE_PARTNER_ID: String(shopeePartner.partnerId),
      SHOPEE_PARTNER_KEY: shopeePartner.partnerKey,
      TIKTOK_SHOP_APP_KEY: tiktokApp.appKey,
      TIKTOK_SHOP_APP_SECRET: tiktokApp.appSecret,
      CHANNEL_HTTP_TIMEOUT_MS: '5000',
    },
    close: () => sandbox.close(),
  };
}

/** A writable that keeps every log line, for asserting what was (not) logged. */
export function captureLogs(): { stream: Writable; text(): string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      chunks.push(chunk.toString('utf8'));
      done();
    },
  });
  return { stream, text: () => chunks.join('') };
}
