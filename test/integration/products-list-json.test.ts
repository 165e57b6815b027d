/**
 * The list route's JSON is written by Postgres (listProductsJson). These tests pin it to the same
 * contract as every other product response: the zod productSchema, the single-product route, and the
 * object path (listProducts + toProductResponse), for awkward data included.
 */

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { productSchema, toProductResponse } from '../../src/http/routes/products/schemas.js';
import { listProducts } from '../../src/services/products.js';
import { makeCrafter, makeUser } from '../factories/index.js';
import { makeProduct, variantInput } from '../factories/products.js';
import { startTestApi, type TestApi } from '../helpers/api.js';

const pageSchema = z.strictObject({ items: z.array(productSchema), nextCursor: z.string().nullable() });

let api: TestApi;
let crafterId: string;
let user: Awaited<ReturnType<typeof makeUser>>;

beforeAll(async () => {
  api = await startTestApi('products_list_json');
  const crafter = await makeCrafter(api.database.db);
  crafterId = crafter.id;
  user = await makeUser(api.database.db, 'crafter', { crafterId });
  await makeProduct(api.database.db, crafterId, {
    title: 'Tas "anyaman" \\ pandan — ukuran besar 🌿\nbaris dua',
    description: '',
    attributes: {},
    imageUrls: [],
    status: 'draft',
    variants: [variantInput({ options: {}, priceIdr: 0, stock: 0, weightGrams: 0 })],
  });
  await makeProduct(api.database.db, crafterId, {
    attributes: { bahan: 'rotan', 'asal daerah': 'Pondok Aren', z: '1', a: '2' },
    imageUrls: ['https://cdn.example.id/a.jpg', 'http://127.0.0.1:4010/shopee/file/1'],
    variants: [
      variantInput({ options: { warna: 'merah', ukuran: 'XL', motif: 'kawung' }, priceIdr: 1_000_000_000 }),
      variantInput({ options: { warna: 'biru' }, stock: 1_000_000 }),
      variantInput({ options: { warna: 'hijau' } }),
    ],
  });
  for (let i = 0; i < 5; i += 1) await makeProduct(api.database.db, crafterId);
});
afterAll(async () => {
  await api?.close();
});

describe('product list JSON written by Postgres', () => {
  it('requires a bearer token', async () => {
    expect((await api.app.inject({ method: 'GET', url: '/v1/products' })).statusCode).toBe(401);
  });

  it('validates against the response schema and equals the object path, page by page', async () => {
    let cursor: string | null = null;
    let after: Awaited<ReturnType<typeof listProducts>>['next'] = null;
    let pages = 0;
    do {
      const res = await api.app.inject({
        method: 'GET',
        url: `/v1/products?limit=3${cursor ? `&cursor=${cursor}` : ''}`,
        headers: api.auth(user),
      });
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toContain('application/json');
      const page = pageSchema.parse(res.json());
      const objects = await listProducts(
        api.database.db,
        { kind: 'crafter', crafterId },
        { limit: 3, after: after ?? undefined },
      );
      expect(page.items).toEqual(objects.items.map(toProductResponse));
      expect(page.nextCursor === null).toBe(objects.next === null);
      cursor = page.nextCursor;
      after = objects.next;
      pages += 1;
    } while (cursor !== null);
    expect(pages).toBe(3);
  });

  it('every item equals what the single-product route answers', async () => {
    const list = await api.app.inject({
      method: 'GET',
      url: '/v1/products?limit=50',
      headers: api.auth(user),
    });
    const items = pageSchema.parse(list.json()).items;
    expect(items).toHaveLength(7);
    for (const item of items) {
      const one = await api.app.inject({
        method: 'GET',
        url: `/v1/products/${item.id}`,
        headers: api.auth(user),
      });
      expect(item).toEqual(one.json());
    }
  });

  it('an empty page is a valid page', async () => {
    const res = await api.app.inject({
      method: 'GET',
      url: '/v1/products?q=tidak-ada-yang-cocok',
      headers: api.auth(user),
    });
    expect(res.json()).toEqual({ items: [], nextCursor: null });
  });
});
