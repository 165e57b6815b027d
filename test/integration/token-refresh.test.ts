/**
 * Token refresh against the real sandbox: one refresh per connection across processes (Shopee
 * refresh tokens are single-use), a revoked or expired grant → `reauth_required` on the connection
 * and its listings, transient failures recorded and retried, the scheduled scan through BullMQ, and
 * a reconnect putting waiting listings back to work.
 */
import { Queue, QueueEvents, Worker } from 'bullmq';
import { eq } from 'drizzle-orm';
import type { InjectOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OAuthSecrets } from '../../src/channels/auth.js';
import { createChannelHttp } from '../../src/channels/http.js';
import { shopeeRefreshToken } from '../../src/channels/shopee/auth.js';
import { shopeeSign } from '../../src/channels/shopee/signing.js';
import { createDatabase, type DatabaseHandle } from '../../src/db/client.js';
import { channelConnections, channelListings } from '../../src/db/schema/index.js';
import type { Principal } from '../../src/domain/scope.js';
import { createQueueRedis } from '../../src/lib/redis.js';
import { generateKeySpec, openJson, parseKeyring } from '../../src/lib/secrets.js';
import { QUEUE } from '../../src/queues/definitions.js';
import { sealSecrets, secretsContext } from '../../src/services/connections.js';
import {
  refreshConnectionToken,
  type TokenRefreshDeps,
  TokenRefreshRejectedError,
} from '../../src/services/token-refresh.js';
import { processConnectionJob } from '../../workers/processors/connections.js';
import { CONNECTION_SCHEDULES, declareConnectionSchedules } from '../../workers/scheduler.js';
import { makeCrafter, makeUser } from '../factories/index.js';
import { makeProduct } from '../factories/products.js';
import { startTestApi, type TestApi } from '../helpers/api.js';
import { type ChannelSandbox, startChannelSandbox } from '../helpers/channel-sandbox.js';

let channels: ChannelSandbox;
let api: TestApi;
/** A second pool, as a second worker process would have. */
let otherProcess: DatabaseHandle;
let crafter: { id: string };
let user: Principal;

const deps = (db = api.database.db): TokenRefreshDeps => ({
  db,
  channels: api.config.channels,
  keyring: api.config.credentialsKeyring,
  leadMinutes: 60,
});

async function inject(options: InjectOptions) {
  return api.app.inject(options);
}

/** Connects a Shopee shop through the real authorization flow; `shopId` re-authorizes an existing one. */
async function connectShopee(shopId?: string): Promise<{ id: string; externalShopId: string }> {
  const link = await inject({
    method: 'POST',
    url: `/v1/crafters/${crafter.id}/connections/shopee/authorize`,
    headers: api.auth(user),
  });
  const url = new URL(link.json().authorizationUrl);
  if (shopId) url.searchParams.set('shop_id', shopId);
  const redirect = await fetch(url, { redirect: 'manual' });
  const location = new URL(redirect.headers.get('location') as string);
  const res = await inject({ method: 'GET', url: `${location.pathname}${location.search}` });
  expect(res.statusCode, res.body).toBe(200);
  return res.json();
}

async function connectTiktok(): Promise<{ id: string }> {
  const link = await inject({
    method: 'POST',
    url: `/v1/crafters/${crafter.id}/connections/tiktok-shop/authorize`,
    headers: api.auth(user),
  });
  const state = new URL(link.json().authorizationUrl).searchParams.get('state') as string;
  const shop = channels.tiktok.control.createShop({ tokopedia: true }) as { shop_id: string };
  const { auth_code } = channels.tiktok.control.authorizeShop({
    app_key: channels.tiktokApp.appKey,
    shop_id: shop.shop_id,
  }) as { auth_code: string };
  const res = await inject({
    method: 'GET',
    url: `/v1/connections/callback/tiktok-shop?code=${encodeURIComponent(auth_code)}&state=${encodeURIComponent(state)}`,
  });
  expect(res.statusCode, res.body).toBe(200);
  return res.json();
}

async function connectionRow(id: string) {
  const [row] = await api.database.db.select().from(channelConnections).where(eq(channelConnections.id, id));
  if (!row) throw new Error('no connection');
  return row;
}

async function secretsOf(id: string): Promise<OAuthSecrets> {
  const row = await connectionRow(id);
  return openJson<OAuthSecrets>(
    api.config.credentialsKeyring,
    row.secretsSealed as string,
    secretsContext(id),
  );
}

async function makeDue(id: string): Promise<void> {
  await api.database.db
    .update(channelConnections)
    .set({ tokenExpiresAt: new Date(Date.now() + 60_000) })
    .where(eq(channelConnections.id, id));
}

const refreshCalls = () =>
  channels.sandbox.ctx.callLog.list({ platform: 'shopee', endpoint: '/api/v2/auth/access_token/get' }).length;

/** Calls a shop API with a token, signed as our adapters will: proves the stored token works. */
async function shopInfo(shopId: string, accessToken: string): Promise<{ error: string }> {
  const path = '/api/v2/shop/get_shop_info';
  const timestamp = Math.floor(Date.now() / 1000);
  const { partnerId, partnerKey } = channels.shopeePartner;
  const sign = shopeeSign(partnerKey, { partnerId, path, timestamp, accessToken, shopId });
  const url = `${channels.rootUrl}/shopee${path}?partner_id=${partnerId}&timestamp=${timestamp}&access_token=${accessToken}&shop_id=${shopId}&sign=${sign}`;
  return (await fetch(url)).json() as Promise<{ error: string }>;
}

beforeAll(async () => {
  channels = await startChannelSandbox();
  api = await startTestApi('h8_token_refresh', channels.env);
  otherProcess = createDatabase(api.databaseUrl, { max: 2 });
  crafter = await makeCrafter(api.database.db);
  user = await makeUser(api.database.db, 'crafter', { crafterId: crafter.id });
});

afterAll(async () => {
  await otherProcess?.close();
  await api?.close();
  await channels?.close();
});

describe('token refresh', () => {
  it('two processes refreshing the same Shopee connection at once: one refresh at the platform, still healthy', async () => {
    const connection = await connectShopee();
    const before = await secretsOf(connection.id);
    await makeDue(connection.id);
    const callsBefore = refreshCalls();

    const outcomes = await Promise.all([
      refreshConnectionToken(deps(), connection.id),
      refreshConnectionToken(deps(otherProcess.db), connection.id),
    ]);

    expect(outcomes.sort()).toEqual(['refreshed', 'skipped']);
    expect(refreshCalls() - callsBefore).toBe(1);
    const row = await connectionRow(connection.id);
    expect(row.status).toBe('active');
    expect(row.consecutiveFailures).toBe(0);
    expect(row.refreshLeaseId).toBeNull();
    expect(row.tokenExpiresAt?.getTime()).toBeGreaterThan(Date.now() + 3 * 3600_000);
    const after = await secretsOf(connection.id);
    expect(after.refreshToken).not.toBe(before.refreshToken);
    // The committed pair is the live one: the new access token works, and the new refresh token too.
    expect((await shopInfo(connection.externalShopId, after.accessToken)).error).toBe('');
    expect(await refreshConnectionToken(deps(), connection.id, { force: true })).toBe('refreshed');
    // A connection that is not due is left alone (no platform call).
    const calls = refreshCalls();
    expect(await refreshConnectionToken(deps(), connection.id)).toBe('skipped');
    expect(refreshCalls()).toBe(calls);
  });

  it('a refresh token used elsewhere (revoked) → connection and its listings reauth_required, in plain words', async () => {
    const connection = await connectShopee();
    const product = await makeProduct(api.database.db, crafter.id);
    await api.database.db.insert(channelListings).values({
      connectionId: connection.id,
      productId: product.id,
      state: 'live',
      remoteItemId: '123',
      pushedVersion: 1,
    });
    // Someone else spends the single-use refresh token.
    const stolen = await secretsOf(connection.id);
    const shopee = api.config.channels.shopee;
    if (!shopee) throw new Error('shopee not configured');
    await shopeeRefreshToken(
      createChannelHttp(shopee.baseUrl, 5000),
      shopee,
      stolen.refreshToken,
      connection.externalShopId,
    );

    expect(await refreshConnectionToken(deps(), connection.id, { force: true })).toBe('reauth_required');
    const row = await connectionRow(connection.id);
    expect(row.status).toBe('reauth_required');
    expect(row.statusReason).toMatch(/connect the shop again/);
    expect(row.statusReasonId).toMatch(/hubungkan toko lagi/);
    expect(row.refreshLeaseId).toBeNull();
    const [listing] = await api.database.db
      .select()
      .from(channelListings)
      .where(eq(channelListings.connectionId, connection.id));
    expect(listing?.state).toBe('reauth_required');
    expect(listing?.lastError).toMatch(/Shopee no longer accepts/);
    const view = await inject({
      method: 'GET',
      url: `/v1/connections/${connection.id}`,
      headers: api.auth(user),
    });
    expect(view.json()).toMatchObject({ status: 'reauth_required', health: { state: 'reauth_required' } });
    // Not refreshed again: it is no longer active.
    expect(await refreshConnectionToken(deps(), connection.id, { force: true })).toBe('skipped');
    // The alert feed says so, to the crafter, once.
    const alertsOf = async (state: string) =>
      (await inject({ method: 'GET', url: `/v1/alerts?state=${state}`, headers: api.auth(user) }))
        .json()
        .items.filter((a: { subject: Record<string, string> }) => a.subject.connectionId === connection.id);
    const [alert] = await alertsOf('open');
    expect(alert).toMatchObject({
      kind: 'connection_reauth_required',
      crafterId: crafter.id,
      dedupeKey: `connection_reauth_required:${connection.id}`,
      count: 1,
      message: {
        en: expect.stringMatching(/connect the shop again/),
        id: expect.stringMatching(/hubungkan toko lagi/),
      },
    });

    // Reconnecting the same shop brings it back, and the waiting listing goes back to work.
    const again = await connectShopee(connection.externalShopId);
    expect(again.id).toBe(connection.id);
    expect((await connectionRow(connection.id)).status).toBe('active');
    const [resumed] = await api.database.db
      .select()
      .from(channelListings)
      .where(eq(channelListings.connectionId, connection.id));
    expect(resumed?.state).toBe('pending');
    // …and the alert is resolved.
    expect(await alertsOf('open')).toEqual([]);
    expect(await alertsOf('resolved')).toMatchObject([{ id: alert.id }]);
  });

  it('an expired TikTok Shop refresh token → reauth_required', async () => {
    const connection = await connectTiktok();
    // The sandbox clock moves past the refresh token's expiry (the token service signs nothing).
    channels.sandbox.ctx.clock.restoreOffset(2 * 365 * 86_400_000);
    try {
      expect(await refreshConnectionToken(deps(), connection.id, { force: true })).toBe('reauth_required');
    } finally {
      channels.sandbox.ctx.clock.restoreOffset(0);
    }
    const row = await connectionRow(connection.id);
    expect(row.status).toBe('reauth_required');
    expect(row.lastErrorCode).toBe('refresh_revoked:36004001');
  });

  it('a platform outage is recorded and left for retry; the connection stays active and unleased', async () => {
    const connection = await connectShopee();
    const put = (rules: unknown[]) =>
      fetch(`${channels.rootUrl}/__sandbox/faults`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(rules),
      });
    await put([{ platform: 'shopee', endpoint: '/api/v2/auth/access_token/get', errorRate: 1 }]);
    try {
      await expect(refreshConnectionToken(deps(), connection.id, { force: true })).rejects.toMatchObject({
        kind: 'transient',
      });
    } finally {
      await put([]);
    }
    const row = await connectionRow(connection.id);
    expect(row).toMatchObject({ status: 'active', consecutiveFailures: 1, refreshLeaseId: null });
    expect(row.lastErrorCode).toMatch(/^refresh_transient/);
    // Next attempt succeeds with the same (unspent) refresh token.
    expect(await refreshConnectionToken(deps(), connection.id, { force: true })).toBe('refreshed');
    expect((await connectionRow(connection.id)).consecutiveFailures).toBe(0);
  });

  it('credentials under a key this process lacks: a permanent, recorded failure, not a retry loop', async () => {
    const connection = await connectShopee();
    const elsewhere = parseKeyring(generateKeySpec('gone'), 'gone');
    await api.database.db
      .update(channelConnections)
      .set(sealSecrets(elsewhere, connection.id, { kind: 'oauth', accessToken: 'a', refreshToken: 'r' }))
      .where(eq(channelConnections.id, connection.id));
    await expect(refreshConnectionToken(deps(), connection.id, { force: true })).rejects.toBeInstanceOf(
      TokenRefreshRejectedError,
    );
    const row = await connectionRow(connection.id);
    expect(row).toMatchObject({
      status: 'active',
      lastErrorCode: 'secrets_unavailable',
      refreshLeaseId: null,
    });
  });

  it('the scheduled scan queues ids only, and the worker refreshes due connections', async () => {
    const connection = await connectShopee();
    await makeDue(connection.id);
    const redis = createQueueRedis(api.config.redisUrl);
    const prefix = `${api.config.queuePrefix}_w`;
    const queue = new Queue(QUEUE.connections, { connection: redis, prefix });
    const events = new QueueEvents(QUEUE.connections, { connection: redis.duplicate(), prefix });
    const worker = new Worker(QUEUE.connections, (job) => processConnectionJob(deps(), queue, job), {
      connection: redis.duplicate(),
      prefix,
    });
    try {
      await declareConnectionSchedules(queue);
      await declareConnectionSchedules(queue);
      const schedulers = await queue.getJobSchedulers();
      expect(schedulers.map((s) => s.key)).toEqual(CONNECTION_SCHEDULES.map((s) => s.id));
      expect(schedulers[0]?.tz).toBe('Asia/Jakarta');
      await events.waitUntilReady();

      const scan = await queue.add('scan-token-refresh', { task: 'scan-token-refresh' });
      const scanned = await scan.waitUntilFinished(events, 20_000);
      expect(scanned.queued).toBeGreaterThanOrEqual(1);
      const jobs = await queue.getJobs(['waiting', 'active', 'completed', 'delayed']);
      const refreshJob = jobs.find((j) => j.data.connectionId === connection.id);
      expect(refreshJob?.data).toEqual({ task: 'refresh-token', connectionId: connection.id });
      const result = await refreshJob?.waitUntilFinished(events, 20_000);
      expect(['refreshed', 'skipped']).toContain(result.outcome);
      const row = await connectionRow(connection.id);
      expect(row.tokenExpiresAt?.getTime()).toBeGreaterThan(Date.now() + 3 * 3600_000);
      // Job data in Redis holds ids only, never a token.
      const secrets = await secretsOf(connection.id);
      const dump = JSON.stringify(
        await queue.getJobs(['waiting', 'active', 'completed', 'failed', 'delayed']),
      );
      expect(dump.includes(secrets.accessToken)).toBe(false);
      expect(dump.includes(secrets.refreshToken)).toBe(false);
    } finally {
      await worker.close();
      await events.close();
      await queue.obliterate({ force: true });
      await queue.close();
      redis.disconnect();
    }
  });
});
