import { parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KELURAHAN, makeCrafter, makeUser } from '../factories/index.js';
import { makeProduct, variantInput } from '../factories/products.js';
import { startTestApi, type TestApi } from '../helpers/api.js';

let api: TestApi;
beforeAll(async () => {
  api = await startTestApi('productscsv');
});
afterAll(async () => {
  await api?.close();
});

/**
 * The header of a file of new products (no versions); the export adds `version` after the key (and
 * `stock_revision` at the end, which an import may leave out).
 */
const HEADER =
  'product_key,title,description,category,status,attributes,image_urls,sku,options,price_idr,stock,weight_grams';
const EXPORT_HEADER =
  'product_key,version,title,description,category,status,attributes,image_urls,sku,options,price_idr,stock,weight_grams';

async function setup() {
  const crafter = await makeCrafter(api.database.db, { kelurahanCode: KELURAHAN.ciater });
  const user = await makeUser(api.database.db, 'crafter', { crafterId: crafter.id });
  return { crafter, user, auth: api.auth(user) };
}

function importCsv(headers: Record<string, string>, csv: string, query = '') {
  return api.app.inject({
    method: 'POST',
    url: `/v1/products/import${query}`,
    headers: { ...headers, 'content-type': 'text/csv' },
    payload: csv,
  });
}

async function exportCsv(headers: Record<string, string>, query = '') {
  const res = await api.app.inject({ method: 'GET', url: `/v1/products/export.csv${query}`, headers });
  expect(res.statusCode).toBe(200);
  return res;
}

async function snapshot(crafterId: string) {
  const products = await api.database.sql`
    select id, version, title from products where crafter_id = ${crafterId} and deleted_at is null order by id`;
  const [outbox] = await api.database.sql`
    select count(*)::int as n from outbox where payload->>'crafterId' = ${crafterId}`;
  const [audit] = await api.database.sql`
    select count(*)::int as n from audit_log a join products p on p.id::text = a.entity_id where p.crafter_id = ${crafterId}`;
  const variants = await api.database.sql`
    select sku, price_idr::int as price, retired_at is null as live from variants where crafter_id = ${crafterId} order by sku`;
  return { products, outbox: outbox?.n, audit: audit?.n, variants };
}

describe('product CSV import and export', () => {
  it('requires a bearer token', async () => {
    expect((await importCsv({}, `${HEADER}\n`)).statusCode).toBe(401);
    expect((await api.app.inject({ method: 'GET', url: '/v1/products/export.csv' })).statusCode).toBe(401);
  });

  it('exports one row per variant as an attachment, in the caller scope only', async () => {
    const a = await setup();
    const b = await setup();
    const product = await makeProduct(api.database.db, a.crafter.id, {
      attributes: { 'bahan;utama': 'pandan=alami', motif: 'kawung' },
      imageUrls: ['https://cdn.example.id/1.jpg', 'https://cdn.example.id/2.jpg'],
      description: 'Baris satu\nBaris dua, dengan "kutip"',
    });
    await makeProduct(api.database.db, b.crafter.id);
    const res = await exportCsv(a.auth);
    expect(res.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(res.headers['content-disposition']).toMatch(/^attachment/);
    const rows = parse(res.body, { columns: true }) as Record<string, string>[];
    expect(rows).toHaveLength(2);
    expect(rows.map((r) => r.product_key)).toEqual([product.id, product.id]);
    expect(rows[0]).toMatchObject({
      version: String(product.version),
      title: product.title,
      description: 'Baris satu\nBaris dua, dengan "kutip"',
      sku: product.variants[0]!.sku,
      price_idr: String(product.variants[0]!.priceIdr),
      image_urls: 'https://cdn.example.id/1.jpg https://cdn.example.id/2.jpg',
      options: 'warna=merah',
    });
    expect(rows[0]?.attributes).toContain('bahan\\;utama=pandan\\=alami');
    // The export ends with each product's stock revision (what its stock cells were read at).
    expect(res.body.split('\n')[0]).toBe(`${EXPORT_HEADER},stock_revision`);
  });

  it('round trip: importing the export changes nothing; editing one price changes only that product', async () => {
    const { crafter, auth } = await setup();
    await makeProduct(api.database.db, crafter.id, {
      attributes: { 'a;b': 'c=d\\e' },
      description: 'multi\nline',
    });
    const edited = await makeProduct(api.database.db, crafter.id);
    await makeProduct(api.database.db, crafter.id, { imageUrls: [], attributes: {}, status: 'draft' });
    const before = await snapshot(crafter.id);

    const exported = (await exportCsv(auth)).body;
    const same = await importCsv(auth, exported);
    expect(same.statusCode).toBe(200);
    expect(same.json()).toEqual({ created: 0, updated: 0, unchanged: 3 });
    expect(await snapshot(crafter.id)).toEqual(before);

    const sku = edited.variants[1]!.sku;
    const rows = parse(exported, { columns: true }) as Record<string, string>[];
    const target = rows.find((r) => r.sku === sku);
    if (!target) throw new Error('edited variant not exported');
    target.price_idr = '123456';
    const res = await importCsv(auth, stringify(rows, { header: true }));
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ created: 0, updated: 1, unchanged: 2 });
    const after = await snapshot(crafter.id);
    expect(after.variants.find((v) => v.sku === sku)?.price).toBe(123456);
    expect(after.products.find((p) => p.id === edited.id)?.version).toBe(2);
    expect(after.products.filter((p) => p.id !== edited.id)).toEqual(
      before.products.filter((p) => p.id !== edited.id),
    );
    expect(after.outbox).toBe((before.outbox as number) + 1);
    expect(after.audit).toBe((before.audit as number) + 1);
    const [variant] = await api.database
      .sql`select id from variants where sku = ${sku} and retired_at is null`;
    expect(variant?.id).toBe(edited.variants[1]!.id);
  });

  it('creates products from new keys, grouping rows, and may move a SKU between products of one file', async () => {
    const { crafter, auth } = await setup();
    const existing = await makeProduct(api.database.db, crafter.id, {
      variants: [variantInput({ sku: 'MOVE-1' }), variantInput({ sku: 'STAY-1' })],
    });
    const csv = [
      EXPORT_HEADER,
      `baru-1,,Kain tenun,,kain,active,motif=songket,https://cdn.example.id/k.jpg,TENUN-S,ukuran=S,250000,3,400`,
      `baru-1,,,,,,,,TENUN-M,ukuran=M,260000,2,450`,
      // An id in capitals names the same product.
      `${existing.id.toUpperCase()},${existing.version},${existing.title},${existing.description},${existing.category},${existing.status},,,STAY-1,,1000,1,1`,
      `baru-2,,Topi,,topi,draft,,,MOVE-1,,5000,0,50`,
    ].join('\n');
    const res = await importCsv(auth, csv);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toEqual({ created: 2, updated: 1, unchanged: 0 });
    const list = await api.app.inject({ method: 'GET', url: '/v1/products', headers: auth });
    const byTitle = new Map(list.json().items.map((p: { title: string }) => [p.title, p]));
    expect(byTitle.get('Kain tenun')).toMatchObject({
      attributes: { motif: 'songket' },
      status: 'active',
      variants: [
        expect.objectContaining({ sku: 'TENUN-S', options: { ukuran: 'S' }, priceIdr: 250000 }),
        expect.objectContaining({ sku: 'TENUN-M', options: { ukuran: 'M' }, priceIdr: 260000 }),
      ],
    });
    expect(byTitle.get('Topi')).toMatchObject({ variants: [expect.objectContaining({ sku: 'MOVE-1' })] });
    expect(byTitle.get(existing.title)).toMatchObject({
      version: 2,
      variants: [expect.objectContaining({ sku: 'STAY-1' })],
    });
  });

  it('lists every problem by row and column and writes nothing', async () => {
    const { crafter, auth } = await setup();
    const other = await makeProduct(api.database.db, crafter.id, {
      variants: [variantInput({ sku: 'TAKEN-1' })],
    });
    const before = await snapshot(crafter.id);
    const csv = [
      HEADER,
      'ok-1,Produk baik,,tas,active,,,GOOD-1,,1000,1,10',
      'bad-1,Harga pecahan,,tas,active,,,BAD-1,,1000.5,1,10',
      'bad-2,Stok negatif,,tas,active,,,BAD-2,warna,1000,-1,10',
      'bad-3,Duplikat,,tas,active,,,GOOD-1,,1000,1,10',
      ',Tanpa kunci,,tas,active,,,BAD-4,,1000,1,10',
      'bad-5,,,Bukan Slug,unknown,,ftp://x.id/a.jpg,BAD 5,,1000,1,10',
      'bad-6,Dipakai,,tas,active,,,TAKEN-1,,1000,1,10',
      `${other.id},${other.title},,tas,active,,,TAKEN-2,,1000,1,10`,
      `${other.id},Judul lain,,tas,active,,,TAKEN-3,,1000,1,10`,
      'bad-11,Nul\u0000,,tas,active,,,BAD-11,,1000,1,10',
    ].join('\n');
    const res = await importCsv(auth, csv);
    expect(res.statusCode).toBe(400);
    expect(res.json().code).toBe('validation_failed');
    const paths = res.json().errors.map((e: { path: string }) => e.path);
    expect(paths).toEqual(
      expect.arrayContaining([
        'row 3 / price_idr',
        'row 4 / options',
        'row 4 / stock',
        'row 5 / sku',
        'row 6 / product_key',
        'row 7 / title',
        'row 7 / category',
        'row 7 / status',
        'row 7 / image_urls',
        'row 7 / sku',
        'row 10 / title',
        'row 11 / title',
      ]),
    );
    expect(paths).not.toContain('row 2 / sku');
    expect(await snapshot(crafter.id)).toEqual(before);

    // A SKU held by a product that is not in the file is reported once the rest is clean.
    const taken = await importCsv(auth, `${HEADER}\nbad-6,Dipakai,,tas,active,,,TAKEN-1,,1000,1,10\n`);
    expect(taken.statusCode).toBe(400);
    expect(taken.json().errors).toEqual([
      { path: 'row 2 / sku', message: expect.stringContaining(other.id) },
    ]);
    expect(await snapshot(crafter.id)).toEqual(before);
  });

  it('rejects a bad header, unreadable CSV, a missing crafterId for admins and a wrong content type', async () => {
    const { crafter, auth } = await setup();
    const badHeader = await importCsv(auth, 'product_key,title,colour\nx,y,z\n');
    expect(badHeader.statusCode).toBe(400);
    expect(badHeader.json().errors.map((e: { path: string }) => e.path)).toEqual(
      expect.arrayContaining(['row 1 / colour', 'row 1 / sku', 'row 1 / price_idr']),
    );
    const unclosed = await importCsv(auth, `${HEADER}\nx,"unclosed,,tas,active,,,S,,1,1,1\n`);
    expect(unclosed.statusCode).toBe(400);
    expect(unclosed.json().errors[0].path).toBe('row 2 / file');

    const admin = await makeUser(api.database.db, 'admin', { regionCode: KELURAHAN.ciater });
    const noCrafter = await importCsv(api.auth(admin), `${HEADER}\n`);
    expect(noCrafter.statusCode).toBe(400);
    const outsideAdmin = await makeUser(api.database.db, 'admin', { regionCode: KELURAHAN.pakulonan });
    const outside = await importCsv(
      api.auth(outsideAdmin),
      `${HEADER}\nk,T,,tas,active,,,OUT-1,,1,1,1\n`,
      `?crafterId=${crafter.id}`,
    );
    expect(outside.statusCode).toBe(404);
    const inside = await importCsv(
      api.auth(admin),
      `${HEADER}\nk,T,,tas,active,,,IN-1,,1,1,1\n`,
      `?crafterId=${crafter.id}`,
    );
    expect(inside.statusCode).toBe(200);
    expect(inside.json()).toEqual({ created: 1, updated: 0, unchanged: 0 });

    const json = await api.app.inject({
      method: 'POST',
      url: '/v1/products/import',
      headers: auth,
      payload: { csv: 'x' },
    });
    expect(json.statusCode).toBe(415);
  });

  it('refuses rows of a product changed since the export, and rows of an existing product without a version', async () => {
    const { crafter, auth } = await setup();
    const changedElsewhere = await makeProduct(api.database.db, crafter.id);
    const other = await makeProduct(api.database.db, crafter.id);
    const exported = (await exportCsv(auth)).body;

    // Someone else edits one product after the export…
    const edit = await api.app.inject({
      method: 'PATCH',
      url: `/v1/products/${changedElsewhere.id}`,
      headers: { ...auth, 'if-match': `"${changedElsewhere.version}"` },
      payload: { title: 'Judul baru dari rekan' },
    });
    expect(edit.statusCode).toBe(200);
    const before = await snapshot(crafter.id);

    // …and the stale spreadsheet comes back with a price edit on the other product.
    const rows = parse(exported, { columns: true }) as Record<string, string>[];
    const otherRow = rows.find((r) => r.product_key === other.id);
    if (!otherRow) throw new Error('product not exported');
    otherRow.price_idr = '99000';
    const stale = await importCsv(auth, stringify(rows, { header: true }));
    expect(stale.statusCode).toBe(400);
    expect(stale.json().code).toBe('validation_failed');
    const staleRow = rows.findIndex((r) => r.product_key === changedElsewhere.id) + 2;
    expect(stale.json().errors).toEqual([
      { path: `row ${staleRow} / version`, message: expect.stringContaining('changed since your export') },
    ]);
    expect(await snapshot(crafter.id)).toEqual(before);
    const [title] = await api.database.sql`select title from products where id = ${changedElsewhere.id}`;
    expect(title?.title).toBe('Judul baru dari rekan');

    // A file without the version column (an older export) cannot update existing products either.
    const noVersion = stringify(
      rows.map(({ version: _v, ...rest }) => rest),
      { header: true },
    );
    const unversioned = await importCsv(auth, noVersion);
    expect(unversioned.statusCode).toBe(400);
    const paths = unversioned.json().errors.map((e: { path: string }) => e.path);
    expect(paths).toHaveLength(2);
    for (const path of paths) expect(path).toMatch(/^row \d+ \/ version$/);
    expect(await snapshot(crafter.id)).toEqual(before);

    // Exported again, the same edit goes through.
    const fresh = parse((await exportCsv(auth)).body, { columns: true }) as Record<string, string>[];
    for (const r of fresh) if (r.product_key === other.id) r.price_idr = '99000';
    const ok = await importCsv(auth, stringify(fresh, { header: true }));
    expect(ok.statusCode, ok.body).toBe(200);
    expect(ok.json()).toEqual({ created: 0, updated: 1, unchanged: 1 });
  });

  it('a product_key naming a deleted product, or an id that is no product of the crafter, is a row error', async () => {
    const { crafter, auth } = await setup();
    const kept = await makeProduct(api.database.db, crafter.id);
    const doomed = await makeProduct(api.database.db, crafter.id);
    const exported = (await exportCsv(auth)).body;
    const del = await api.app.inject({
      method: 'DELETE',
      url: `/v1/products/${doomed.id}`,
      headers: { ...auth, 'if-match': `"${doomed.version}"` },
    });
    expect(del.statusCode).toBe(204);
    const foreign = await makeProduct(api.database.db, (await setup()).crafter.id);
    const before = await snapshot(crafter.id);

    const rows = parse(exported, { columns: true }) as Record<string, string>[];
    const deletedRow = rows.findIndex((r) => r.product_key === doomed.id) + 2;
    const res = await importCsv(auth, stringify(rows, { header: true }));
    expect(res.statusCode).toBe(400);
    expect(res.json().errors).toEqual([
      { path: `row ${deletedRow} / product_key`, message: expect.stringContaining('was deleted') },
    ]);
    expect(await snapshot(crafter.id)).toEqual(before);

    // Another crafter's product id is answered like an id that exists nowhere (scope is not revealed).
    const keptRows = rows.filter((r) => r.product_key === kept.id);
    const strangers = [foreign.id, '6f1c2d3e-4a5b-4c6d-8e9f-0a1b2c3d4e5f'].map((id, i) => ({
      ...keptRows[0]!,
      product_key: id,
      version: '',
      sku: `ASING-${i}`,
    }));
    const unknown = await importCsv(auth, stringify([...keptRows, ...strangers], { header: true }));
    expect(unknown.statusCode).toBe(400);
    const messages = unknown.json().errors.map((e: { path: string; message: string }) => e);
    expect(messages).toEqual([
      {
        path: `row ${keptRows.length + 2} / product_key`,
        message: expect.stringContaining('no product of this crafter'),
      },
      {
        path: `row ${keptRows.length + 3} / product_key`,
        message: expect.stringContaining('no product of this crafter'),
      },
    ]);
    expect(await snapshot(crafter.id)).toEqual(before);
  });

  it('guards cells against spreadsheet formulas on export, and the import undoes exactly that guard', async () => {
    const { crafter, auth } = await setup();
    await makeProduct(api.database.db, crafter.id, {
      title: '=HYPERLINK("http://evil.example","klik")',
      description: '+62 812 3456 7890',
      attributes: { bahan: "'kutip tunggal", diskon: '-10%' },
      variants: [variantInput({ sku: '-MINUS-1', options: { '=ukuran': 'M' } })],
    });
    await makeProduct(api.database.db, crafter.id, {
      title: "'=sudah dikutip",
      description: '\tdiawali tab',
      attributes: { '@merek': 'Kriya' },
    });
    await makeProduct(api.database.db, crafter.id, {
      title: "'biasa saja",
      description: '\rdiawali CR',
      attributes: {},
    });
    const before = await snapshot(crafter.id);
    const exported = (await exportCsv(auth)).body;
    const cells = (parse(exported, { relax_column_count: true }) as string[][]).slice(1).flat();
    expect(cells.filter((c) => /^[=+\-@\t\r]/.test(c))).toEqual([]);
    expect(cells).toEqual(
      expect.arrayContaining([
        `'=HYPERLINK("http://evil.example","klik")`,
        "'+62 812 3456 7890",
        "'-MINUS-1",
        "''=sudah dikutip",
        "'\tdiawali tab",
        "'\rdiawali CR",
        "'@merek=Kriya",
        // Not formula-like, so exported as it is, and imported as it is.
        "'biasa saja",
      ]),
    );
    const same = await importCsv(auth, exported);
    expect(same.statusCode, same.body).toBe(200);
    expect(same.json()).toEqual({ created: 0, updated: 0, unchanged: 3 });
    expect(await snapshot(crafter.id)).toEqual(before);
    const titles = await api.database
      .sql`select title, description from products where crafter_id = ${crafter.id} order by title`;
    expect(titles.map((t) => t.title).sort()).toEqual(
      ["'=sudah dikutip", "'biasa saja", '=HYPERLINK("http://evil.example","klik")'].sort(),
    );
  });

  it('an import larger than the CSV limit is a 413', async () => {
    const { auth } = await setup();
    const big = `${HEADER}\n${'x'.repeat(api.config.csvImportLimitBytes + 1)}\n`;
    const res = await importCsv(auth, big);
    expect(res.statusCode).toBe(413);
  });
});
