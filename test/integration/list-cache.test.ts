import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KECAMATAN, KELURAHAN, makeCrafter, makeUser } from '../factories/index.js';
import { makeProduct, productBody } from '../factories/products.js';
import { startTestApi, type TestApi } from '../helpers/api.js';

let api: TestApi;
beforeAll(async () => {
  api = await startTestApi('list_cache', {}, { withListCache: true });
});
afterAll(async () => {
  await api?.close();
});

interface Page {
  items: Array<{ id: string; title: string; variants: Array<{ priceIdr: number }> }>;
}

/** Polls until `check` passes or the deadline: a notification from Postgres is asynchronous. */
async function eventually(check: () => Promise<boolean>, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * Waits until every change notification committed so far has reached the cache: Postgres delivers
 * notifications in commit order, so once our own barrier notification arrives, all earlier ones have.
 */
async function settle(): Promise<void> {
  const barrier = `test-barrier-${Math.random()}`;
  await api.database.sql`select pg_notify('kriya_catalogue_changed', ${barrier})`;
  await eventually(async () => api.listCache!.lastNotification() === barrier);
}

describe('catalogue list cache', () => {
  it('requires a bearer token even for cached pages', async () => {
    const res = await api.app.inject({ method: 'GET', url: '/v1/products' });
    expect(res.statusCode).toBe(401);
  });

  it('serves a repeated page from the cache, byte for byte', async () => {
    const crafter = await makeCrafter(api.database.db);
    const user = await makeUser(api.database.db, 'crafter', { crafterId: crafter.id });
    await makeProduct(api.database.db, crafter.id);
    await settle();
    const url = '/v1/products?limit=10';
    const first = await api.app.inject({ method: 'GET', url, headers: api.auth(user) });
    expect(first.statusCode).toBe(200);
    // Change the row behind the cache's back WITHOUT a notification: only a cache can still answer the old title.
    await api.database.sql.begin(async (tx) => {
      await tx`alter table products disable trigger products_catalogue_changed`;
      await tx`update products set title = 'changed quietly' where crafter_id = ${crafter.id}`;
      await tx`alter table products enable trigger products_catalogue_changed`;
    });
    const second = await api.app.inject({ method: 'GET', url, headers: api.auth(user) });
    expect(second.body).toBe(first.body);
    expect(second.headers['content-type']).toContain('application/json');
  });

  it('a write through the API is visible to the very next list request', async () => {
    const crafter = await makeCrafter(api.database.db);
    const user = await makeUser(api.database.db, 'crafter', { crafterId: crafter.id });
    const product = await makeProduct(api.database.db, crafter.id, { title: 'Batik tulis lama' });
    const url = `/v1/products?crafterId=${crafter.id}`;
    const before = (await api.app.inject({ method: 'GET', url, headers: api.auth(user) })).json() as Page;
    expect(before.items[0]?.title).toBe('Batik tulis lama');
    const patch = await api.app.inject({
      method: 'PATCH',
      url: `/v1/products/${product.id}`,
      headers: { ...api.auth(user), 'if-match': `"${product.version}"` },
      payload: { title: 'Batik tulis baru' },
    });
    expect(patch.statusCode).toBe(200);
    const after = (await api.app.inject({ method: 'GET', url, headers: api.auth(user) })).json() as Page;
    expect(after.items[0]?.title).toBe('Batik tulis baru');
  });

  it('a write by another process (straight SQL) reaches the cache through the change notification', async () => {
    const crafter = await makeCrafter(api.database.db);
    const user = await makeUser(api.database.db, 'crafter', { crafterId: crafter.id });
    await makeProduct(api.database.db, crafter.id);
    const url = `/v1/products?crafterId=${crafter.id}&limit=5`;
    const cached = (await api.app.inject({ method: 'GET', url, headers: api.auth(user) })).json() as Page;
    expect(cached.items[0]?.variants[0]?.priceIdr).toBe(150_000);
    await api.database.sql`update variants set price_idr = 99000 where crafter_id = ${crafter.id}`;
    await eventually(async () => {
      const page = (await api.app.inject({ method: 'GET', url, headers: api.auth(user) })).json() as Page;
      return page.items[0]?.variants[0]?.priceIdr === 99_000;
    });
  });

  it('a rolled-back change notifies nothing and keeps the page cached', async () => {
    await settle();
    const generation = api.listCache!.currentGeneration();
    await api.database.sql
      .begin(async (tx) => {
        await tx`update products set title = 'never committed'`;
        throw new Error('roll back');
      })
      .catch(() => {});
    await settle();
    // Only the barrier's own notification arrived: the rolled-back update sent none.
    expect(api.listCache!.currentGeneration()).toBe(generation + 1);
  });

  it('pages are kept per scope: an admin of another kecamatan never gets a cached page of this one', async () => {
    const inSerpong = await makeCrafter(api.database.db, { kelurahanCode: KELURAHAN.ciater });
    const serpongAdmin = await makeUser(api.database.db, 'admin', { regionCode: KECAMATAN.serpong });
    const utaraAdmin = await makeUser(api.database.db, 'admin', { regionCode: KECAMATAN.serpongUtara });
    await makeProduct(api.database.db, inSerpong.id, productBody({ title: 'Hanya untuk Serpong' }));
    const url = '/v1/products?q=Hanya%20untuk%20Serpong';
    const serpong = (
      await api.app.inject({ method: 'GET', url, headers: api.auth(serpongAdmin) })
    ).json() as Page;
    expect(serpong.items).toHaveLength(1);
    const utara = (
      await api.app.inject({ method: 'GET', url, headers: api.auth(utaraAdmin) })
    ).json() as Page;
    expect(utara.items).toHaveLength(0);
  });

  it('a page queried before a change is not stored after it', async () => {
    const cache = api.listCache!;
    const generation = cache.currentGeneration();
    cache.invalidate();
    cache.set('race', generation, Buffer.from('{"stale":true}'));
    expect(cache.get('race')).toBeUndefined();
  });
});
