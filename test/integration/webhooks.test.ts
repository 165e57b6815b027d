/**
 * `POST /v1/webhooks/shopee` and `/v1/webhooks/tiktok-shop`: signed as each platform signs them, over
 * the raw body; a verified one queues exactly one waiting pull of that shop, a forged one is a 401 and
 * queues nothing, replays and retries add nothing.
 */
import { createHmac } from 'node:crypto';
import type { Queue } from 'bullmq';
import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { channelConnections, outbox } from '../../src/db/schema/index.js';
import { QUEUE } from '../../src/queues/definitions.js';
import { makeConnection } from '../factories/connections.js';
import { makeCrafter } from '../factories/index.js';
import { startTestApi, type TestApi } from '../helpers/api.js';

const PARTNER_KEY = 'webhook-test-partner-key';
const APP_KEY = 'whappkey';
const APP_SECRET = 'webhook-test-app-secret';
const PUBLIC = 'https://kriya.example.id';

let api: TestApi;
let queue: Queue;
let shopee: { id: string; shop: string };
let tiktok: { id: string; shop: string };

const hmac = (key: string, message: string) => createHmac('sha256', key).update(message).digest('hex');

function shopeePush(shopId: string, ordersn = '2601010ABCDEF1', url = `${PUBLIC}/v1/webhooks/shopee`) {
  // Spacing as Shopee sends it: the signature covers these exact bytes, not a re-serialisation.
  const body = `{"data":{"items":[],"ordersn":"${ordersn}","status":"READY_TO_SHIP","completed_scenario":"","update_time":1767225600}, "shop_id":${shopId},"code":3,"timestamp":1767225600}`;
  return {
    method: 'POST' as const,
    url: '/v1/webhooks/shopee',
    headers: { 'content-type': 'application/json', authorization: hmac(PARTNER_KEY, `${url}|${body}`) },
    payload: body,
  };
}

function tiktokWebhook(shopId: string, notificationId = '7327112393057371910') {
  const body = `{"type":1,"tts_notification_id":"${notificationId}","shop_id":"${shopId}","timestamp":1767225600,"data":{"order_id":"576486316948490001","order_status":"AWAITING_SHIPMENT","is_on_hold_order":false,"update_time":1767225600}}`;
  return {
    method: 'POST' as const,
    url: '/v1/webhooks/tiktok-shop',
    headers: { 'content-type': 'application/json', authorization: hmac(APP_SECRET, `${APP_KEY}${body}`) },
    payload: body,
  };
}

async function queuedPulls(): Promise<Array<{ connectionId: string; reason: string }>> {
  const jobs = await queue.getJobs(['waiting', 'delayed', 'prioritized', 'active']);
  return jobs.map((j) => j.data as { connectionId: string; reason: string });
}

beforeAll(async () => {
  api = await startTestApi(
    'pulls_webhooks',
    {
      SANDBOX_URL: 'http://127.0.0.1:9',
      SHOPEE_PARTNER_ID: '1',
      SHOPEE_PARTNER_KEY: PARTNER_KEY,
      TIKTOK_SHOP_APP_KEY: APP_KEY,
      TIKTOK_SHOP_APP_SECRET: APP_SECRET,
      PUBLIC_BASE_URL: 'https://api.internal.example.id',
      WEBHOOK_PUBLIC_BASE_URL: PUBLIC,
    },
    { withQueues: true },
  );
  queue = api.queues.find((q) => q.name === QUEUE.pullOrders) as Queue;
  const crafter = await makeCrafter(api.database.db);
  const keyring = api.config.credentialsKeyring;
  const shopeeId = await makeConnection(api.database.db, keyring, crafter.id, { channel: 'shopee' });
  const tiktokId = await makeConnection(api.database.db, keyring, crafter.id, { channel: 'tiktok_shop' });
  const shopOf = async (id: string) =>
    (
      await api.database.db
        .select({ shop: channelConnections.externalShopId })
        .from(channelConnections)
        .where(eq(channelConnections.id, id))
    )[0]?.shop as string;
  shopee = { id: shopeeId, shop: await shopOf(shopeeId) };
  tiktok = { id: tiktokId, shop: await shopOf(tiktokId) };
});

beforeEach(async () => {
  await queue.obliterate({ force: true });
});

afterAll(async () => {
  await api?.close();
});

describe('POST /v1/webhooks/shopee', () => {
  it('a verified push answers 200 with an empty body and queues one pull of that shop', async () => {
    const res = await api.app.inject(shopeePush(shopee.shop));
    expect(res.statusCode, res.body).toBe(200);
    expect(res.body).toBe('');
    expect(await queuedPulls()).toEqual([{ connectionId: shopee.id, reason: 'webhook' }]);
  });

  it('replays and retries of pushes queue no second pull while one waits', async () => {
    for (let i = 0; i < 3; i += 1) {
      expect((await api.app.inject(shopeePush(shopee.shop))).statusCode).toBe(200);
      expect((await api.app.inject(shopeePush(shopee.shop, `2601010ABCDEF${i + 2}`))).statusCode).toBe(200);
    }
    expect(await queuedPulls()).toEqual([{ connectionId: shopee.id, reason: 'webhook' }]);
  });

  it('a forged push is a 401 problem and queues nothing', async () => {
    const forged = shopeePush(shopee.shop);
    const cases = [
      { ...forged, headers: { ...forged.headers, authorization: hmac('not-the-partner-key', 'x') } },
      { ...forged, headers: { 'content-type': 'application/json' } },
      // Signed for another URL (what the app sees behind a proxy): Shopee signs the public one.
      shopeePush(shopee.shop, '2601010ABCDEF1', 'https://api.internal.example.id/v1/webhooks/shopee'),
      // The body altered after signing.
      { ...forged, payload: forged.payload.replace('READY_TO_SHIP', 'CANCELLED') },
      // A valid JSON re-serialisation of the signed body is not the signed bytes.
      { ...forged, payload: JSON.stringify(JSON.parse(forged.payload)) },
    ];
    for (const req of cases) {
      const res = await api.app.inject(req);
      expect(res.statusCode, res.body).toBe(401);
      expect(res.headers['content-type']).toContain('application/problem+json');
      expect(res.json().code).toBe('webhook_signature_invalid');
    }
    expect(await queuedPulls()).toEqual([]);
  });

  it('a verified push for a shop we do not know is acknowledged and does nothing', async () => {
    const outboxBefore = await api.database.db.select({ n: sql<number>`count(*)::int` }).from(outbox);
    const res = await api.app.inject(shopeePush('987654321'));
    expect(res.statusCode).toBe(200);
    expect(await queuedPulls()).toEqual([]);
    expect(await api.database.db.select({ n: sql<number>`count(*)::int` }).from(outbox)).toEqual(
      outboxBefore,
    );
  });

  it('a shop that needs re-authorization is acknowledged but not pulled', async () => {
    await api.database.db
      .update(channelConnections)
      .set({ status: 'reauth_required' })
      .where(eq(channelConnections.id, shopee.id));
    try {
      expect((await api.app.inject(shopeePush(shopee.shop))).statusCode).toBe(200);
      expect(await queuedPulls()).toEqual([]);
    } finally {
      await api.database.db
        .update(channelConnections)
        .set({ status: 'active' })
        .where(eq(channelConnections.id, shopee.id));
    }
  });
});

describe('POST /v1/webhooks/tiktok-shop', () => {
  it('a verified webhook queues one pull of that shop; its retries add none', async () => {
    for (let i = 0; i < 3; i += 1) {
      const res = await api.app.inject(tiktokWebhook(tiktok.shop));
      expect(res.statusCode, res.body).toBe(200);
      expect(res.body).toBe('');
    }
    expect(await queuedPulls()).toEqual([{ connectionId: tiktok.id, reason: 'webhook' }]);
  });

  it('a Shopee-signed body on the TikTok route, or a wrong app secret, is a 401 and queues nothing', async () => {
    const req = tiktokWebhook(tiktok.shop);
    for (const authorization of [
      hmac('wrong-secret', `${APP_KEY}${req.payload}`),
      hmac(APP_SECRET, req.payload),
    ]) {
      const res = await api.app.inject({ ...req, headers: { ...req.headers, authorization } });
      expect(res.statusCode).toBe(401);
      expect(res.json().code).toBe('webhook_signature_invalid');
    }
    expect(await queuedPulls()).toEqual([]);
  });
});

it('the raw-body parser stays on the webhook routes: other routes still refuse malformed JSON', async () => {
  const res = await api.app.inject({
    method: 'POST',
    url: '/v1/auth/login',
    headers: { 'content-type': 'application/json' },
    payload: '{"username":',
  });
  expect(res.statusCode).toBe(400);
  expect(res.json().code).toBe('malformed_body');
});
