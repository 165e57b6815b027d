import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KELURAHAN, makeCrafter, makeUser } from '../factories/index.js';
import { makeProduct, productBody, uniqueSku, variantInput } from '../factories/products.js';
import { startTestApi, type TestApi } from '../helpers/api.js';

let api: TestApi;
beforeAll(async () => {
  api = await startTestApi('products');
});
afterAll(async () => {
  await api?.close();
});

type Json = Record<string, unknown>;

async function setup() {
  const crafter = await makeCrafter(api.database.db, { kelurahanCode: KELURAHAN.ciater });
  const user = await makeUser(api.database.db, 'crafter', { crafterId: crafter.id });
  return { crafter, user, auth: api.auth(user) };
}

async function productRow(id: string) {
  const [row] = await api.database.sql<{ title: string; version: number; deleted_at: Date | null }[]>`
    select title, version, deleted_at from products where id = ${id}`;
  if (!row) throw new Error(`product ${id} not stored`);
  const prices = await api.database.sql`
    select sku, price_idr::int as price from variants where product_id = ${id} and retired_at is null order by position`;
  return { ...row, prices: prices.map((p) => [p.sku, p.price]) };
}

async function outboxCount(id: string): Promise<number> {
  const [row] = await api.database.sql`select count(*)::int as n from outbox where aggregate_id = ${id}`;
  return row?.n as number;
}

async function auditCount(id: string): Promise<number> {
  const [row] = await api.database.sql`select count(*)::int as n from audit_log where entity_id = ${id}`;
  return row?.n as number;
}

describe('products', () => {
  it('requires a bearer token', async () => {
    for (const [method, url] of [
      ['GET', '/v1/products'],
      ['POST', '/v1/products'],
      ['GET', '/v1/products/00000000-0000-4000-8000-000000000000'],
      ['PATCH', '/v1/products/00000000-0000-4000-8000-000000000000'],
      ['PUT', '/v1/products/00000000-0000-4000-8000-000000000000'],
      ['DELETE', '/v1/products/00000000-0000-4000-8000-000000000000'],
    ] as const) {
      const res = await api.app.inject({ method, url });
      expect(res.statusCode, `${method} ${url}`).toBe(401);
      expect(res.json().code).toBe('unauthenticated');
    }
  });

  it('a crafter creates a product with variants; it answers with an ETag, an audit entry and an outbox row', async () => {
    const { crafter, auth } = await setup();
    const body = productBody();
    const res = await api.app.inject({ method: 'POST', url: '/v1/products', headers: auth, payload: body });
    expect(res.statusCode).toBe(201);
    const product = res.json();
    expect(res.headers.etag).toBe('"1"');
    expect(res.headers.location).toBe(`/v1/products/${product.id}`);
    expect(product).toMatchObject({
      crafterId: crafter.id,
      title: body.title,
      category: body.category,
      attributes: body.attributes,
      status: 'active',
      version: 1,
    });
    expect(product.variants.map((v: Json) => [v.sku, v.priceIdr, v.options])).toEqual(
      body.variants.map((v) => [v.sku, v.priceIdr, v.options]),
    );
    expect(await auditCount(product.id)).toBe(1);
    const outbox = await api.database
      .sql`select topic, payload from outbox where aggregate_id = ${product.id}`;
    expect(outbox).toEqual([
      { topic: 'product.changed', payload: { productId: product.id, crafterId: crafter.id, version: 1 } },
    ]);

    const got = await api.app.inject({ method: 'GET', url: `/v1/products/${product.id}`, headers: auth });
    expect(got.statusCode).toBe(200);
    expect(got.headers.etag).toBe('"1"');
    expect(got.json()).toEqual(product);
  });

  it('rejects bad input with 400 and writes nothing', async () => {
    const { crafter, auth } = await setup();
    const sku = uniqueSku();
    const bad: Json[] = [
      { ...productBody(), colour: 'red' },
      productBody({ variants: [] }),
      productBody({ variants: [variantInput({ priceIdr: 10.5 })] }),
      productBody({ variants: [variantInput({ priceIdr: -1 })] }),
      productBody({ variants: [variantInput({ stock: -3 })] }),
      productBody({ variants: [variantInput({ sku }), variantInput({ sku })] }),
      productBody({ variants: [variantInput({ sku: 'has space' })] }),
      productBody({ title: 'x'.repeat(201) }),
      productBody({ category: 'Not A Slug' }),
      productBody({ imageUrls: ['javascript:alert(1)'] }),
      { ...productBody(), variants: [{ ...variantInput(), id: 'x' }] },
      // Postgres text cannot hold NUL: it must be a 400 here, never a database error.
      productBody({ title: 'a\u0000b' }),
      productBody({ description: 'x\u0000' }),
      productBody({ attributes: { k: 'v\u0000' } }),
      productBody({ variants: [variantInput({ options: { 'w\u0000': 'm' } })] }),
    ];
    for (const payload of bad) {
      const res = await api.app.inject({ method: 'POST', url: '/v1/products', headers: auth, payload });
      expect(res.statusCode, JSON.stringify(payload)).toBe(400);
      expect(res.json().code).toBe('validation_failed');
    }
    const csv = await api.app.inject({
      method: 'POST',
      url: '/v1/products',
      headers: { ...auth, 'content-type': 'text/csv' },
      payload: 'a,b\n',
    });
    expect(csv.statusCode).toBe(415);
    const [count] = await api.database
      .sql`select count(*)::int as n from products where crafter_id = ${crafter.id}`;
    expect(count?.n).toBe(0);
  });

  it('a SKU is unique per crafter among live products (409 sku_taken) and free again after delete', async () => {
    const { auth } = await setup();
    const sku = uniqueSku();
    const first = await api.app.inject({
      method: 'POST',
      url: '/v1/products',
      headers: auth,
      payload: productBody({ variants: [variantInput({ sku })] }),
    });
    expect(first.statusCode).toBe(201);
    const second = await api.app.inject({
      method: 'POST',
      url: '/v1/products',
      headers: auth,
      payload: productBody({ variants: [variantInput({ sku })] }),
    });
    expect(second.statusCode).toBe(409);
    expect(second.json().code).toBe('sku_taken');

    // Another crafter may use the same SKU.
    const other = await setup();
    const elsewhere = await api.app.inject({
      method: 'POST',
      url: '/v1/products',
      headers: other.auth,
      payload: productBody({ variants: [variantInput({ sku })] }),
    });
    expect(elsewhere.statusCode).toBe(201);

    const del = await api.app.inject({
      method: 'DELETE',
      url: `/v1/products/${first.json().id}`,
      headers: { ...auth, 'if-match': '"1"' },
    });
    expect(del.statusCode).toBe(204);
    // Two concurrent creations with one new SKU: exactly one wins, the other is a clean 409.
    const racing = uniqueSku();
    const raced = await Promise.all(
      [1, 2].map(() =>
        api.app.inject({
          method: 'POST',
          url: '/v1/products',
          headers: auth,
          payload: productBody({ variants: [variantInput({ sku: racing })] }),
        }),
      ),
    );
    expect(raced.map((r) => r.statusCode).sort()).toEqual([201, 409]);
    expect(raced.find((r) => r.statusCode === 409)?.json().code).toBe('sku_taken');

    const reuse = await api.app.inject({
      method: 'POST',
      url: '/v1/products',
      headers: auth,
      payload: productBody({ variants: [variantInput({ sku })] }),
    });
    expect(reuse.statusCode).toBe(201);
  });

  it('PATCH changes fields and variants in one version, keeping variant ids by SKU', async () => {
    const { crafter, auth } = await setup();
    const product = await makeProduct(api.database.db, crafter.id);
    const [a, b] = product.variants;
    const res = await api.app.inject({
      method: 'PATCH',
      url: `/v1/products/${product.id}`,
      headers: { ...auth, 'if-match': '"1"' },
      payload: {
        title: 'Tas pandan besar',
        variants: [
          {
            sku: b!.sku,
            options: b!.options,
            priceIdr: 199_000,
            stock: b!.stock,
            weightGrams: b!.weightGrams,
          },
          variantInput({ sku: 'NEW-1' }),
        ],
      },
    });
    expect(res.statusCode).toBe(200);
    expect(res.headers.etag).toBe('"2"');
    const body = res.json();
    expect(body.title).toBe('Tas pandan besar');
    expect(body.version).toBe(2);
    expect(body.variants.map((v: Json) => v.sku)).toEqual([b!.sku, 'NEW-1']);
    expect(body.variants[0].id).toBe(b!.id);
    expect(body.variants[0].priceIdr).toBe(199_000);
    const retired = await api.database.sql`select retired_at from variants where id = ${a!.id}`;
    expect(retired[0]?.retired_at).not.toBeNull();

    const audit = await api.database.sql`
      select action, before->>'version' as before, after->>'version' as after from audit_log
      where entity_id = ${product.id} order by id`;
    expect(audit.map((r) => [r.action, r.before, r.after])).toEqual([
      ['product.create', null, '1'],
      ['product.update', '1', '2'],
    ]);
    const outbox = await api.database
      .sql`select payload->>'version' as v from outbox where aggregate_id = ${product.id} order by id`;
    expect(outbox.map((r) => r.v)).toEqual(['1', '2']);
  });

  it('a PATCH that changes nothing keeps the version and writes no audit or outbox row', async () => {
    const { crafter, auth } = await setup();
    const product = await makeProduct(api.database.db, crafter.id);
    const res = await api.app.inject({
      method: 'PATCH',
      url: `/v1/products/${product.id}`,
      headers: { ...auth, 'if-match': '"1"' },
      payload: { title: product.title, attributes: { ...product.attributes } },
    });
    expect(res.statusCode).toBe(200);
    expect(res.headers.etag).toBe('"1"');
    expect(await outboxCount(product.id)).toBe(1);
    expect(await auditCount(product.id)).toBe(1);
  });

  it('PUT replaces the product and its variants', async () => {
    const { crafter, auth } = await setup();
    const product = await makeProduct(api.database.db, crafter.id);
    const replacement = productBody({
      title: 'Tas baru',
      status: 'archived',
      attributes: {},
      variants: [variantInput({ sku: product.variants[0]!.sku, priceIdr: 1 })],
    });
    const res = await api.app.inject({
      method: 'PUT',
      url: `/v1/products/${product.id}`,
      headers: { ...auth, 'if-match': '"1"' },
      payload: replacement,
    });
    expect(res.statusCode).toBe(200);
    expect(res.headers.etag).toBe('"2"');
    expect(res.json()).toMatchObject({ title: 'Tas baru', status: 'archived', attributes: {}, version: 2 });
    expect(res.json().variants).toEqual([
      expect.objectContaining({ id: product.variants[0]!.id, priceIdr: 1 }),
    ]);
    const crafterIdInPut = await api.app.inject({
      method: 'PUT',
      url: `/v1/products/${product.id}`,
      headers: { ...auth, 'if-match': '"2"' },
      payload: { ...replacement, crafterId: crafter.id },
    });
    expect(crafterIdInPut.statusCode).toBe(400);
  });

  it('If-Match: missing → 428, stale → 412 and the row is unchanged', async () => {
    const { crafter, auth } = await setup();
    const product = await makeProduct(api.database.db, crafter.id);
    const before = await productRow(product.id);
    const change = {
      title: 'Berubah',
      variants: [variantInput({ sku: product.variants[0]!.sku, priceIdr: 5 })],
    };

    for (const method of ['PATCH', 'PUT', 'DELETE'] as const) {
      const payload = method === 'PUT' ? productBody(change) : method === 'PATCH' ? change : undefined;
      const missing = await api.app.inject({
        method,
        url: `/v1/products/${product.id}`,
        headers: auth,
        ...(payload ? { payload } : {}),
      });
      expect(missing.statusCode, method).toBe(428);
      expect(missing.json().code).toBe('if_match_required');
      for (const stale of ['"2"', '"0"', '*', 'garbage']) {
        const res = await api.app.inject({
          method,
          url: `/v1/products/${product.id}`,
          headers: { ...auth, 'if-match': stale },
          ...(payload ? { payload } : {}),
        });
        expect(res.statusCode, `${method} ${stale}`).toBe(412);
        expect(res.json().code).toBe('version_mismatch');
      }
    }
    expect(await productRow(product.id)).toEqual(before);
    expect(await outboxCount(product.id)).toBe(1);
    expect(await auditCount(product.id)).toBe(1);

    // Two writers holding version 1: exactly one wins.
    const results = await Promise.all(
      ['A', 'B'].map((t) =>
        api.app.inject({
          method: 'PATCH',
          url: `/v1/products/${product.id}`,
          headers: { ...auth, 'if-match': '"1"' },
          payload: { title: `Writer ${t}` },
        }),
      ),
    );
    expect(results.map((r) => r.statusCode).sort()).toEqual([200, 412]);
    expect((await productRow(product.id)).version).toBe(2);
  });

  it('a failed update leaves neither the change, nor its audit entry, nor its outbox row', async () => {
    const { crafter, auth } = await setup();
    const product = await makeProduct(api.database.db, crafter.id);
    const before = await productRow(product.id);
    // Make the outbox insert (the last write of the transaction) fail for this product only.
    await api.database.sql.unsafe(`
      create or replace function fail_outbox_${product.id.replace(/-/g, '')}() returns trigger language plpgsql as $$
      begin
        if new.aggregate_id = '${product.id}' then raise exception 'outbox unavailable'; end if;
        return new;
      end $$;
      create trigger fail_outbox_${product.id.replace(/-/g, '')} before insert on outbox
        for each row execute function fail_outbox_${product.id.replace(/-/g, '')}();`);
    try {
      const res = await api.app.inject({
        method: 'PATCH',
        url: `/v1/products/${product.id}`,
        headers: { ...auth, 'if-match': '"1"' },
        payload: { title: 'Never stored', variants: [variantInput({ sku: 'X-NEVER' })] },
      });
      expect(res.statusCode).toBe(500);
      expect(res.json().detail).not.toContain('outbox unavailable');
    } finally {
      await api.database.sql.unsafe(`drop trigger fail_outbox_${product.id.replace(/-/g, '')} on outbox`);
    }
    expect(await productRow(product.id)).toEqual(before);
    expect(await auditCount(product.id)).toBe(1);
    expect(await outboxCount(product.id)).toBe(1);
    const [never] = await api.database.sql`select count(*)::int as n from variants where sku = 'X-NEVER'`;
    expect(never?.n).toBe(0);
  });

  it('DELETE is soft: 204, then 404, gone from the list, variants retired, product.deleted in the outbox', async () => {
    const { crafter, auth } = await setup();
    const product = await makeProduct(api.database.db, crafter.id);
    const res = await api.app.inject({
      method: 'DELETE',
      url: `/v1/products/${product.id}`,
      headers: { ...auth, 'if-match': '"1"' },
    });
    expect(res.statusCode).toBe(204);
    expect(res.body).toBe('');
    for (const method of ['GET', 'DELETE'] as const) {
      const gone = await api.app.inject({
        method,
        url: `/v1/products/${product.id}`,
        headers: { ...auth, 'if-match': '"2"' },
      });
      expect(gone.statusCode).toBe(404);
    }
    const list = await api.app.inject({
      method: 'GET',
      url: `/v1/products?crafterId=${crafter.id}`,
      headers: auth,
    });
    expect(list.json().items).toEqual([]);
    const row = await productRow(product.id);
    expect(row.deleted_at).not.toBeNull();
    expect(row.prices).toEqual([]);
    const outbox = await api.database
      .sql`select topic, payload from outbox where aggregate_id = ${product.id} order by id`;
    expect(outbox.at(-1)).toEqual({
      topic: 'product.deleted',
      payload: { productId: product.id, crafterId: crafter.id, version: 2 },
    });
    const audit = await api.database
      .sql`select action from audit_log where entity_id = ${product.id} order by id`;
    expect(audit.map((a) => a.action)).toEqual(['product.create', 'product.delete']);
  });

  it('scope: other crafters and admins outside the region get 404; admins inside and operators reach it', async () => {
    const a = await setup();
    const b = await setup();
    const product = await makeProduct(api.database.db, a.crafter.id);
    const outsideCrafter = await makeCrafter(api.database.db, { kelurahanCode: KELURAHAN.pakulonan });
    const insideAdmin = await makeUser(api.database.db, 'admin', { regionCode: KELURAHAN.ciater });
    const outsideAdmin = await makeUser(api.database.db, 'admin', { regionCode: KELURAHAN.pakulonan });
    const cityAdmin = await makeUser(api.database.db, 'admin', { regionCode: '36.74' });
    const operator = await makeUser(api.database.db, 'operator');
    const url = `/v1/products/${product.id}`;

    for (const who of [b.user, outsideAdmin]) {
      const headers = { ...api.auth(who), 'if-match': '"1"' };
      expect((await api.app.inject({ method: 'GET', url, headers })).statusCode).toBe(404);
      expect(
        (await api.app.inject({ method: 'PATCH', url, headers, payload: { title: 'x' } })).statusCode,
      ).toBe(404);
      expect((await api.app.inject({ method: 'PUT', url, headers, payload: productBody() })).statusCode).toBe(
        404,
      );
      expect((await api.app.inject({ method: 'DELETE', url, headers })).statusCode).toBe(404);
      const list = await api.app.inject({ method: 'GET', url: '/v1/products?limit=200', headers });
      expect(list.json().items.map((p: Json) => p.id)).not.toContain(product.id);
    }
    expect(await productRow(product.id)).toMatchObject({ version: 1, deleted_at: null });

    for (const who of [insideAdmin, cityAdmin, operator]) {
      expect((await api.app.inject({ method: 'GET', url, headers: api.auth(who) })).statusCode).toBe(200);
    }

    // Creating for another crafter: a crafter naming someone else, an admin naming a crafter outside.
    const forOther = await api.app.inject({
      method: 'POST',
      url: '/v1/products',
      headers: b.auth,
      payload: { ...productBody(), crafterId: a.crafter.id },
    });
    expect(forOther.statusCode).toBe(404);
    const adminOutside = await api.app.inject({
      method: 'POST',
      url: '/v1/products',
      headers: api.auth(insideAdmin),
      payload: { ...productBody(), crafterId: outsideCrafter.id },
    });
    expect(adminOutside.statusCode).toBe(404);
    const adminNoCrafter = await api.app.inject({
      method: 'POST',
      url: '/v1/products',
      headers: api.auth(insideAdmin),
      payload: productBody(),
    });
    expect(adminNoCrafter.statusCode).toBe(400);
    const adminInside = await api.app.inject({
      method: 'POST',
      url: '/v1/products',
      headers: api.auth(insideAdmin),
      payload: { ...productBody(), crafterId: a.crafter.id },
    });
    expect(adminInside.statusCode).toBe(201);
  });

  it('the same Idempotency-Key and body create one product; a different body gets 422', async () => {
    const { crafter, auth } = await setup();
    const body = productBody();
    const key = `create-${crypto.randomUUID()}`;
    const first = await api.app.inject({
      method: 'POST',
      url: '/v1/products',
      headers: { ...auth, 'idempotency-key': key },
      payload: body,
    });
    const again = await api.app.inject({
      method: 'POST',
      url: '/v1/products',
      headers: { ...auth, 'idempotency-key': key },
      payload: body,
    });
    expect(first.statusCode).toBe(201);
    expect(again.statusCode).toBe(201);
    expect(again.json()).toEqual(first.json());
    expect(again.headers.etag).toBe('"1"');
    expect(again.headers['idempotent-replayed']).toBe('true');
    const [count] = await api.database
      .sql`select count(*)::int as n from products where crafter_id = ${crafter.id}`;
    expect(count?.n).toBe(1);
    const different = await api.app.inject({
      method: 'POST',
      url: '/v1/products',
      headers: { ...auth, 'idempotency-key': key },
      payload: { ...body, title: 'Lain' },
    });
    expect(different.statusCode).toBe(422);
    const [after] = await api.database
      .sql`select count(*)::int as n from products where crafter_id = ${crafter.id}`;
    expect(after?.n).toBe(1);
  });

  it('filters by category, status and title text (LIKE wildcards are literal)', async () => {
    const { crafter, auth } = await setup();
    const batik = await makeProduct(api.database.db, crafter.id, {
      title: 'Kain Batik 50% katun',
      category: 'batik',
      status: 'draft',
    });
    const tas = await makeProduct(api.database.db, crafter.id, {
      title: 'Tas BATIK kecil',
      category: 'tas',
      status: 'active',
    });
    const other = await makeProduct(api.database.db, crafter.id, {
      title: 'Anyaman_50 pandan',
      category: 'tas',
      status: 'archived',
    });
    const ids = async (query: string) => {
      const res = await api.app.inject({
        method: 'GET',
        url: `/v1/products?crafterId=${crafter.id}&${query}`,
        headers: auth,
      });
      expect(res.statusCode, query).toBe(200);
      return res.json().items.map((p: Json) => p.id);
    };
    expect(await ids('category=tas')).toEqual([other.id, tas.id]);
    expect(await ids('status=draft')).toEqual([batik.id]);
    expect(await ids('q=batik')).toEqual([tas.id, batik.id]);
    expect(await ids(`q=${encodeURIComponent('50%')}`)).toEqual([batik.id]);
    expect(await ids(`q=${encodeURIComponent('_50')}`)).toEqual([other.id]);
    expect(await ids('category=tas&status=active')).toEqual([tas.id]);
    const items = (
      await api.app.inject({ method: 'GET', url: `/v1/products?crafterId=${crafter.id}`, headers: auth })
    ).json().items;
    expect(items[0].variants).toHaveLength(2);
  });

  it('the cursor walks every page without duplicates or gaps, including products created in the same instant', async () => {
    const { crafter, auth } = await setup();
    // 100 products in one import share one created_at (one transaction); 20 more come one by one.
    const header =
      'product_key,title,description,category,status,attributes,image_urls,sku,options,price_idr,stock,weight_grams';
    const rows = Array.from({ length: 100 }, (_, i) => `p${i},Produk ${i},,tas,active,,,PG-${i},,1000,1,10`);
    const imported = await api.app.inject({
      method: 'POST',
      url: '/v1/products/import',
      headers: { ...auth, 'content-type': 'text/csv' },
      payload: `${header}\n${rows.join('\n')}\n`,
    });
    expect(imported.statusCode).toBe(200);
    expect(imported.json()).toEqual({ created: 100, updated: 0, unchanged: 0 });
    for (let i = 0; i < 20; i++)
      await makeProduct(api.database.db, crafter.id, { variants: [variantInput()] });

    const expected = await api.database.sql`
      select id from products where crafter_id = ${crafter.id} and deleted_at is null order by created_at desc, id desc`;
    expect(expected).toHaveLength(120);

    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const url: string = `/v1/products?crafterId=${crafter.id}&limit=7${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
      const res = await api.app.inject({ method: 'GET', url, headers: auth });
      expect(res.statusCode).toBe(200);
      const page = res.json();
      seen.push(...page.items.map((p: Json) => p.id as string));
      for (const item of page.items) expect(item.variants.length).toBeGreaterThan(0);
      cursor = page.nextCursor;
      pages++;
    } while (cursor && pages < 100);
    expect(seen).toEqual(expected.map((r) => r.id));
    expect(new Set(seen).size).toBe(120);
    expect(pages).toBe(18);
  });

  it('is described in the OpenAPI document, CSV routes with their text/csv bodies', async () => {
    const res = await api.app.inject({ method: 'GET', url: '/docs/json' });
    expect(res.statusCode).toBe(200);
    const paths = res.json().paths;
    expect(Object.keys(paths['/v1/products/{id}'] ?? {}).sort()).toEqual(['delete', 'get', 'patch', 'put']);
    expect(paths['/v1/products/import'].post.requestBody.content).toHaveProperty('text/csv');
    expect(paths['/v1/products/import'].post.description).toContain('key=value;key=value');
    expect(paths['/v1/products/export.csv'].get.responses['200'].content).toHaveProperty('text/csv');
  });

  it('an invalid cursor or limit is a 400', async () => {
    const { auth } = await setup();
    for (const query of [
      'q=a%00b',
      'category=a%00b',
      'cursor=not-a-cursor',
      `cursor=${Buffer.from('{"t":-1,"id":"x"}').toString('base64url')}`,
      'limit=0',
      'limit=201',
      'colour=red',
    ]) {
      const res = await api.app.inject({ method: 'GET', url: `/v1/products?${query}`, headers: auth });
      expect(res.statusCode, query).toBe(400);
    }
  });
});
