import nock from 'nock';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createShopeeAdapter } from '../../../../src/channels/shopee/index.js';
import type { CanonicalListing, ImageUploadCache } from '../../../../src/channels/types.js';

const base = 'http://shopee.test';
const jpeg = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(32, 7)]);
const ctx = { connectionId: 'c1', externalShopId: '600001', accessToken: 'shop-access-token' };

function memoryCache(): ImageUploadCache & { store: Map<string, string> } {
  const store = new Map<string, string>();
  return {
    store,
    get: async (c, sha) => store.get(`${c}:${sha}`),
    put: async (c, sha, id) => {
      store.set(`${c}:${sha}`, id);
    },
  };
}

const sleeps: number[] = [];
const cache = memoryCache();
const adapter = createShopeeAdapter(
  { baseUrl: base, partnerId: 2001887, partnerKey: 'test_partner_key', timeoutMs: 500 },
  {
    imageCache: cache,
    imagePolicy: { maxBytes: 1_000_000, timeoutMs: 500, allowedPrivateOrigins: [] },
    sleep: async (ms) => {
      sleeps.push(ms);
    },
  },
);

const listing: CanonicalListing = {
  productId: 'p1',
  version: 2,
  title: 'Tas anyaman pandan',
  description: 'Tas anyaman dari pandan, buatan tangan.',
  imageUrls: ['https://img.example/tas.jpg'],
  placement: { categoryId: '100200', attributes: [], logisticsChannelId: '8003' },
  variants: [
    {
      variantId: 'v1',
      sku: 'TAS-K',
      options: { ukuran: 'kecil' },
      priceIdr: 85_000,
      stock: 4,
      weightGrams: 300,
    },
    {
      variantId: 'v2',
      sku: 'TAS-B',
      options: { ukuran: 'besar' },
      priceIdr: 125_000,
      stock: 2,
      weightGrams: 500,
    },
  ],
};

beforeAll(() => nock.disableNetConnect());
afterEach(() => {
  expect(nock.pendingMocks()).toEqual([]);
  nock.cleanAll();
});

describe('Shopee adapter: create', () => {
  it('uploads the photo as a file, adds the item, waits the documented 5 s, then creates the tiers', async () => {
    nock('https://img.example').get('/tas.jpg').reply(200, jpeg);
    const shopee = nock(base);
    shopee
      .post('/api/v2/media_space/upload_image')
      .query(
        (q) => q.shop_id === '600001' && q.access_token === 'shop-access-token' && typeof q.sign === 'string',
      )
      .reply(200, {
        request_id: 'r',
        error: '',
        message: '',
        response: { image_info: { image_id: 'img-tas' } },
      });
    shopee
      .post('/api/v2/product/add_item', (body) => {
        expect(body).toMatchObject({
          item_name: 'Tas anyaman pandan',
          item_sku: 'TAS-K',
          original_price: 85_000,
          weight: 0.5,
          image: { image_id_list: ['img-tas'] },
        });
        return true;
      })
      .query(true)
      .reply(200, {
        request_id: 'r',
        error: '',
        message: '',
        response: { item_id: 800123, item_status: 'REVIEWING' },
      });
    shopee
      .get('/api/v2/product/get_model_list')
      .query((q) => q.item_id === '800123')
      .reply(200, { request_id: 'r', error: '', message: '', response: { tier_variation: [], model: [] } });
    shopee
      .post('/api/v2/product/init_tier_variation', (body) => {
        expect(body.standardise_tier_variation).toEqual([
          {
            variation_id: 0,
            variation_group_id: 0,
            variation_name: 'ukuran',
            variation_option_list: [
              { variation_option_id: 0, variation_option_name: 'kecil' },
              { variation_option_id: 0, variation_option_name: 'besar' },
            ],
          },
        ]);
        expect(body.model).toEqual([
          { tier_index: [0], original_price: 85_000, model_sku: 'TAS-K', seller_stock: [{ stock: 4 }] },
          { tier_index: [1], original_price: 125_000, model_sku: 'TAS-B', seller_stock: [{ stock: 2 }] },
        ]);
        return true;
      })
      .query(true)
      .reply(200, { request_id: 'r', error: '', message: '', response: { item_id: 800123 } });
    shopee
      .get('/api/v2/product/get_model_list')
      .query(true)
      .reply(200, {
        request_id: 'r',
        error: '',
        message: '',
        response: {
          tier_variation: [{ name: 'ukuran', option_list: [{ option: 'kecil' }, { option: 'besar' }] }],
          model: [
            { model_id: 5001, model_sku: 'TAS-K', tier_index: [0] },
            { model_id: 5002, model_sku: 'TAS-B', tier_index: [1] },
          ],
        },
      });

    const ref = await adapter.create(ctx, listing);
    // The answer says the new item is in Shopee's review: the listing will say so.
    expect(ref).toEqual({
      remoteItemId: '800123',
      remoteVariantIds: { v1: '5001', v2: '5002' },
      status: 'in_review',
    });
    expect(sleeps).toEqual([5_000]);
    expect([...cache.store.values()]).toEqual(['img-tas']);
  });
});

describe('Shopee adapter: price and stock', () => {
  it('sends one batch per item and turns a failure_list into a permanent, plain-words failure', async () => {
    const ref = { remoteItemId: '800123', remoteVariantIds: { v1: '5001', v2: '5002' } };
    nock(base)
      .post('/api/v2/product/update_price', {
        item_id: 800123,
        price_list: [
          { model_id: 5001, original_price: 85_000 },
          { model_id: 5002, original_price: 125_000 },
        ],
      })
      .query(true)
      .reply(200, {
        request_id: 'r',
        error: '',
        message: '',
        response: {
          success_list: [{ model_id: 5001 }],
          failure_list: [{ model_id: 5002, failed_reason: 'Item under promotion' }],
        },
      });
    await expect(adapter.updatePriceAndStock(ctx, ref, listing)).rejects.toMatchObject({
      kind: 'permanent',
      human: { en: 'Shopee refused the price of 1 variant(s): Item under promotion' },
    });
  });

  it('asks for a full push when a variant has no remote model yet', async () => {
    await expect(
      adapter.updatePriceAndStock(ctx, { remoteItemId: '1', remoteVariantIds: {} }, listing),
    ).rejects.toMatchObject({ kind: 'retryable', platformCode: 'remote_model_unknown' });
  });

  it('without a token the shop needs re-authorisation, before any call', async () => {
    await expect(
      adapter.updatePriceAndStock(
        { connectionId: 'c1', externalShopId: '1' },
        { remoteItemId: '1', remoteVariantIds: {} },
        listing,
      ),
    ).rejects.toMatchObject({ kind: 'reauth' });
  });
});

describe('Shopee adapter: photo upload answers', () => {
  const photoListing = (url: string): CanonicalListing => ({ ...listing, imageUrls: [url] });

  it('takes the image id from image_info_list, and a refusal in the list entry is a plain-words failure', async () => {
    const other = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(32, 9)]);
    nock('https://img.example').get('/refused.jpg').reply(200, other);
    nock(base)
      .post('/api/v2/media_space/upload_image')
      .query(true)
      .reply(200, {
        request_id: 'r',
        error: '',
        message: '',
        response: {
          image_info: { image_id: '', image_url_list: [] },
          image_info_list: [
            {
              id: 0,
              error: 'error_image_unavailable',
              message: 'The image is too small.',
              image_info: { image_id: '', image_url_list: [] },
            },
          ],
        },
      });
    await expect(adapter.create(ctx, photoListing('https://img.example/refused.jpg'))).rejects.toMatchObject({
      kind: 'permanent',
      platformCode: 'error_image_unavailable',
      human: { en: 'Shopee refused the change: The image is too small.' },
    });
  });
});

describe('Shopee adapter: update and the item status', () => {
  const cached = createShopeeAdapter(
    { baseUrl: base, partnerId: 2001887, partnerKey: 'test_partner_key', timeoutMs: 500 },
    {
      // The photo is uploaded already: every hash has an image id.
      imageCache: { get: async () => 'img-1', put: async () => {} },
      imagePolicy: { maxBytes: 1_000_000, timeoutMs: 500, allowedPrivateOrigins: [] },
      sleep: async () => {},
    },
  );
  const single: CanonicalListing = {
    ...listing,
    variants: [{ variantId: 'v1', sku: 'TAS-S', options: {}, priceIdr: 90_000, stock: 3, weightGrams: 300 }],
  };
  const ref = { remoteItemId: '800001', remoteVariantIds: { v1: '0' } };
  const ok = { error: '', message: '', response: {} };

  async function updateItemBody(options?: { relist: boolean }): Promise<Record<string, unknown>> {
    let sent: Record<string, unknown> = {};
    nock('https://img.example').get('/tas.jpg').reply(200, jpeg);
    nock(base)
      .post('/api/v2/product/update_item', (body) => {
        sent = body;
        return true;
      })
      .query(true)
      .reply(200, ok);
    nock(base)
      .get('/api/v2/product/get_model_list')
      .query(true)
      .reply(200, { ...ok, response: { tier_variation: [], model: [] } });
    nock(base).post('/api/v2/product/update_price').query(true).reply(200, ok);
    nock(base).post('/api/v2/product/update_stock').query(true).reply(200, ok);
    await cached.update(ctx, ref, single, options);
    return sent;
  }

  it('a content update leaves the item status alone: an item unlisted by the crafter or Shopee stays unlisted', async () => {
    const body = await updateItemBody();
    expect(body).toMatchObject({ item_id: 800001, item_name: 'Tas anyaman pandan' });
    expect(body).not.toHaveProperty('item_status');
  });

  it('relisting an item we unlisted sends item_status NORMAL', async () => {
    expect(await updateItemBody({ relist: true })).toMatchObject({ item_id: 800001, item_status: 'NORMAL' });
  });

  it('review sweep: item statuses 50 ids a call through get_item_base_info; an item left out of item_list is deleted', async () => {
    const ids = Array.from({ length: 51 }, (_, i) => String(700_000 + i));
    const asked: string[][] = [];
    nock(base)
      .get('/api/v2/product/get_item_base_info')
      .query(true)
      .times(2)
      .reply((uri) => {
        const list = (new URL(uri, base).searchParams.get('item_id_list') ?? '').split(',');
        asked.push(list);
        const items = list
          .filter((id) => id !== '700001')
          .map((id) => ({ item_id: Number(id), item_status: id === '700050' ? 'NORMAL' : 'REVIEWING' }));
        return [200, { error: '', message: '', request_id: 'r1', response: { item_list: items } }];
      });
    const statuses = await adapter.readReviewStatuses(
      ctx,
      ids.map((remoteItemId) => ({ remoteItemId, since: new Date() })),
    );
    expect(asked.map((a) => a.length)).toEqual([50, 1]);
    expect(statuses.size).toBe(51);
    expect(statuses.get('700000')).toBe('in_review');
    expect(statuses.get('700001')).toBe('deleted');
    expect(statuses.get('700050')).toBe('live');
  });
});
