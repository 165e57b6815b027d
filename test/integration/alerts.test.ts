/**
 * The alert feed: one open alert per key (a raise while open counts, concurrent raises end as one),
 * resolve and re-open as a new episode, the outbox rows for the outbound webhook written with it;
 * `GET /v1/alerts` scoped, filtered and paged; the outbound webhook delivered through the real
 * relay and a real BullMQ worker to a local HTTP receiver, signed, retried with backoff.
 */
import { createServer, type Server } from 'node:http';
import { type Job, Worker } from 'bullmq';
import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { AlertWebhookConfig } from '../../src/config/env.js';
import { alerts, outbox } from '../../src/db/schema/index.js';
import type { Principal } from '../../src/domain/scope.js';
import { createQueueRedis } from '../../src/lib/redis.js';
import { relayOutboxBatch } from '../../src/outbox/relay.js';
import { QUEUE } from '../../src/queues/definitions.js';
import { signAlertWebhook, verifyAlertWebhook } from '../../src/services/alert-webhook.js';
import { type AlertInput, raiseAlert, resolveAlert } from '../../src/services/alerts.js';
import { alertWebhookWorkerSettings, processAlertWebhook } from '../../workers/processors/alert-webhook.js';
import { CITY, KECAMATAN, KELURAHAN, makeCrafter, makeUser } from '../factories/index.js';
import { startTestApi, type TestApi } from '../helpers/api.js';

let api: TestApi;
let crafter: { id: string };

beforeAll(async () => {
  api = await startTestApi('alerts', {}, { withQueues: true });
  crafter = await makeCrafter(api.database.db);
});
afterAll(async () => {
  await api?.close();
});

const message = { en: 'Shopee needs you to connect the shop again.', id: 'Hubungkan toko Shopee lagi.' };

async function outboxFor(alertId: number) {
  return api.database.db
    .select({ topic: outbox.topic, payload: outbox.payload })
    .from(outbox)
    .where(sql`${outbox.aggregateType} = 'alert' and ${outbox.aggregateId} = ${String(alertId)}`)
    .orderBy(outbox.id);
}

describe('raiseAlert / resolveAlert', () => {
  it('opens one alert per key; raising again counts it and refreshes the message', async () => {
    const key = `connection_reauth_required:${crypto.randomUUID()}`;
    const first = await raiseAlert(api.database.db, {
      kind: 'connection_reauth_required',
      crafterId: crafter.id,
      dedupeKey: key,
      message,
      subject: { connectionId: 'c1' },
    });
    expect(first).toMatchObject({ opened: true, count: 1 });
    const again = await raiseAlert(api.database.db, {
      kind: 'connection_reauth_required',
      crafterId: crafter.id,
      dedupeKey: key,
      message: { en: 'Still waiting.', id: 'Masih menunggu.' },
      subject: { connectionId: 'c1' },
    });
    expect(again).toEqual({ id: first.id, opened: false, count: 2 });
    const rows = await api.database.db.select().from(alerts).where(eq(alerts.dedupeKey, key));
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ count: 2, messageEn: 'Still waiting.', resolvedAt: null });
    expect(rows[0]?.lastSeenAt.getTime()).toBeGreaterThanOrEqual(rows[0]?.openedAt.getTime() ?? 0);
    // Only the opening is announced to the webhook, not every repeat.
    expect(await outboxFor(first.id)).toEqual([{ topic: 'alert.opened', payload: { alertId: first.id } }]);
  });

  it('concurrent raises of one key end as one open alert', async () => {
    const key = `listing_failed:${crypto.randomUUID()}`;
    const results = await Promise.all(
      Array.from({ length: 8 }, () =>
        raiseAlert(api.database.db, {
          kind: 'listing_failed',
          crafterId: crafter.id,
          dedupeKey: key,
          message,
        }),
      ),
    );
    expect(new Set(results.map((r) => r.id)).size).toBe(1);
    expect(results.filter((r) => r.opened)).toHaveLength(1);
    const [row] = await api.database.db.select().from(alerts).where(eq(alerts.dedupeKey, key));
    expect(row?.count).toBe(8);
  });

  it('resolves the open alert; a later raise opens a new episode', async () => {
    const key = `listing_failed:${crypto.randomUUID()}`;
    const first = await raiseAlert(api.database.db, {
      kind: 'listing_failed',
      crafterId: crafter.id,
      dedupeKey: key,
      message,
    });
    expect(await resolveAlert(api.database.db, key)).toBe(first.id);
    // Nothing open any more: resolving again is a no-op.
    expect(await resolveAlert(api.database.db, key)).toBeNull();
    const second = await raiseAlert(api.database.db, {
      kind: 'listing_failed',
      crafterId: crafter.id,
      dedupeKey: key,
      message,
    });
    expect(second.opened).toBe(true);
    expect(second.id).not.toBe(first.id);
    const rows = await api.database.db
      .select()
      .from(alerts)
      .where(eq(alerts.dedupeKey, key))
      .orderBy(alerts.id);
    expect(rows.map((r) => r.resolvedAt === null)).toEqual([false, true]);
    expect((await outboxFor(first.id)).map((r) => r.topic)).toEqual(['alert.opened', 'alert.resolved']);
  });

  it('commits and rolls back with the caller transaction', async () => {
    const key = `order_oversold:${crypto.randomUUID()}`;
    await expect(
      api.database.db.transaction(async (tx) => {
        await raiseAlert(tx, { kind: 'order_oversold', crafterId: crafter.id, dedupeKey: key, message });
        throw new Error('the ingest failed');
      }),
    ).rejects.toThrow('the ingest failed');
    expect(await api.database.db.select().from(alerts).where(eq(alerts.dedupeKey, key))).toEqual([]);
  });
});

describe('GET /v1/alerts', () => {
  let inCiater: { id: string };
  let inRawabuntu: { id: string };
  let inPakulonan: { id: string };
  const who: Record<string, Principal> = {};

  const raise = (crafterId: string, kind: AlertInput['kind'], key: string = crypto.randomUUID()) =>
    raiseAlert(api.database.db, { kind, crafterId, dedupeKey: `${kind}:${key}`, message });

  beforeAll(async () => {
    const db = api.database.db;
    inCiater = await makeCrafter(db, { kelurahanCode: KELURAHAN.ciater });
    inRawabuntu = await makeCrafter(db, { kelurahanCode: KELURAHAN.rawabuntu });
    inPakulonan = await makeCrafter(db, { kelurahanCode: KELURAHAN.pakulonan });
    who.crafter = await makeUser(db, 'crafter', { crafterId: inCiater.id });
    who.kelurahan = await makeUser(db, 'admin', { regionCode: KELURAHAN.ciater });
    who.kecamatan = await makeUser(db, 'admin', { regionCode: KECAMATAN.serpong });
    who.city = await makeUser(db, 'admin', { regionCode: CITY });
    who.operator = await makeUser(db, 'operator');
    await raise(inCiater.id, 'listing_failed');
    await raise(inCiater.id, 'connection_reauth_required');
    await raise(inRawabuntu.id, 'order_oversold');
    await raise(inPakulonan.id, 'pull_failing');
    const resolved = await raise(inCiater.id, 'listing_failed', 'resolved-one');
    await resolveAlert(db, `listing_failed:resolved-one`);
    expect(resolved.opened).toBe(true);
  });

  async function list(principal: Principal, query = '') {
    const res = await api.app.inject({
      method: 'GET',
      url: `/v1/alerts${query}`,
      headers: api.auth(principal),
    });
    return res;
  }
  const crafterIdsOf = (res: { json(): unknown }) =>
    new Set((res.json() as { items: Array<{ crafterId: string }> }).items.map((i) => i.crafterId));
  const ours = () => new Set([inCiater.id, inRawabuntu.id, inPakulonan.id]);

  it('needs a token', async () => {
    const res = await api.app.inject({ method: 'GET', url: '/v1/alerts' });
    expect(res.statusCode).toBe(401);
    expect(res.json().code).toBe('unauthenticated');
  });

  it('clips the feed to the caller scope', async () => {
    const within = async (p: Principal) => {
      const ids = crafterIdsOf(await list(p, '?limit=200'));
      return [...ours()].filter((id) => ids.has(id)).sort();
    };
    expect(await within(who.crafter as Principal)).toEqual([inCiater.id]);
    expect(await within(who.kelurahan as Principal)).toEqual([inCiater.id]);
    expect(await within(who.kecamatan as Principal)).toEqual([inCiater.id, inRawabuntu.id].sort());
    expect(await within(who.city as Principal)).toEqual([...ours()].sort());
    expect(await within(who.operator as Principal)).toEqual([...ours()].sort());
  });

  it('shows open alerts by default; filters by state and kind', async () => {
    const open = (await list(who.crafter as Principal)).json();
    expect(open.items.map((a: { kind: string }) => a.kind).sort()).toEqual([
      'connection_reauth_required',
      'listing_failed',
    ]);
    expect(open.items.every((a: { resolvedAt: string | null }) => a.resolvedAt === null)).toBe(true);
    const resolved = (await list(who.crafter as Principal, '?state=resolved')).json();
    expect(resolved.items).toHaveLength(1);
    expect(resolved.items[0]).toMatchObject({ dedupeKey: 'listing_failed:resolved-one', message });
    expect((await list(who.crafter as Principal, '?state=all')).json().items).toHaveLength(3);
    const kinds = (await list(who.city as Principal, '?kind=order_oversold,pull_failing&limit=200')).json();
    expect(new Set(kinds.items.map((a: { kind: string }) => a.kind))).toEqual(
      new Set(['order_oversold', 'pull_failing']),
    );
  });

  it('pages newest first with a cursor, every alert once', async () => {
    const seen: number[] = [];
    let cursor: string | null = null;
    do {
      const res = await list(
        who.operator as Principal,
        `?state=all&limit=2${cursor ? `&cursor=${cursor}` : ''}`,
      );
      expect(res.statusCode).toBe(200);
      seen.push(...res.json().items.map((a: { id: number }) => a.id));
      cursor = res.json().nextCursor;
    } while (cursor);
    const all = await api.database.db.select({ id: alerts.id }).from(alerts);
    expect(seen).toEqual(all.map((a) => a.id).sort((a, b) => b - a));
  });

  it('answers bad input with 400 problems', async () => {
    for (const query of ['?kind=fire', '?state=closed', '?cursor=nope', '?crafterId=x', '?limit=0']) {
      const res = await list(who.operator as Principal, query);
      expect(res.statusCode, query).toBe(400);
      expect(res.headers['content-type']).toContain('application/problem+json');
      expect(res.json().code).toBe('validation_failed');
    }
  });
});

describe('outbound alert webhook', () => {
  const secret = 'whsec-0123456789abcdef';
  let server: Server;
  let url: string;
  /** What the receiver answers per delivery id, in order; 200 once the script runs out. */
  const scripts = new Map<string, number[]>();
  const received: Array<{ headers: Record<string, string>; body: string; answered: number }> = [];
  let worker: Worker;

  beforeAll(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.setEncoding('utf8');
      req.on('data', (chunk) => {
        body += chunk;
      });
      req.on('end', () => {
        const answered = scripts.get(String(req.headers['x-kriya-delivery']))?.shift() ?? 200;
        received.push({ headers: req.headers as Record<string, string>, body, answered });
        res.writeHead(answered).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    if (!address || typeof address !== 'object') throw new Error('no receiver address');
    url = `http://127.0.0.1:${address.port}/hooks/kriya`;
    const config: AlertWebhookConfig = { url, secret, timeoutMs: 2_000, retryBaseMs: 50 };
    worker = new Worker(
      QUEUE.alertWebhooks,
      (job: Job) => processAlertWebhook({ db: api.database.db, config }, job),
      {
        connection: createQueueRedis(api.config.redisUrl),
        prefix: api.config.queuePrefix,
        settings: alertWebhookWorkerSettings(config),
      },
    );
  });
  afterAll(async () => {
    await worker?.close();
    await new Promise((resolve) => server?.close(resolve));
  });

  const deliveriesOf = (delivery: string) =>
    received.filter((r) => r.headers['x-kriya-delivery'] === delivery);

  it('delivers a signed body, retrying with backoff until the receiver takes it', async () => {
    const key = `connection_reauth_required:${crypto.randomUUID()}`;
    const { id } = await raiseAlert(api.database.db, {
      kind: 'connection_reauth_required',
      crafterId: crafter.id,
      dedupeKey: key,
      message,
      subject: { connectionId: 'conn-1' },
    });
    const delivery = `alert:${id}:opened`;
    scripts.set(delivery, [503, 500]);
    await relayOutboxBatch(api.database.db, api.queues);
    await vi.waitFor(() => expect(deliveriesOf(delivery).map((d) => d.answered)).toEqual([503, 500, 200]), {
      timeout: 15_000,
      interval: 50,
    });
    for (const d of deliveriesOf(delivery)) {
      expect(d.headers['content-type']).toBe('application/json');
      expect(d.headers['x-kriya-event']).toBe('alert.opened');
      expect(
        verifyAlertWebhook(
          secret,
          { signature: d.headers['x-kriya-signature'], timestamp: d.headers['x-kriya-timestamp'] },
          d.body,
        ),
      ).toBe(true);
      // Independently of our verifier: HMAC-SHA256 over "<timestamp>.<body>".
      expect(d.headers['x-kriya-signature']).toBe(
        signAlertWebhook(secret, Number(d.headers['x-kriya-timestamp']), d.body),
      );
    }
    const body = JSON.parse(deliveriesOf(delivery)[2]?.body ?? '{}');
    expect(body).toMatchObject({
      delivery,
      event: 'alert.opened',
      alert: {
        id,
        kind: 'connection_reauth_required',
        crafterId: crafter.id,
        dedupeKey: key,
        message,
        subject: { connectionId: 'conn-1' },
        resolvedAt: null,
      },
    });

    // Resolving sends its own event; the relay adding it twice still delivers once.
    await resolveAlert(api.database.db, key);
    await relayOutboxBatch(api.database.db, api.queues);
    await api.database.db.execute(
      sql`update outbox set relayed_at = null where topic = 'alert.resolved' and aggregate_id = ${String(id)}`,
    );
    await relayOutboxBatch(api.database.db, api.queues);
    await vi.waitFor(() => expect(deliveriesOf(`alert:${id}:resolved`)).toHaveLength(1), {
      timeout: 10_000,
      interval: 50,
    });
    const resolved = JSON.parse(deliveriesOf(`alert:${id}:resolved`)[0]?.body ?? '{}');
    expect(resolved.event).toBe('alert.resolved');
    expect(resolved.alert.resolvedAt).not.toBeNull();
  });

  it('a receiver refusing with 4xx gets no retry storm', async () => {
    const { id } = await raiseAlert(api.database.db, {
      kind: 'listing_failed',
      crafterId: crafter.id,
      dedupeKey: `listing_failed:${crypto.randomUUID()}`,
      message,
    });
    scripts.set(`alert:${id}:opened`, [400]);
    await relayOutboxBatch(api.database.db, api.queues);
    const queue = api.queues.find((q) => q.name === QUEUE.alertWebhooks);
    await vi.waitFor(async () => expect(await queue?.getJobState(`alert:${id}:opened`)).toBe('failed'), {
      timeout: 10_000,
      interval: 50,
    });
    expect(deliveriesOf(`alert:${id}:opened`).map((d) => d.answered)).toEqual([400]);
  });

  it('a receiver rejects a tampered body, a wrong secret or a stale timestamp', () => {
    const body = '{"event":"alert.opened"}';
    const ts = Math.floor(Date.now() / 1000);
    const signature = signAlertWebhook(secret, ts, body);
    expect(verifyAlertWebhook(secret, { signature, timestamp: String(ts) }, body)).toBe(true);
    expect(verifyAlertWebhook(secret, { signature, timestamp: String(ts) }, `${body} `)).toBe(false);
    expect(verifyAlertWebhook('another-secret-123456', { signature, timestamp: String(ts) }, body)).toBe(
      false,
    );
    expect(verifyAlertWebhook(secret, { signature, timestamp: String(ts + 1) }, body)).toBe(false);
    const old = ts - 3600;
    expect(
      verifyAlertWebhook(
        secret,
        { signature: signAlertWebhook(secret, old, body), timestamp: String(old) },
        body,
      ),
    ).toBe(false);
  });
});
