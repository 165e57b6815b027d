/**
 * The alert feed: one open alert per key (a raise while open counts, concurrent raises end as one),
 * resolve and re-open as a new episode, the outbox rows for the outbound webhook written with it.
 */
import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { alerts, outbox } from '../../src/db/schema/index.js';
import { raiseAlert, resolveAlert } from '../../src/services/alerts.js';
import { makeCrafter } from '../factories/index.js';
import { startTestApi, type TestApi } from '../helpers/api.js';

let api: TestApi;
let crafter: { id: string };

beforeAll(async () => {
  api = await startTestApi('alerts');
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
