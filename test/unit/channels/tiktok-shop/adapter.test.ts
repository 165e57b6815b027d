import nock from 'nock';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createTiktokShopAdapter } from '../../../../src/channels/tiktok-shop/index.js';
import { validateForTiktok } from '../../../../src/channels/tiktok-shop/mappers/listing.js';
import type { CanonicalListing } from '../../../../src/channels/types.js';

const base = 'http://tiktok.test';
const png = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(16)]);
const ctx = {
  connectionId: 'c2',
  externalShopId: '7001',
  shopCipher: 'ROW_cipher',
  accessToken: 'tts-token',
};
const images = new Map<string, string>();
const adapter = createTiktokShopAdapter(
  { baseUrl: base, appKey: 'app', appSecret: 'secret', timeoutMs: 500 },
  {
    imageCache: {
      get: async (c, sha) => images.get(`${c}:${sha}`),
      put: async (c, sha, id) => {
        images.set(`${c}:${sha}`, id);
      },
    },
    imagePolicy: { maxBytes: 1_000_000, timeoutMs: 500, allowedPrivateOrigins: [] },
  },
);

const listing: CanonicalListing = {
  productId: 'p2',
  version: 4,
  title: 'Keramik Serpong cangkir teh glasir biru',
  description: 'Cangkir keramik buatan tangan.',
  imageUrls: ['https://img.example/cangkir.png'],
  placement: {
    categoryId: '601226',
    attributes: [{ attributeId: '100107', value: 'Keramik' }],
    warehouseId: 'WH1',
  },
  variants: [
    {
      variantId: 'v1',
      sku: 'CKR-BIRU',
      options: { warna: 'biru' },
      priceIdr: 45_000,
      stock: 120_000,
      weightGrams: 250,
    },
    {
      variantId: 'v2',
      sku: 'CKR-HIJAU',
      options: { warna: 'hijau' },
      priceIdr: 47_500,
      stock: 0,
      weightGrams: 250,
    },
  ],
};

beforeAll(() => nock.disableNetConnect());
afterEach(() => {
  expect(nock.pendingMocks()).toEqual([]);
  nock.cleanAll();
});

const withStock = (l: CanonicalListing, sku: string, stock: number): CanonicalListing => ({
  ...l,
  variants: l.variants.map((v) => (v.sku === sku ? { ...v, stock } : v)),
});

describe('TikTok Shop adapter', () => {
  it('refuses to create a listing with a sold-out SKU, before any call, in plain words', async () => {
    // create-product: quantity "Valid range: [1, 99,999]"; nock refuses any request (net connect off).
    await expect(adapter.create(ctx, listing)).rejects.toMatchObject({
      kind: 'permanent',
      platformCode: 'sku_without_stock',
      human: {
        en: 'Tokopedia needs at least 1 unit of every variant to create the listing (variant CKR-HIJAU has none).',
      },
    });
  });

  it('a sold-out SKU keeps an existing listing valid for updates, and only blocks creation', () => {
    expect(validateForTiktok(listing)).toEqual([]);
    expect(validateForTiktok(listing, { creating: false })).toEqual([]);
    expect(validateForTiktok(listing, { creating: true }).map((p) => p.field)).toEqual([
      'variants.CKR-HIJAU.stock',
    ]);
    expect(adapter.validate(listing, { creating: true })[0]?.message.id).toContain('CKR-HIJAU');
  });

  it('sends stock 0 for a sold-out SKU through Update Inventory', async () => {
    nock(base)
      .post('/product/202309/products/1729/prices/update')
      .query(true)
      .reply(200, { code: 0, message: 'Success', data: {} });
    nock(base)
      .post('/product/202309/products/1729/inventory/update', (body) => {
        expect(body.skus).toEqual([
          { id: 's1', inventory: [{ warehouse_id: 'WH1', quantity: 99_999 }] },
          { id: 's2', inventory: [{ warehouse_id: 'WH1', quantity: 0 }] },
        ]);
        return true;
      })
      .query(true)
      .reply(200, { code: 0, message: 'Success', data: {} });
    await adapter.updatePriceAndStock(
      ctx,
      { remoteItemId: '1729', remoteVariantIds: { v1: 's1', v2: 's2' } },
      listing,
    );
  });

  it('creates a Tokopedia product with inline SKUs, the warehouse, string prices and capped stock', async () => {
    nock('https://img.example').get('/cangkir.png').reply(200, png);
    nock(base)
      .post('/product/202309/images/upload')
      .query((q) => q.shop_cipher === undefined && typeof q.sign === 'string')
      .reply(200, { code: 0, message: 'Success', data: { uri: 'tos-img-1' } });
    nock(base, { reqheaders: { 'x-tts-access-token': 'tts-token' } })
      .post('/product/202309/products', (body) => {
        expect(body).toMatchObject({
          title: 'Keramik Serpong cangkir teh glasir biru',
          category_id: '601226',
          main_images: [{ uri: 'tos-img-1' }],
          package_weight: { value: '0.25', unit: 'KILOGRAM' },
          listing_platforms: ['TOKOPEDIA'],
          product_attributes: [{ id: '100107', values: [{ name: 'Keramik' }] }],
        });
        expect(body.skus).toEqual([
          {
            seller_sku: 'CKR-BIRU',
            price: { amount: '45000', currency: 'IDR' },
            inventory: [{ warehouse_id: 'WH1', quantity: 99_999 }],
            sales_attributes: [{ name: 'warna', value_name: 'biru' }],
          },
          {
            seller_sku: 'CKR-HIJAU',
            price: { amount: '47500', currency: 'IDR' },
            inventory: [{ warehouse_id: 'WH1', quantity: 1 }],
            sales_attributes: [{ name: 'warna', value_name: 'hijau' }],
          },
        ]);
        return true;
      })
      .query((q) => q.shop_cipher === 'ROW_cipher')
      .reply(200, {
        code: 0,
        message: 'Success',
        data: {
          product_id: '1729',
          skus: [
            { id: 's1', seller_sku: 'CKR-BIRU' },
            { id: 's2', seller_sku: 'CKR-HIJAU' },
          ],
        },
      });
    // A new product is audited before buyers see it: the listing's remote status says so.
    await expect(adapter.create(ctx, withStock(listing, 'CKR-HIJAU', 1))).resolves.toEqual({
      remoteItemId: '1729',
      remoteVariantIds: { v1: 's1', v2: 's2' },
      status: 'in_review',
    });
  });

  it('a full edit keeps every existing SKU by its id (a SKU left out would be deleted)', async () => {
    // The photo is fetched again (its content may have changed) but not uploaded again: same hash.
    nock('https://img.example').get('/cangkir.png').reply(200, png);
    nock(base)
      .get('/product/202309/products/1729')
      .query(true)
      .reply(200, {
        code: 0,
        message: 'Success',
        data: {
          id: '1729',
          status: 'ACTIVATE',
          skus: [
            { id: 's1', seller_sku: 'CKR-BIRU' },
            { id: 's2', seller_sku: 'CKR-HIJAU' },
          ],
        },
      });
    nock(base)
      .put('/product/202309/products/1729', (body) => {
        expect(body.skus.map((s: { id?: string }) => s.id)).toEqual(['s1', 's2']);
        return true;
      })
      .query(true)
      .reply(200, { code: 0, message: 'Success', data: {} });
    const ref = await adapter.update(ctx, { remoteItemId: '1729', remoteVariantIds: {} }, listing);
    expect(ref.remoteVariantIds).toEqual({ v1: 's1', v2: 's2' });
  });

  it('a price update while the product is in audit waits instead of failing', async () => {
    nock(base)
      .post('/product/202309/products/1729/prices/update')
      .query(true)
      .reply(200, { code: 12052901, message: 'Product status does not allow this operation' });
    await expect(
      adapter.updatePriceAndStock(
        ctx,
        { remoteItemId: '1729', remoteVariantIds: { v1: 's1', v2: 's2' } },
        listing,
      ),
    ).rejects.toMatchObject({ kind: 'retryable', waitMs: 30_000 });
  });

  it('names what keeps a product off Tokopedia', () => {
    const problems = validateForTiktok({
      ...listing,
      title: 'Cangkir',
      placement: { categoryId: '1', attributes: [] },
      variants: [{ ...listing.variants[0], sku: 'CKR BIRU' } as (typeof listing.variants)[number]],
    });
    expect(problems.map((p) => p.field)).toEqual(['title', 'variants.CKR BIRU.sku', 'placement.warehouseId']);
  });
});

describe('TikTok Shop adapter: an edit and the product status', () => {
  const deactivated = {
    code: 0,
    message: 'Success',
    data: {
      id: '1729',
      status: 'SELLER_DEACTIVATED',
      skus: [
        { id: 's1', seller_sku: 'CKR-BIRU' },
        { id: 's2', seller_sku: 'CKR-HIJAU' },
      ],
    },
  };
  const edited = () =>
    nock(base)
      .put('/product/202309/products/1729')
      .query(true)
      .reply(200, { code: 0, message: 'Success', data: {} });

  it('an edit alone never reactivates a deactivated product', async () => {
    nock('https://img.example').get('/cangkir.png').reply(200, png);
    nock(base).get('/product/202309/products/1729').query(true).reply(200, deactivated);
    edited();
    // afterEach: no activate call was made (nock would refuse it, and none is mocked).
    await adapter.update(ctx, { remoteItemId: '1729', remoteVariantIds: {} }, listing);
  });

  it('relisting a product we deactivated activates it before the edit', async () => {
    nock('https://img.example').get('/cangkir.png').reply(200, png);
    nock(base).get('/product/202309/products/1729').query(true).reply(200, deactivated);
    const activate = nock(base)
      .post('/product/202309/products/activate', (body) => {
        expect(body.product_ids).toEqual(['1729']);
        return true;
      })
      .query(true)
      .reply(200, { code: 0, message: 'Success', data: {} });
    edited();
    await adapter.update(ctx, { remoteItemId: '1729', remoteVariantIds: {} }, listing, { relist: true });
    expect(activate.isDone()).toBe(true);
  });

  it('review sweep: what changed since the oldest look, 100 a page with page tokens, plus the deleted; an item not listed is still in review', async () => {
    const since = new Date('2026-12-01T03:00:00Z');
    const from = Math.floor(since.getTime() / 1000) - 300;
    const product = (id: string, status: string) => ({ id, status, skus: [], create_time: from });
    const pages: Array<{ token?: string; status: string }> = [];
    nock(base)
      .post('/product/202502/products/search', (body) => {
        expect(body).toMatchObject({ update_time_ge: from });
        return true;
      })
      .query(true)
      .times(3)
      .reply((uri, body) => {
        const query = new URL(uri, base).searchParams;
        expect(query.get('page_size')).toBe('100');
        const status = (body as { status: string }).status;
        pages.push({ status, ...(query.get('page_token') ? { token: query.get('page_token') ?? '' } : {}) });
        if (status === 'DELETED') {
          return [200, { code: 0, message: 'Success', data: { products: [product('13', 'DELETED')] } }];
        }
        return query.get('page_token') === 'p2'
          ? [
              200,
              {
                code: 0,
                message: 'Success',
                data: { products: [product('12', 'FAILED')], next_page_token: '' },
              },
            ]
          : [
              200,
              {
                code: 0,
                message: 'Success',
                data: {
                  products: [product('11', 'ACTIVATE'), product('99', 'ACTIVATE')],
                  next_page_token: 'p2',
                },
              },
            ];
      });
    const statuses = await adapter.readReviewStatuses(ctx, [
      { remoteItemId: '11', since },
      { remoteItemId: '12', since: new Date(since.getTime() + 60_000) },
      { remoteItemId: '13', since },
      { remoteItemId: '14', since },
    ]);
    expect(pages).toEqual([{ status: 'ALL' }, { status: 'ALL', token: 'p2' }, { status: 'DELETED' }]);
    expect(Object.fromEntries(statuses)).toEqual({
      '11': 'live',
      '12': 'refused',
      '13': 'deleted',
      '14': 'in_review',
    });
  });
});
