import { describe, expect, it } from 'vitest';
import { makePng } from './client.js';
import { authorizedShop, productBody, type ShopSetup, sku, uploadImage } from './fixtures.js';
import { passAudit, type TiktokHarness, useAuthorizedShop } from './harness.js';

let h: TiktokHarness;
let s: ShopSetup;
let image: string;

useAuthorizedShop(async (harness, shop) => {
  h = harness;
  s = shop;
  image = await uploadImage(s.client);
});

const create = (body: unknown) =>
  s.client.call('POST', '/product/202309/products', { body: body as object, shopCipher: s.cipher });
const getProduct = (id: string) =>
  s.client.call('GET', `/product/202309/products/${id}`, { shopCipher: s.cipher });

describe('TikTok Shop products', () => {
  it('is authenticated like every API (auth first)', async () => {
    const res = await s.client.call('POST', '/product/202309/products', {
      body: productBody(image, [sku('A', '150000', 1)]),
      shopCipher: s.cipher,
      sign: '0'.repeat(64),
    });
    expect(res.body.code).toBe(106001);
  });

  it('image upload: multipart without shop_cipher returns uri and url; shop_cipher is refused', async () => {
    expect(image).toMatch(/\S+\/\S+/);
    const form = new FormData();
    form.set('data', new Blob([new Uint8Array([1, 2, 3])]), 'x.png');
    const refused = await s.client.call('POST', '/product/202309/images/upload', {
      form,
      shopCipher: s.cipher,
    });
    expect(refused.body.message).toMatch(/Unexpected identifier/);
    const junk = await s.client.call('POST', '/product/202309/images/upload', { form });
    expect(junk.body.code).toBe(12038004);
  });

  it('image upload enforces format, pixel size and the 10 MB limit; JPEG dimensions are read too', async () => {
    const upload = async (bytes: Uint8Array) => {
      const form = new FormData();
      form.set('data', new Blob([bytes]), 'photo');
      return s.client.call('POST', '/product/202309/images/upload', { form });
    };
    const tiny = await upload(new Uint8Array(makePng(50, 50)));
    expect(tiny.body.code).toBe(12038014);
    expect(tiny.body.message).toMatch(/300 x 300 to 4000 x 4000/);
    const huge = Buffer.concat([makePng(400, 400), Buffer.alloc(10 * 1024 * 1024)]);
    expect((await upload(new Uint8Array(huge))).body.code).toBe(12038005);
    // Minimal JPEG header: SOI, APP0 (JFIF), SOF0 with height 300 and width 400.
    const jpeg = Buffer.from([
      0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x00, 0x01, 0x01, 0x00, 0x00, 0x01, 0x00,
      0x01, 0x00, 0x00, 0xff, 0xc0, 0x00, 0x11, 0x08, 0x01, 0x2c, 0x01, 0x90, 0x03, 0x01, 0x22, 0x00, 0x02,
      0x11, 0x01, 0x03, 0x11, 0x01, 0xff, 0xd9,
    ]);
    const res = await upload(new Uint8Array(jpeg));
    expect(res.body.code, res.body.message).toBe(0);
    expect(res.body.data).toMatchObject({ width: 400, height: 300 });
  });

  it('happy path: create → PENDING → ACTIVATE after the audit delay → price/inventory update → get and search reflect it', async () => {
    const created = await create(
      productBody(image, [
        sku('TAS-PDN-M', '150000', 5, [['Ukuran', 'M']]),
        sku('TAS-PDN-L', '185000', 3, [['Ukuran', 'L']]),
      ]),
    );
    expect(created.body.code, created.body.message).toBe(0);
    const productId = String(created.body.data.product_id);
    const skus = created.body.data.skus as Array<{ id: string; seller_sku: string }>;
    expect(skus.map((x) => x.seller_sku)).toEqual(['TAS-PDN-M', 'TAS-PDN-L']);
    const [skuM, skuL] = skus;

    const pending = await getProduct(productId);
    expect(pending.body.data.status).toBe('PENDING');
    const early = await s.client.call('POST', `/product/202309/products/${productId}/prices/update`, {
      body: { skus: [{ id: skuM?.id, price: { amount: '160000', currency: 'IDR' } }] },
      shopCipher: s.cipher,
    });
    expect(early.body.code).toBe(12052901);

    passAudit(h);
    const active = await getProduct(productId);
    expect(active.body.data.status).toBe('ACTIVATE');
    expect(active.body.data.listing_platforms).toEqual(['TIKTOK_SHOP']);
    expect(active.body.data.integrated_platform_statuses).toEqual([
      { platform: 'TIKTOK_SHOP', status: 'ACTIVATE' },
    ]);

    const price = await s.client.call('POST', `/product/202309/products/${productId}/prices/update`, {
      body: { skus: [{ id: skuM?.id, price: { amount: '160000', currency: 'IDR' } }] },
      shopCipher: s.cipher,
    });
    expect(price.body.code).toBe(0);
    const stock = await s.client.call('POST', `/product/202309/products/${productId}/inventory/update`, {
      body: { skus: [{ id: skuL?.id, inventory: [{ quantity: 11 }] }] },
      shopCipher: s.cipher,
    });
    expect(stock.body.code).toBe(0);
    expect(stock.body.data).toEqual({});

    const detail = await getProduct(productId);
    const detailSkus = detail.body.data.skus as Array<{
      id: string;
      price: { amount: string; currency: string };
      inventory: Array<{ quantity: number }>;
    }>;
    expect(detailSkus.find((x) => x.id === skuM?.id)?.price).toMatchObject({
      amount: '160000',
      currency: 'IDR',
    });
    expect(detailSkus.find((x) => x.id === skuL?.id)?.inventory[0]?.quantity).toBe(11);

    const search = await s.client.call('POST', '/product/202502/products/search', {
      query: { page_size: '20' },
      body: { status: 'ACTIVATE', seller_skus: ['TAS-PDN-L'] },
      shopCipher: s.cipher,
    });
    expect(search.body.data.total_count).toBe(1);
    const found = (
      search.body.data.products as Array<{
        id: string;
        skus: Array<{ id: string; inventory: Array<{ quantity: number }>; price: { amount: string } }>;
      }>
    )[0];
    expect(found?.id).toBe(productId);
    expect(found?.skus.find((x) => x.id === skuL?.id)?.inventory[0]?.quantity).toBe(11);
    expect(found?.skus.find((x) => x.id === skuM?.id)?.price.amount).toBe('160000');
  });

  it('audit can fail through control', async () => {
    h.platform.control.configure({ audit_outcome: 'FAILED' });
    const created = await create(productBody(image, [sku('X-1', '20000', 1)]));
    passAudit(h);
    const product = await getProduct(String(created.body.data.product_id));
    expect(product.body.data.status).toBe('FAILED');
    expect((product.body.data.audit_failed_reasons as unknown[]).length).toBeGreaterThan(0);
  });

  it('refuses more than 100 SKUs with 12052050 and a 4th sales attribute', async () => {
    const many = Array.from({ length: 101 }, (_, i) => sku(`S-${i}`, '10000', 1, [['Warna', `W${i}`]]));
    const tooMany = await create(productBody(image, many));
    expect(tooMany.body.code).toBe(12052050);
    const hundred = await create(productBody(image, many.slice(0, 100)));
    expect(hundred.body.code).toBe(0);

    const four: Array<[string, string]> = [
      ['Warna', 'Merah'],
      ['Ukuran', 'M'],
      ['Bahan', 'Pandan'],
      ['Motif', 'Polos'],
    ];
    const fourth = await create(productBody(image, [sku('F-1', '10000', 1, four)]));
    expect(fourth.body.code).toBe(12052525);
    expect(fourth.body.message).toMatch(/cannot exceed 3/);
    expect((await create(productBody(image, [sku('F-1', '10000', 1, four.slice(0, 3))]))).body.code).toBe(0);
  });

  it('validates title length, price range and currency, leaf category and image uri', async () => {
    expect(
      (await create(productBody(image, [sku('A', '10000', 1)], { title: 'Tas pendek' }))).body.code,
    ).toBe(12052000);
    expect((await create(productBody(image, [sku('A', '99', 1)]))).body.code).toBe(12052073);
    expect((await create(productBody(image, [sku('A', '100000001', 1)]))).body.code).toBe(12052073);
    const usd = { ...sku('A', '10000', 1), price: { amount: '10000', currency: 'USD' } };
    expect((await create(productBody(image, [usd]))).body.code).toBe(12052073);
    expect(
      (await create(productBody(image, [sku('A', '10000', 1)], { category_id: '600200' }))).body.code,
    ).toBe(12052024);
    expect((await create(productBody('tos-unknown/abc', [sku('A', '10000', 1)]))).body.code).toBe(12052300);
  });

  it('edit is a full replace: omitted SKU ids are deleted, SKUs without id are created', async () => {
    const created = await create(
      productBody(image, [
        sku('A-M', '10000', 1, [['Ukuran', 'M']]),
        sku('A-L', '10000', 1, [['Ukuran', 'L']]),
      ]),
    );
    const productId = String(created.body.data.product_id);
    const [keep] = created.body.data.skus as Array<{ id: string }>;
    const edited = await s.client.call('PUT', `/product/202309/products/${productId}`, {
      body: productBody(image, [
        { ...sku('A-M', '12000', 2, [['Ukuran', 'M']]), id: keep?.id },
        sku('A-XL', '13000', 2, [['Ukuran', 'XL']]),
      ]),
      shopCipher: s.cipher,
    });
    expect(edited.body.code, edited.body.message).toBe(0);
    const detail = await getProduct(productId);
    const skus = detail.body.data.skus as Array<{ id: string; seller_sku: string }>;
    expect(skus.map((x) => x.seller_sku).sort()).toEqual(['A-M', 'A-XL']);
    expect(skus.find((x) => x.seller_sku === 'A-M')?.id).toBe(keep?.id);
  });

  it('partial edit changes only the supplied fields', async () => {
    const created = await create(productBody(image, [sku('P-1', '10000', 1)]));
    const productId = String(created.body.data.product_id);
    const res = await s.client.call('POST', `/product/202309/products/${productId}/partial_edit`, {
      body: { title: 'Tas Anyaman Pandan Motif Ciater Edisi Lebaran' },
      shopCipher: s.cipher,
    });
    expect(res.body.code).toBe(0);
    const detail = await getProduct(productId);
    expect(detail.body.data.title).toBe('Tas Anyaman Pandan Motif Ciater Edisi Lebaran');
    expect((detail.body.data.skus as unknown[]).length).toBe(1);
  });

  it('activate / deactivate / delete: batch per-item errors under code 0, at most 20 ids', async () => {
    const created = await create(productBody(image, [sku('B-1', '10000', 1)]));
    const productId = String(created.body.data.product_id);
    passAudit(h);
    const off = await s.client.call('POST', '/product/202309/products/deactivate', {
      body: { product_ids: [productId, '1234567890123456789'] },
      shopCipher: s.cipher,
    });
    expect(off.body.code).toBe(0);
    expect(off.body.data.errors).toEqual([
      expect.objectContaining({ detail: { product_id: '1234567890123456789' } }),
    ]);
    expect((await getProduct(productId)).body.data.status).toBe('SELLER_DEACTIVATED');
    const on = await s.client.call('POST', '/product/202309/products/activate', {
      body: { product_ids: [productId] },
      shopCipher: s.cipher,
    });
    expect(on.body.code).toBe(0);
    expect((await getProduct(productId)).body.data.status).toBe('ACTIVATE');
    const tooMany = await s.client.call('DELETE', '/product/202309/products', {
      body: { product_ids: Array.from({ length: 21 }, (_, i) => String(i + 1)) },
      shopCipher: s.cipher,
    });
    expect(tooMany.body.code).toBe(36009004);
    const del = await s.client.call('DELETE', '/product/202309/products', {
      body: { product_ids: [productId] },
      shopCipher: s.cipher,
    });
    expect(del.body.code).toBe(0);
    expect((await getProduct(productId)).body.code).toBe(12052032);
    const recovered = await s.client.call('POST', '/product/202309/products/recover', {
      body: { product_ids: [productId] },
      shopCipher: s.cipher,
    });
    expect(recovered.body.code).toBe(0);
    expect((await getProduct(productId)).body.data.status).toBe('SELLER_DEACTIVATED');
  });

  it('search pages with opaque page tokens and page_size ≤ 100', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 5; i += 1) {
      const created = await create(productBody(image, [sku(`PG-${i}`, '10000', 1)]));
      ids.push(String(created.body.data.product_id));
    }
    const seen: string[] = [];
    let token = '';
    let pages = 0;
    do {
      const res = await s.client.call('POST', '/product/202502/products/search', {
        query: { page_size: '2', ...(token ? { page_token: token } : {}) },
        body: {},
        shopCipher: s.cipher,
      });
      expect(res.body.code).toBe(0);
      expect(res.body.data.total_count).toBe(5);
      seen.push(...(res.body.data.products as Array<{ id: string }>).map((p) => p.id));
      token = String(res.body.data.next_page_token);
      pages += 1;
    } while (token !== '' && pages < 10);
    expect(pages).toBe(3);
    expect([...seen].sort()).toEqual([...ids].sort());
    const big = await s.client.call('POST', '/product/202502/products/search', {
      query: { page_size: '101' },
      body: {},
      shopCipher: s.cipher,
    });
    expect(big.body.code).toBe(36009004);
    const badToken = await s.client.call('POST', '/product/202502/products/search', {
      query: { page_size: '2', page_token: 'garbage' },
      body: {},
      shopCipher: s.cipher,
    });
    expect(badToken.body.code).toBe(36009004);
  });

  it('a non-Tokopedia shop lists on TIKTOK_SHOP only', async () => {
    const other = await authorizedShop(h, { tokopedia: false });
    const img = await uploadImage(other.client);
    const created = await other.client.call('POST', '/product/202309/products', {
      body: productBody(img, [sku('N-1', '10000', 1)]),
      shopCipher: other.cipher,
    });
    const detail = await other.client.call(
      'GET',
      `/product/202309/products/${String(created.body.data.product_id)}`,
      {
        shopCipher: other.cipher,
      },
    );
    expect(detail.body.data.listing_platforms).toEqual(['TIKTOK_SHOP']);
  });
});
