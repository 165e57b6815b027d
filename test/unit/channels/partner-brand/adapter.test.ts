import nock from 'nock';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { partnerSignature } from '../../../../src/channels/partner-brand/client.js';
import { createPartnerBrandAdapter } from '../../../../src/channels/partner-brand/index.js';
import type { CanonicalListing } from '../../../../src/channels/types.js';

const endpoint = 'http://partner.test/api';
const ctx = { connectionId: 'c3', externalShopId: 'ikea', apiKey: 'pk_1', apiSecret: 'ps_1', endpoint };
const adapter = createPartnerBrandAdapter({ timeoutMs: 500 });
const listing: CanonicalListing = {
  productId: 'p3',
  version: 1,
  title: 'Tas Anyaman Pandan',
  description: '',
  imageUrls: ['https://img.example/tas.jpg'],
  placement: { categoryId: 'bags', attributes: [] },
  variants: [{ variantId: 'v1', sku: 'TAS-01', options: {}, priceIdr: 150_000, stock: 5, weightGrams: 300 }],
};

beforeAll(() => nock.disableNetConnect());
afterEach(() => {
  expect(nock.pendingMocks()).toEqual([]);
  nock.cleanAll();
});

describe('partner-brand adapter', () => {
  it('signs exactly as the published example (docs/partner-brand-api.yaml)', () => {
    expect(
      partnerSignature(
        'ps_example_secret_0123456789',
        '1767225600',
        'PUT',
        '/v1/assortment/items/TAS-01',
        '{"title":"Tas Anyaman Pandan","price_idr":150000,"quantity":5}',
      ),
    ).toBe('9602c3e235ce5a41c6d9e4444a28c2aa121b69ddcb8ae35bae0d09fae3551c20');
  });

  it('upserts one assortment item per variant, keyed by SKU, signed below the base URL', async () => {
    nock(endpoint, { reqheaders: { 'x-partner-key': 'pk_1' } })
      .put('/v1/assortment/items/TAS-01', {
        title: 'Tas Anyaman Pandan',
        price_idr: 150_000,
        quantity: 5,
        image_url: 'https://img.example/tas.jpg',
      })
      .reply(function () {
        const h = this.req.headers;
        const ts = String(h['x-partner-timestamp']);
        const body =
          '{"title":"Tas Anyaman Pandan","price_idr":150000,"quantity":5,"image_url":"https://img.example/tas.jpg"}';
        expect(h['x-partner-signature']).toBe(
          partnerSignature('ps_1', ts, 'PUT', '/v1/assortment/items/TAS-01', body),
        );
        return [201, { item: {} }];
      });
    // The remote item of a product is its first SKU: what findCreated finds it by.
    await expect(adapter.create(ctx, listing)).resolves.toEqual({
      remoteItemId: 'TAS-01',
      remoteVariantIds: { v1: 'TAS-01' },
    });
  });

  it('a 429 waits as long as Retry-After says; a 401 asks the council for a new key', async () => {
    nock(endpoint)
      .put('/v1/assortment/items/TAS-01')
      .reply(429, { error: { code: 'rate_limited', message: 'slow down' } }, { 'retry-after': '3' });
    await expect(adapter.create(ctx, listing)).rejects.toMatchObject({ kind: 'throttled', waitMs: 3_000 });
    nock(endpoint)
      .put('/v1/assortment/items/TAS-01')
      .reply(401, { error: { code: 'unknown_key', message: 'unknown key' } });
    await expect(adapter.create(ctx, listing)).rejects.toMatchObject({
      kind: 'reauth',
      platformCode: 'unknown_key',
    });
  });

  it('findCreated adopts an item created since the intent, never an older item under a reused SKU', async () => {
    const since = new Date('2026-03-01T10:00:00Z');
    const page = (createdAt: string) => ({
      items: [
        {
          sku: 'ANY-00',
          title: 'x',
          price_idr: 1,
          quantity: 1,
          image_url: null,
          created_at: createdAt,
          updated_at: createdAt,
        },
        {
          sku: 'TAS-01',
          title: 'x',
          price_idr: 1,
          quantity: 1,
          image_url: null,
          created_at: createdAt,
          updated_at: createdAt,
        },
      ],
      next_cursor: null,
    });
    nock(endpoint)
      .get('/v1/assortment/items')
      .query({ limit: '200' })
      .reply(200, page('2026-03-01T10:00:05Z'));
    await expect(adapter.findCreated(ctx, 'TAS-01', since)).resolves.toEqual({
      remoteItemId: 'TAS-01',
      remoteVariantIds: {},
    });
    nock(endpoint)
      .get('/v1/assortment/items')
      .query({ limit: '200' })
      .reply(200, page('2026-02-01T10:00:00Z'));
    await expect(adapter.findCreated(ctx, 'TAS-01', since)).resolves.toBeNull();
  });

  it('names what the partner would refuse: title, SKU pattern, price and stock', () => {
    const problems = adapter.validate({
      ...listing,
      title: 'T'.repeat(201),
      variants: [
        { variantId: 'v1', sku: 'TAS 01', options: {}, priceIdr: 0, stock: 2_000_000, weightGrams: 1 },
      ],
    });
    expect(problems.map((p) => p.field)).toEqual([
      'title',
      'variants.TAS 01.sku',
      'variants.TAS 01.priceIdr',
      'variants.TAS 01.stock',
    ]);
    expect(adapter.validate(listing)).toEqual([]);
  });
});
