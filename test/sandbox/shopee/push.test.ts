import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildSandbox, type Sandbox } from '../../../sandbox/server.js';
import { pushAuthorization } from '../../../sandbox/shopee/signing.js';
import {
  addItemBody,
  authorizedClient,
  control,
  type ShopeeTestClient,
  sign,
  tinyPng,
  waitFor,
} from './client.js';

type Rec = Record<string, unknown>;
const list = (value: unknown): Rec[] => value as Rec[];

const vector = {
  key: 'test_partner_key',
  url: 'https://example.com/webhook/shopee',
  body: '{"data":{"items":[],"ordersn":"220810QSK8S7BX","status":"PROCESSED","completed_scenario":"","update_time":1660123127},"shop_id":727720655,"code":3,"timestamp":1660123127}',
  authorization: 'a09ceff72bb06a2ca2c707e2359fba1fcf6ed763390581e77b53e63e3fadb540',
};

interface Received {
  headers: IncomingHttpHeaders;
  body: string;
}

/** A local push receiver answering from a script of responses (the last one repeats). */
async function receiver(script: Array<{ status: number; body: string }>) {
  const received: Received[] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => {
      body += chunk.toString('utf8');
    });
    req.on('end', () => {
      received.push({ headers: req.headers, body });
      const answer = script[Math.min(received.length - 1, script.length - 1)] ?? { status: 200, body: '' };
      res.writeHead(answer.status).end(answer.body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhook/shopee`;
  return { url, received, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

describe('shopee push', () => {
  let sandbox: Sandbox;
  let client: ShopeeTestClient;
  const closers: Array<() => Promise<void>> = [];

  beforeEach(async () => {
    sandbox = await buildSandbox({ seed: 5 });
    client = await authorizedClient(sandbox);
    const upload = await client.uploadImage(tinyPng);
    const imageId = String((upload.body.response?.image_info as Rec | undefined)?.image_id);
    await client.post('/api/v2/product/add_item', addItemBody(imageId, { item_sku: 'PUSH-1' }));
  });
  afterEach(async () => {
    await sandbox.close();
    for (const close of closers.splice(0)) await close();
  });

  it('signs pushes as the reference vector says', () => {
    expect(pushAuthorization(vector.key, vector.url, vector.body)).toBe(vector.authorization);
    expect(sign(vector.key, `${vector.url}|${vector.body}`)).toBe(vector.authorization);
  });

  it('pushes a signed code-3 order status, retries a non-2xx on the sandbox clock, then is acknowledged', async () => {
    const hook = await receiver([
      { status: 500, body: 'busy' },
      { status: 200, body: '' },
    ]);
    closers.push(hook.close);
    await control(sandbox, 'POST', '/shopee/configure', {
      app: { partnerId: client.partnerId, pushCallbackUrl: hook.url },
      pushRetryDelaysMs: [60_000, 600_000],
    });
    await control(sandbox, 'POST', '/shopee/orders', {
      shopId: client.shopId,
      orders: [{ orderSn: '261128PUSH0001', status: 'READY_TO_SHIP', lines: [{ sku: 'PUSH-1' }] }],
    });

    const first = await waitFor(() => hook.received[0]);
    expect(first.headers.authorization).toBe(sign(client.partnerKey, `${hook.url}|${first.body}`));
    const payload = JSON.parse(first.body) as Rec;
    expect(payload).toMatchObject({
      code: 3,
      shop_id: client.shopId,
      data: { ordersn: '261128PUSH0001', status: 'READY_TO_SHIP' },
    });

    // Not acknowledged yet: it is a lost push, and no retry happens before the due time.
    const lost = await waitFor(async () => {
      const r = await client.get('/api/v2/push/get_lost_push_message', {}, { public: true });
      return list(r.body.response?.push_message_list).length > 0 ? r : undefined;
    });
    // Lost-push `data`: the whole push as a JSON string (type string, content as the sample's object).
    const lostData = list(lost.body.response?.push_message_list)[0]?.data;
    expect(lostData).toBe(first.body);
    expect(JSON.parse(String(lostData))).toMatchObject({
      code: 3,
      shop_id: client.shopId,
      data: { ordersn: '261128PUSH0001' },
    });
    await control(sandbox, 'POST', '/clock', { advanceMs: 30_000 });
    expect(hook.received).toHaveLength(1);

    await control(sandbox, 'POST', '/clock', { advanceMs: 31_000 });
    await waitFor(() => (hook.received.length >= 2 ? true : undefined));
    expect(hook.received[1]?.body).toBe(first.body);
    const delivered = await waitFor(async () => {
      const r = await control(sandbox, 'GET', '/webhooks?platform=shopee&state=delivered');
      return list(r.body.deliveries).length === 1 ? list(r.body.deliveries)[0] : undefined;
    });
    expect(list(delivered.attempts).map((a) => a.status)).toEqual([500, 200]);
    const after = await client.get('/api/v2/push/get_lost_push_message', {}, { public: true });
    expect(after.body.response?.push_message_list).toEqual([]);
  });

  it('a non-empty 200 is not an acknowledgement; unacknowledged pushes are dropped after the schedule', async () => {
    const hook = await receiver([{ status: 200, body: 'ok' }]);
    closers.push(hook.close);
    await control(sandbox, 'POST', '/shopee/configure', {
      app: { partnerId: client.partnerId, pushCallbackUrl: hook.url },
      pushRetryDelaysMs: [1_000],
    });
    await control(sandbox, 'POST', '/shopee/orders', {
      shopId: client.shopId,
      orders: [{ status: 'UNPAID', lines: [{ sku: 'PUSH-1' }] }],
    });
    await waitFor(() => hook.received[0]);
    await waitFor(async () => {
      const r = await control(sandbox, 'GET', '/webhooks?platform=shopee');
      return list(list(r.body.deliveries)[0]?.attempts).length === 1 ? true : undefined;
    });
    await control(sandbox, 'POST', '/clock', { advanceMs: 2_000 });
    const dropped = await waitFor(async () => {
      const r = await control(sandbox, 'GET', '/webhooks?platform=shopee&state=dropped');
      return list(r.body.deliveries)[0];
    });
    expect(hook.received).toHaveLength(2);
    expect(list(dropped.attempts)).toHaveLength(2);
  });

  it('pushes without a callback become lost messages until confirmed consumed', async () => {
    await control(sandbox, 'POST', '/shopee/orders', {
      shopId: client.shopId,
      orders: [
        { status: 'UNPAID', lines: [{ sku: 'PUSH-1' }] },
        { status: 'READY_TO_SHIP', lines: [{ sku: 'PUSH-1' }] },
      ],
    });
    const lost = await client.get('/api/v2/push/get_lost_push_message', {}, { public: true });
    expect(lost.body.error).toBe('');
    const messages = list(lost.body.response?.push_message_list);
    expect(messages).toHaveLength(2);
    expect(messages.every((m) => m.code === 3 && m.shop_id === client.shopId)).toBe(true);
    const lastId = Number(lost.body.response?.last_message_id);
    const confirm = await client.post(
      '/api/v2/push/confirm_consumed_lost_push_message',
      { last_message_id: lastId },
      { public: true },
    );
    expect(confirm.body.error).toBe('');
    const again = await client.get('/api/v2/push/get_lost_push_message', {}, { public: true });
    expect(again.body.response?.push_message_list).toEqual([]);
  });
});
