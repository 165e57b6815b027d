import { randomUUID } from 'node:crypto';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabase } from '../../src/db/client.js';
import { buildApp } from '../../src/http/app.js';
import { cacheScopeKey, scopesOfChange } from '../../src/http/list-cache.js';
import { createApiRedis } from '../../src/lib/redis.js';
import { KECAMATAN, KELURAHAN, makeCrafter, makeUser } from '../factories/index.js';
import { makeProduct } from '../factories/products.js';
import { startTestApi, type TestApi } from '../helpers/api.js';
import { adminDatabaseUrl } from '../helpers/db-template.js';

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

type Caller = Awaited<ReturnType<typeof makeUser>>;

async function eventually(check: () => Promise<boolean>, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * Waits until every change notification committed so far has reached the cache: Postgres delivers
 * them in commit order, so once our barrier arrives, all earlier ones have. The barrier names an
 * unrelated crafter, so it drops no page a test looks at (except scope `all`).
 */
async function settle(): Promise<void> {
  const barrier = JSON.stringify({ c: [randomUUID()], k: [] });
  await api.database.sql`select pg_notify('kriya_catalogue_changed', ${barrier})`;
  await eventually(async () => api.listCache!.lastNotification() === barrier);
}

async function page(caller: Caller, query = ''): Promise<Page> {
  const res = await api.app.inject({
    method: 'GET',
    url: `/v1/products?limit=200${query}`,
    headers: api.auth(caller),
  });
  expect(res.statusCode).toBe(200);
  return res.json() as Page;
}

/** Changes a crafter's product titles WITHOUT a notification: only a cached page can still show the old ones. */
async function quietRetitle(crafterId: string, title: string): Promise<void> {
  await api.database.sql.begin(async (tx) => {
    await tx`alter table products disable trigger products_changed_update`;
    await tx`update products set title = ${title} where crafter_id = ${crafterId}`;
    await tx`alter table products enable trigger products_changed_update`;
  });
}

/** Moves the stock of a crafter's variants by straight SQL: a row in the stock ledger (the only way). */
async function moveStock(sql: postgres.Sql | postgres.TransactionSql, crafterId: string, delta: number) {
  await sql`
    insert into stock_movements (variant_id, product_id, delta, on_hand_after, stock_revision, kind, dedupe_key)
    select id, product_id, ${delta}, 0, 0, 'adjustment', ${`test:${randomUUID()}:`} || id
    from variants where crafter_id = ${crafterId}`;
}

async function crafterWithUser(kelurahanCode: string = KELURAHAN.ciater) {
  const crafter = await makeCrafter(api.database.db, { kelurahanCode });
  const user = await makeUser(api.database.db, 'crafter', { crafterId: crafter.id });
  await makeProduct(api.database.db, crafter.id, { title: 'Asli' });
  return { crafter, user };
}

describe('catalogue list cache', () => {
  it('requires a bearer token even for cached pages', async () => {
    const res = await api.app.inject({ method: 'GET', url: '/v1/products' });
    expect(res.statusCode).toBe(401);
  });

  it('serves a repeated page from the cache, byte for byte', async () => {
    const { crafter, user } = await crafterWithUser();
    await settle();
    const url = '/v1/products?limit=10';
    const first = await api.app.inject({ method: 'GET', url, headers: api.auth(user) });
    expect(first.statusCode).toBe(200);
    await quietRetitle(crafter.id, 'changed quietly');
    const second = await api.app.inject({ method: 'GET', url, headers: api.auth(user) });
    expect(second.body).toBe(first.body);
    expect(second.headers['content-type']).toContain('application/json');
  });

  it('a write through the API is visible to the very next list request', async () => {
    const { crafter, user } = await crafterWithUser();
    const before = await page(user, `&crafterId=${crafter.id}`);
    const product = before.items[0]!;
    expect(product.title).toBe('Asli');
    const patch = await api.app.inject({
      method: 'PATCH',
      url: `/v1/products/${product.id}`,
      headers: { ...api.auth(user), 'if-match': '"1"' },
      payload: { title: 'Batik tulis baru' },
    });
    expect(patch.statusCode).toBe(200);
    expect((await page(user, `&crafterId=${crafter.id}`)).items[0]?.title).toBe('Batik tulis baru');
  });

  it('a login (a write that is not a catalogue change) keeps cached pages', async () => {
    const { crafter, user } = await crafterWithUser();
    await settle();
    await page(user);
    await quietRetitle(crafter.id, 'diam-diam');
    const login = await api.app.inject({
      method: 'POST',
      url: '/v1/auth/login',
      payload: { username: user.username, password: user.password },
    });
    expect(login.statusCode).toBe(200);
    expect((await page(user)).items[0]?.title).toBe('Asli');
  });

  it('a write by another process (straight SQL) reaches the cache through the change notification', async () => {
    const { crafter, user } = await crafterWithUser();
    expect((await page(user)).items[0]?.variants[0]?.priceIdr).toBe(150_000);
    await api.database.sql`update variants set price_idr = 99000 where crafter_id = ${crafter.id}`;
    await eventually(async () => (await page(user)).items[0]?.variants[0]?.priceIdr === 99_000);
  });

  it("a change to one crafter drops that crafter's pages and keeps another crafter's", async () => {
    const a = await crafterWithUser();
    const b = await crafterWithUser();
    await settle();
    await page(a.user);
    await page(b.user);
    await quietRetitle(b.crafter.id, 'B berubah diam-diam');
    await moveStock(api.database.sql, a.crafter.id, -3);
    await settle();
    expect((await page(a.user)).items[0]?.title).toBe('Asli'); // re-read: reflects A's committed state
    expect((await page(b.user)).items[0]?.title).toBe('Asli'); // still the cached page: B was not touched
    await moveStock(api.database.sql, b.crafter.id, -4);
    await settle();
    expect((await page(b.user)).items[0]?.title).toBe('B berubah diam-diam');
  });

  it('a change in a kelurahan drops the pages of every region containing it, and only those', async () => {
    const serpong = await makeUser(api.database.db, 'admin', { regionCode: KECAMATAN.serpong });
    const utara = await makeUser(api.database.db, 'admin', { regionCode: KECAMATAN.serpongUtara });
    const city = await makeUser(api.database.db, 'admin', { regionCode: '36.74' });
    const inSerpong = await crafterWithUser(KELURAHAN.rawabuntu);
    const inUtara = await crafterWithUser(KELURAHAN.pakulonan);
    await settle();
    const filterUtara = `&crafterId=${inUtara.crafter.id}`;
    await page(serpong, `&crafterId=${inSerpong.crafter.id}`);
    await page(city, filterUtara);
    await page(utara, filterUtara);
    await quietRetitle(inUtara.crafter.id, 'Utara diam-diam');
    await api.database
      .sql`update products set description = 'baru' where crafter_id = ${inSerpong.crafter.id}`;
    await settle();
    // The city contains Rawabuntu, so its pages were dropped and now show the quiet Utara change too.
    expect((await page(city, filterUtara)).items[0]?.title).toBe('Utara diam-diam');
    // Serpong Utara does not contain Rawabuntu: its page is still the cached one.
    expect((await page(utara, filterUtara)).items[0]?.title).toBe('Asli');
  });

  it("moving a crafter to another kecamatan drops both regions' pages", async () => {
    const utara = await makeUser(api.database.db, 'admin', { regionCode: KECAMATAN.serpongUtara });
    const mover = await crafterWithUser(KELURAHAN.ciater);
    await settle();
    expect((await page(utara, `&crafterId=${mover.crafter.id}`)).items).toHaveLength(0);
    await api.database
      .sql`update crafters set kelurahan_code = ${KELURAHAN.pakulonan} where id = ${mover.crafter.id}`;
    await eventually(async () => (await page(utara, `&crafterId=${mover.crafter.id}`)).items.length === 1);
  });

  it('a rolled-back change notifies nothing and keeps the page cached', async () => {
    const { crafter, user } = await crafterWithUser();
    await settle();
    await page(user);
    await quietRetitle(crafter.id, 'diam-diam');
    await api.database.sql
      .begin(async (tx) => {
        await moveStock(tx, crafter.id, -1);
        throw new Error('roll back');
      })
      .catch(() => {});
    await settle();
    expect((await page(user)).items[0]?.title).toBe('Asli');
  });

  it('pages are kept per scope: an admin of another kecamatan never gets a cached page of this one', async () => {
    const inSerpong = await makeCrafter(api.database.db, { kelurahanCode: KELURAHAN.ciater });
    const serpongAdmin = await makeUser(api.database.db, 'admin', { regionCode: KECAMATAN.serpong });
    const utaraAdmin = await makeUser(api.database.db, 'admin', { regionCode: KECAMATAN.serpongUtara });
    await makeProduct(api.database.db, inSerpong.id, { title: 'Hanya untuk Serpong' });
    const query = '&q=Hanya%20untuk%20Serpong';
    expect((await page(serpongAdmin, query)).items).toHaveLength(1);
    expect((await page(utaraAdmin, query)).items).toHaveLength(0);
  });

  it('a page queried before a change is not stored after it', async () => {
    const cache = api.listCache!;
    const scope = cacheScopeKey({ kind: 'crafter', crafterId: randomUUID() });
    const generation = cache.currentGeneration(scope);
    cache.changed([scope]);
    cache.set('race', scope, generation, Buffer.from('{"stale":true}'));
    expect(cache.get('race', scope)).toBeUndefined();
  });
});

/** The backend of this suite's LISTEN connection (the one session whose last query was the LISTEN). */
async function listenerPid(): Promise<number> {
  const rows = await api.database.sql<{ pid: number }[]>`
    select pid from pg_stat_activity
    where datname = current_database() and query ilike 'listen%kriya_catalogue_changed%'`;
  if (rows.length !== 1) throw new Error(`expected one LISTEN session, found ${rows.length}`);
  return rows[0]!.pid;
}

describe('list cache when its LISTEN connection is lost', () => {
  it('serves nothing cached from the loss until LISTEN is back, and then no page from before the loss', async () => {
    const { crafter, user } = await crafterWithUser();
    // A second API instance on the same database: "another process" whose writes this one only
    // hears about through notifications.
    const other = createDatabase(api.databaseUrl, { max: 2 });
    const otherRedis = createApiRedis(api.config.redisUrl);
    const otherApp = await buildApp({ config: api.config, db: other.db, redis: otherRedis });
    const database = new URL(api.databaseUrl).pathname.slice(1);
    // Postgres refuses this from a session on the database itself.
    const admin = postgres(adminDatabaseUrl, { max: 1, onnotice: () => {} });
    const allowConnections = (allow: boolean) =>
      admin.unsafe(`alter database "${database}" allow_connections ${allow}`);
    try {
      const before = await page(user, `&crafterId=${crafter.id}`); // cached by this instance
      const product = before.items[0]!;
      expect(product.title).toBe('Asli');
      // Open the other instance's pool connection now: while new connections are refused below, both
      // instances keep working on the connections they have, but the listener cannot come back.
      expect(
        (await otherApp.inject({ method: 'GET', url: '/v1/me', headers: api.auth(user) })).statusCode,
      ).toBe(200);
      await allowConnections(false);
      const listener = await listenerPid();
      await api.database.sql`select pg_terminate_backend(${listener})`;
      await eventually(
        async () =>
          (await api.database.sql`select 1 from pg_stat_activity where pid = ${listener}`).length === 0,
      );

      const patch = await otherApp.inject({
        method: 'PATCH',
        url: `/v1/products/${product.id}`,
        headers: { ...api.auth(user), 'if-match': '"1"' },
        payload: { title: 'Ditulis proses lain' },
      });
      expect(patch.statusCode).toBe(200);
      // Its notification went nowhere: only a cache that knows it is deaf answers right.
      expect((await page(user, `&crafterId=${crafter.id}`)).items[0]?.title).toBe('Ditulis proses lain');

      await allowConnections(true);
      await eventually(async () => api.listCache!.isListening());
      // Back: pages are cached again and notifications reach them again.
      await page(user, `&crafterId=${crafter.id}`);
      await api.database.sql`update products set title = 'Sesudah kembali' where id = ${product.id}`;
      await eventually(
        async () => (await page(user, `&crafterId=${crafter.id}`)).items[0]?.title === 'Sesudah kembali',
      );
    } finally {
      await allowConnections(true);
      await admin.end({ timeout: 1 });
      await otherApp.close();
      otherRedis.disconnect();
      await other.close();
    }
  });

  it('a page cached before the loss is not served after LISTEN is back', async () => {
    const { crafter, user } = await crafterWithUser();
    await settle();
    await page(user);
    await quietRetitle(crafter.id, 'hilang bersama koneksi');
    const listener = await listenerPid();
    await api.database.sql`select pg_terminate_backend(${listener})`;
    // Wait for a new LISTEN backend: the cache is back, and must have forgotten the old page.
    // A generous bound: on a loaded machine the reconnect can take seconds (a condition, not a timing).
    await eventually(
      async () => ((await listenerPid().catch(() => listener)) ?? listener) !== listener,
      20_000,
    );
    await settle();
    expect((await page(user)).items[0]?.title).toBe('hilang bersama koneksi');
  });
});

describe('scopesOfChange', () => {
  it('maps crafters and kelurahan to their scopes and every region containing the kelurahan', () => {
    expect(scopesOfChange(JSON.stringify({ c: ['x'], k: ['36.74.01.1001'] }))?.sort()).toEqual(
      ['all', 'crafter:x', 'region:36.74', 'region:36.74.01', 'region:36.74.01.1001'].sort(),
    );
  });

  it('anything it cannot read means: everything may have changed', () => {
    expect(scopesOfChange('*')).toBeNull();
    expect(scopesOfChange('products')).toBeNull();
    expect(scopesOfChange('{"c":"x"}')).toBeNull();
  });
});

describe('ListCache without Postgres', () => {
  it('stays off (serves nothing) and keeps retrying until stopped', async () => {
    const { createServer } = await import('node:net');
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    if (address === null || typeof address === 'string') throw new Error('no port');
    const { ListCache } = await import('../../src/http/list-cache.js');
    const cache = new ListCache();
    const errors: unknown[] = [];
    await cache.start(`postgres://postgres@127.0.0.1:${address.port}/nothing`, {
      retryMs: 20,
      onError: (err) => errors.push(err),
    });
    const scope = 'all';
    cache.set('k', scope, cache.currentGeneration(scope), Buffer.from('{}'));
    expect(cache.get('k', scope)).toBeUndefined();
    await eventually(async () => errors.length >= 2);
    await cache.stop();
    const after = errors.length;
    await new Promise((r) => setTimeout(r, 100));
    expect(errors.length).toBeLessThanOrEqual(after + 1);
  });
});
