/**
 * Listings API and category mappings: publishing (idempotent, own crafter's live connections only,
 * outbox row in the same transaction), the listing views, resync, overrides under If-Match, ending,
 * scoping, and the council's category mappings. The push pipeline is not running here: these tests
 * check what the API records and asks for, not the remote work.
 */
import { and, eq, inArray, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  channelConnections,
  channelListings,
  channelListingVariants,
  listingPushAttempts,
  outbox,
} from '../../src/db/schema/index.js';
import type { Principal } from '../../src/domain/scope.js';
import { BULK_PUBLISH_MAX_PRODUCTS } from '../../src/services/listings.js';
import { makeConnection } from '../factories/connections.js';
import { CITY, KECAMATAN, KELURAHAN, makeCrafter, makeUser } from '../factories/index.js';
import { makeProduct } from '../factories/products.js';
import { startTestApi, type TestApi } from '../helpers/api.js';

let api: TestApi;
let crafter: { id: string };
let otherCrafter: { id: string };
let crafterUser: Principal;
let otherUser: Principal;
let operator: Principal;
let cityAdmin: Principal;
let kecamatanAdmin: Principal;

beforeAll(async () => {
  api = await startTestApi('listings');
  const db = api.database.db;
  crafter = await makeCrafter(db, { kelurahanCode: KELURAHAN.ciater });
  otherCrafter = await makeCrafter(db, { kelurahanCode: KELURAHAN.pakulonan });
  [crafterUser, otherUser, operator, cityAdmin, kecamatanAdmin] = await Promise.all([
    makeUser(db, 'crafter', { crafterId: crafter.id }),
    makeUser(db, 'crafter', { crafterId: otherCrafter.id }),
    makeUser(db, 'operator'),
    makeUser(db, 'admin', { regionCode: CITY }),
    makeUser(db, 'admin', { regionCode: KECAMATAN.serpong }),
  ]);
});
afterAll(async () => {
  await api.close();
});

const db = () => api.database.db;
const connection = (overrides: Parameters<typeof makeConnection>[3] = {}, crafterId = crafter.id) =>
  makeConnection(db(), api.config.credentialsKeyring, crafterId, overrides);

async function outboxFor(listingId: string, topic = 'listing.push_requested') {
  return db()
    .select()
    .from(outbox)
    .where(and(eq(outbox.aggregateId, listingId), eq(outbox.topic, topic)));
}

async function publish(productId: string, connectionIds: string[], who: Principal = crafterUser) {
  return api.app.inject({
    method: 'POST',
    url: `/v1/products/${productId}/listings`,
    headers: api.auth(who),
    payload: { connectionIds },
  });
}

async function publishedListing(): Promise<{ id: string; productId: string; connectionId: string }> {
  const product = await makeProduct(db(), crafter.id);
  const connectionId = await connection();
  const res = await publish(product.id, [connectionId]);
  expect(res.statusCode, res.body).toBe(200);
  return { id: res.json().items[0].id, productId: product.id, connectionId };
}

describe('publishing', () => {
  it('creates one pending listing per connection, each with a push_requested outbox row', async () => {
    const product = await makeProduct(db(), crafter.id);
    const shopee = await connection({ channel: 'shopee' });
    const tiktok = await connection({ channel: 'tiktok_shop' });
    const res = await publish(product.id, [shopee, tiktok]);
    expect(res.statusCode, res.body).toBe(200);
    const items = res.json().items as Array<Record<string, unknown>>;
    expect(items.map((i) => [i.connectionId, i.channel, i.state])).toEqual([
      [shopee, 'shopee', 'pending'],
      [tiktok, 'tiktok_shop', 'pending'],
    ]);
    for (const item of items) {
      const rows = await outboxFor(item.id as string);
      expect(rows).toHaveLength(1);
      expect(rows[0]?.payload).toEqual({ listingId: item.id });
      expect(rows[0]?.aggregateType).toBe('listing');
    }
  });

  it('is idempotent: publishing again leaves one listing and asks for no second push', async () => {
    const { id, productId, connectionId } = await publishedListing();
    const again = await publish(productId, [connectionId, connectionId]);
    expect(again.statusCode, again.body).toBe(200);
    expect(again.json().items.map((i: { id: string }) => i.id)).toEqual([id]);
    const listings = await db()
      .select()
      .from(channelListings)
      .where(eq(channelListings.productId, productId));
    expect(listings).toHaveLength(1);
    expect(await outboxFor(id)).toHaveLength(1);
  });

  it('refuses another crafter’s connection and a disconnected one, writing nothing', async () => {
    const product = await makeProduct(db(), crafter.id);
    const mine = await connection();
    const theirs = await connection({}, otherCrafter.id);
    const foreign = await publish(product.id, [mine, theirs], operator);
    expect(foreign.statusCode, foreign.body).toBe(400);
    expect(foreign.headers['content-type']).toContain('application/problem+json');
    expect(foreign.json().errors).toEqual([
      { path: 'body.connectionIds.1', message: "not a connection of the product's crafter" },
    ]);
    const gone = await connection({ status: 'disconnected', secretsSealed: null, secretsKeyId: null });
    const disconnected = await publish(product.id, [mine, gone]);
    expect(disconnected.statusCode, disconnected.body).toBe(409);
    expect(disconnected.json().code).toBe('connection_disconnected');
    const listings = await db()
      .select()
      .from(channelListings)
      .where(eq(channelListings.productId, product.id));
    expect(listings).toEqual([]);
  });

  it('refuses a draft product', async () => {
    const product = await makeProduct(db(), crafter.id, { status: 'draft' });
    const res = await publish(product.id, [await connection()]);
    expect(res.statusCode, res.body).toBe(409);
    expect(res.json().code).toBe('product_not_active');
  });

  it('a listing for a shop waiting for re-authorization waits too (no push asked for)', async () => {
    const product = await makeProduct(db(), crafter.id);
    const res = await publish(product.id, [await connection({ status: 'reauth_required' })]);
    expect(res.statusCode, res.body).toBe(200);
    const item = res.json().items[0];
    expect(item.state).toBe('reauth_required');
    expect(await outboxFor(item.id)).toHaveLength(0);
  });
});

describe('publishing in bulk', () => {
  const bulk = (productIds: string[], connectionIds: string[], who: Principal | null = crafterUser) =>
    api.app.inject({
      method: 'POST',
      url: '/v1/listings/publish',
      ...(who ? { headers: api.auth(who) } : {}),
      payload: { productIds, connectionIds },
    });
  const listingsOf = (productIds: string[]) =>
    db().select().from(channelListings).where(inArray(channelListings.productId, productIds));

  it('needs a login', async () => {
    const res = await bulk([(await makeProduct(db(), crafter.id)).id], [await connection()], null);
    expect(res.statusCode).toBe(401);
    expect(res.headers['content-type']).toContain('application/problem+json');
  });

  it('publishes every product to every connection, one push asked per listing; again changes nothing', async () => {
    const made = await Promise.all([1, 2, 3].map(() => makeProduct(db(), crafter.id)));
    const ids = made.map((p) => p.id);
    const shopee = await connection({ channel: 'shopee' });
    const tiktok = await connection({ channel: 'tiktok_shop' });
    const res = await bulk(ids, [shopee, tiktok]);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ started: 6, unchanged: 0 });
    const rows = await listingsOf(ids);
    expect(rows.map((l) => `${l.connectionId}:${l.productId}:${l.state}`).sort()).toEqual(
      [shopee, tiktok].flatMap((c) => ids.map((p) => `${c}:${p}:pending`)).sort(),
    );
    for (const row of rows) expect(await outboxFor(row.id)).toHaveLength(1);

    // The same call, with a repeated id, and one product more: only the new pair starts.
    const extra = await makeProduct(db(), crafter.id);
    const again = await bulk([...ids, ids[0] as string, extra.id], [shopee]);
    expect(again.statusCode, again.body).toBe(200);
    expect(again.json()).toMatchObject({ started: 1, unchanged: 3 });
    expect(again.json().items).toHaveLength(4);
    for (const row of await listingsOf(ids)) expect(await outboxFor(row.id)).toHaveLength(1);
  });

  it('takes the most products a call allows across many shops (10,000 listings) in one transaction', async () => {
    const inserted = await db().execute<{ id: string }>(sql`
      insert into products (crafter_id, title, description, category, attributes, image_urls, status)
      select ${crafter.id}::uuid, 'Bulk ' || n, 'Dianyam tangan.', 'kerajinan/anyaman', '{}'::jsonb, '[]'::jsonb, 'active'
      from generate_series(1, ${BULK_PUBLISH_MAX_PRODUCTS}) n
      returning id`);
    const ids = inserted.map((r) => r.id);
    const shops = await Promise.all(Array.from({ length: 10 }, () => connection()));
    const res = await bulk(ids, shops);
    expect(res.statusCode, res.body.slice(0, 300)).toBe(200);
    expect(res.json().started).toBe(ids.length * shops.length);
    const [pushes] = await db().execute<{ n: number }>(sql`
      select count(*)::int as n from outbox o join channel_listings l on l.id::text = o.aggregate_id
      where o.topic = 'listing.push_requested' and l.connection_id in ${shops}`);
    expect(pushes?.n).toBe(ids.length * shops.length);
    const tooMany = await bulk([...ids, ids[0] as string], shops);
    expect(tooMany.statusCode).toBe(400);
  });

  it('all or nothing: a draft, a foreign or unknown product, or another crafter’s shop refuses the call and writes nothing', async () => {
    const good = await makeProduct(db(), crafter.id);
    const draft = await makeProduct(db(), crafter.id, { status: 'draft' });
    const theirs = await makeProduct(db(), otherCrafter.id);
    const mine = await connection();
    const refused = await bulk([good.id, draft.id, theirs.id], [mine], operator);
    expect(refused.statusCode, refused.body).toBe(400);
    expect(refused.headers['content-type']).toContain('application/problem+json');
    expect(refused.json().code).toBe('validation_failed');
    expect(refused.json().errors).toEqual([
      { path: 'body.productIds.1', message: 'draft: only an active product can be published' },
      { path: 'body.productIds.2', message: "not a product of the connections' crafter" },
    ]);
    const mixed = await bulk([good.id], [mine, await connection({}, otherCrafter.id)], operator);
    expect(mixed.statusCode, mixed.body).toBe(400);
    expect(mixed.json().errors).toEqual([
      { path: 'body.connectionIds.1', message: 'a connection of another crafter' },
    ]);
    // Another crafter's login does not see this crafter's shop at all.
    const outside = await bulk([good.id], [mine], otherUser);
    expect(outside.statusCode, outside.body).toBe(400);
    expect(outside.json().errors).toEqual([{ path: 'body.connectionIds.0', message: 'no such connection' }]);
    const gone = await connection({ status: 'disconnected', secretsSealed: null, secretsKeyId: null });
    const disconnected = await bulk([good.id], [mine, gone]);
    expect(disconnected.statusCode, disconnected.body).toBe(409);
    expect(disconnected.json().code).toBe('connection_disconnected');
    expect(await listingsOf([good.id, draft.id, theirs.id])).toEqual([]);
  });

  it('starts an ended listing again, and one for a shop waiting for re-authorization waits (no push asked for)', async () => {
    const { id, productId, connectionId } = await publishedListing();
    const end = await api.app.inject({
      method: 'DELETE',
      url: `/v1/listings/${id}`,
      headers: api.auth(crafterUser),
    });
    expect(end.statusCode, end.body).toBe(202);
    const waiting = await connection({ status: 'reauth_required' });
    const res = await bulk([productId], [connectionId, waiting]);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ started: 2, unchanged: 0 });
    const byConnection = new Map(
      (res.json().items as Array<{ connectionId: string; id: string; state: string }>).map((i) => [
        i.connectionId,
        i,
      ]),
    );
    expect(byConnection.get(connectionId)).toMatchObject({ id, state: 'pending' });
    expect(byConnection.get(waiting)?.state).toBe('reauth_required');
    expect(await outboxFor(id)).toHaveLength(2);
    expect(await outboxFor(byConnection.get(waiting)?.id as string)).toHaveLength(0);
    const [row] = await db().select().from(channelListings).where(eq(channelListings.id, id));
    expect(row?.delistedAt).toBeNull();
  });
});

describe('reading listings', () => {
  it('shows state, remote ids per variant, versions, the last error in both languages and the history, newest first and bounded', async () => {
    const { id, productId } = await publishedListing();
    const product = await api.app.inject({
      method: 'GET',
      url: `/v1/products/${productId}`,
      headers: api.auth(crafterUser),
    });
    const variantIds = (product.json().variants as Array<{ id: string }>).map((v) => v.id);
    await db()
      .update(channelListings)
      .set({
        state: 'failed',
        remoteItemId: '880001',
        pushedVersion: 1,
        lastErrorCode: 'title_too_long',
        lastError: 'Shopee refused the title: longer than 120 characters',
        lastErrorId: 'Shopee menolak judul: lebih dari 120 karakter',
        lastErrorAt: new Date('2026-01-02T03:04:05Z'),
        attempts: 3,
        lastSuccessAt: new Date('2026-01-01T00:00:00Z'),
      })
      .where(eq(channelListings.id, id));
    await db()
      .insert(channelListingVariants)
      .values({
        listingId: id,
        variantId: variantIds[0] as string,
        remoteModelId: '990001',
        pushedPriceIdr: 150_000,
      });
    await db()
      .insert(listingPushAttempts)
      .values(
        Array.from({ length: 25 }, (_, i) => ({
          listingId: id,
          kind: 'update' as const,
          productVersion: 1,
          outcome: 'retryable' as const,
          startedAt: new Date(Date.UTC(2026, 0, 1, 0, i)),
        })),
      );
    // The product moves on: the listing is behind.
    await db().execute(sql`update products set version = version + 1 where id = ${productId}`);

    const res = await api.app.inject({
      method: 'GET',
      url: `/v1/listings/${id}`,
      headers: api.auth(crafterUser),
    });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.headers.etag).toBe(`"${res.json().version}"`);
    const body = res.json();
    expect(body).toMatchObject({
      state: 'failed',
      remoteItemId: '880001',
      pushedVersion: 1,
      productVersion: 2,
      inSync: false,
      attempts: 3,
      lastSuccessAt: '2026-01-01T00:00:00.000Z',
      lastError: {
        code: 'title_too_long',
        en: 'Shopee refused the title: longer than 120 characters',
        id: 'Shopee menolak judul: lebih dari 120 karakter',
        at: '2026-01-02T03:04:05.000Z',
      },
    });
    expect(
      body.variants.map((v: { variantId: string; remoteModelId: string | null }) => [
        v.variantId,
        v.remoteModelId,
      ]),
    ).toEqual([
      [variantIds[0], '990001'],
      [variantIds[1], null],
    ]);
    expect(body.pushHistory).toHaveLength(20);
    expect(body.pushHistory[0].startedAt).toBe('2026-01-01T00:24:00.000Z');
    expect(body.pushHistory[19].startedAt).toBe('2026-01-01T00:05:00.000Z');
  });

  it('lists a product’s listings and a connection’s listings page by page; a bad cursor is a 400', async () => {
    const connectionId = await connection();
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const product = await makeProduct(db(), crafter.id);
      const res = await publish(product.id, [connectionId]);
      ids.push(res.json().items[0].id);
      const forProduct = await api.app.inject({
        method: 'GET',
        url: `/v1/products/${product.id}/listings`,
        headers: api.auth(crafterUser),
      });
      expect(forProduct.json().items.map((l: { id: string }) => l.id)).toEqual([res.json().items[0].id]);
    }
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: Awaited<ReturnType<typeof api.app.inject>> = await api.app.inject({
        method: 'GET',
        url: `/v1/connections/${connectionId}/listings?limit=2${cursor ? `&cursor=${cursor}` : ''}`,
        headers: api.auth(crafterUser),
      });
      expect(page.statusCode, page.body).toBe(200);
      seen.push(...page.json().items.map((l: { id: string }) => l.id));
      cursor = page.json().nextCursor;
    } while (cursor);
    expect(seen.sort()).toEqual([...ids].sort());
    const bad = await api.app.inject({
      method: 'GET',
      url: `/v1/connections/${connectionId}/listings?cursor=bm9wZQ`,
      headers: api.auth(crafterUser),
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().code).toBe('validation_failed');
  });

  it('another crafter sees none of it (404, like a listing that does not exist)', async () => {
    const { id, connectionId } = await publishedListing();
    for (const url of [`/v1/listings/${id}`, `/v1/connections/${connectionId}/listings`]) {
      const res = await api.app.inject({ method: 'GET', url, headers: api.auth(otherUser) });
      expect(res.statusCode, url).toBe(404);
    }
  });
});

describe('changing listings', () => {
  it('resync forces a push and takes a failed listing back to pending', async () => {
    const { id } = await publishedListing();
    await db().update(channelListings).set({ state: 'failed' }).where(eq(channelListings.id, id));
    const res = await api.app.inject({
      method: 'POST',
      url: `/v1/listings/${id}/resync`,
      headers: api.auth(crafterUser),
    });
    expect(res.statusCode, res.body).toBe(202);
    expect(res.json().state).toBe('pending');
    expect(await outboxFor(id)).toHaveLength(2);
  });

  it('overrides need If-Match; a change asks for a push, the same values ask for nothing', async () => {
    const { id } = await publishedListing();
    const url = `/v1/listings/${id}`;
    const payload = { priceRule: { kind: 'percent', value: 1000, roundingStepIdr: 500 } };
    const missing = await api.app.inject({ method: 'PATCH', url, headers: api.auth(crafterUser), payload });
    expect(missing.statusCode).toBe(428);
    const stale = await api.app.inject({
      method: 'PATCH',
      url,
      headers: { ...api.auth(crafterUser), 'if-match': '"99"' },
      payload,
    });
    expect(stale.statusCode).toBe(412);
    expect(await outboxFor(id)).toHaveLength(1);

    const current = await api.app.inject({ method: 'GET', url, headers: api.auth(crafterUser) });
    const changed = await api.app.inject({
      method: 'PATCH',
      url,
      headers: { ...api.auth(crafterUser), 'if-match': String(current.headers.etag) },
      payload: { ...payload, stockBuffer: { percent: 20, maxUnits: null } },
    });
    expect(changed.statusCode, changed.body).toBe(200);
    expect(changed.json().overrides).toEqual({
      priceRule: { kind: 'percent', value: 1000 },
      roundingStepIdr: 500,
      stockBufferPercent: 20,
      stockBufferMaxUnits: null,
    });
    expect(await outboxFor(id)).toHaveLength(2);
    const same = await api.app.inject({
      method: 'PATCH',
      url,
      headers: { ...api.auth(crafterUser), 'if-match': String(changed.headers.etag) },
      payload,
    });
    expect(same.statusCode).toBe(200);
    expect(same.headers.etag).toBe(changed.headers.etag);
    expect(await outboxFor(id)).toHaveLength(2);
    const cleared = await api.app.inject({
      method: 'PATCH',
      url,
      headers: { ...api.auth(crafterUser), 'if-match': String(changed.headers.etag) },
      payload: { priceRule: null, stockBuffer: null },
    });
    expect(cleared.json().overrides).toEqual({
      priceRule: null,
      roundingStepIdr: null,
      stockBufferPercent: null,
      stockBufferMaxUnits: null,
    });
  });

  it('ending a listing delists it once and asks for the remote end; it can be published again', async () => {
    const { id, productId, connectionId } = await publishedListing();
    for (let i = 0; i < 2; i++) {
      const res = await api.app.inject({
        method: 'DELETE',
        url: `/v1/listings/${id}`,
        headers: api.auth(crafterUser),
      });
      expect(res.statusCode, res.body).toBe(202);
      // Requested: the pipeline ends the remote item and then sets the state `delisted`.
      expect(res.json().delistedAt).not.toBeNull();
    }
    expect(await outboxFor(id, 'listing.delist_requested')).toHaveLength(1);
    const resync = await api.app.inject({
      method: 'POST',
      url: `/v1/listings/${id}/resync`,
      headers: api.auth(crafterUser),
    });
    expect(resync.statusCode).toBe(409);
    expect(resync.json().code).toBe('listing_ended');
    const again = await publish(productId, [connectionId]);
    expect(again.json().items[0]).toMatchObject({ id, state: 'pending', delistedAt: null });
    expect(await outboxFor(id)).toHaveLength(2);
  });

  it('a change of the shop’s price rule asks for a push of its listings; the same rule does not', async () => {
    const { id, connectionId } = await publishedListing();
    const patch = (payload: object) =>
      api.app.inject({
        method: 'PATCH',
        url: `/v1/connections/${connectionId}`,
        headers: api.auth(crafterUser),
        payload,
      });
    const rule = { priceRule: { kind: 'fixed', value: 5000, roundingStepIdr: 1000 } };
    expect((await patch(rule)).statusCode).toBe(200);
    expect(await outboxFor(id)).toHaveLength(2);
    expect((await patch(rule)).statusCode).toBe(200);
    expect(await outboxFor(id)).toHaveLength(2);
  });
});

describe('category mappings', () => {
  it('ship with defaults for the demo categories on Shopee and TikTok Shop', async () => {
    const res = await api.app.inject({
      method: 'GET',
      url: '/v1/category-mappings',
      headers: api.auth(crafterUser),
    });
    expect(res.statusCode).toBe(200);
    const keys = res
      .json()
      .items.map(
        (m: { channel: string; canonicalCategory: string }) => `${m.channel}:${m.canonicalCategory}`,
      );
    for (const category of ['batik', 'kerajinan/anyaman', 'kerajinan/keramik', 'makanan/camilan']) {
      expect(keys).toContain(`shopee:${category}`);
      expect(keys).toContain(`tiktok_shop:${category}`);
    }
  });

  it('only a city-level admin or an operator changes them; a change asks for a push of the listings it places', async () => {
    const product = await makeProduct(db(), crafter.id, { category: 'kerajinan/ukiran' });
    const connectionId = await connection({ channel: 'tiktok_shop' });
    const published = await publish(product.id, [connectionId]);
    const listingId = published.json().items[0].id;
    const url = '/v1/category-mappings/tiktok_shop/kerajinan%2Fukiran';
    const payload = {
      channelCategoryId: '600101',
      requiredAttributes: [{ id: '101001', name: 'Bahan Kain', valueId: '1010010', value: 'Katun' }],
      brandId: '7082427311584347905',
      brandName: 'Kriya Ciater',
    };
    for (const who of [kecamatanAdmin, crafterUser]) {
      const refused = await api.app.inject({ method: 'PUT', url, headers: api.auth(who), payload });
      expect(refused.statusCode).toBe(403);
    }
    const created = await api.app.inject({ method: 'PUT', url, headers: api.auth(cityAdmin), payload });
    expect(created.statusCode, created.body).toBe(201);
    expect(created.json()).toMatchObject({
      canonicalCategory: 'kerajinan/ukiran',
      channel: 'tiktok_shop',
      version: 1,
    });
    const updated = await api.app.inject({
      method: 'PUT',
      url,
      headers: api.auth(operator),
      payload: { ...payload, packageCm: { length: 10, width: 10, height: 10 } },
    });
    expect(updated.statusCode).toBe(200);
    expect(updated.json().version).toBe(2);
    // Published once, then two mapping changes.
    expect(await outboxFor(listingId)).toHaveLength(3);
    const [conn] = await db()
      .select()
      .from(channelConnections)
      .where(eq(channelConnections.id, connectionId));
    expect(conn?.channel).toBe('tiktok_shop');
  });
});
