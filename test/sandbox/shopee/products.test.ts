import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildSandbox, type Sandbox } from '../../../sandbox/server.js';
import {
  addItemBody,
  advanceClock,
  authorizedClient,
  control,
  PAST_REVIEW_MS,
  PAST_VARIATION_WAIT_MS,
  type ShopeeTestClient,
  tinyPng,
} from './client.js';

type Rec = Record<string, unknown>;
const list = (value: unknown): Rec[] => value as Rec[];

describe('shopee products', () => {
  let sandbox: Sandbox;
  let client: ShopeeTestClient;
  let imageId: string;

  beforeEach(async () => {
    sandbox = await buildSandbox({ seed: 11 });
    client = await authorizedClient(sandbox);
    const upload = await client.uploadImage(tinyPng);
    expect(upload.body.error).toBe('');
    imageId = String((upload.body.response?.image_info as Rec | undefined)?.image_id);
  });
  afterEach(async () => {
    await sandbox.close();
  });

  async function addItem(overrides: Rec = {}): Promise<number> {
    const added = await client.post('/api/v2/product/add_item', addItemBody(imageId, overrides));
    expect(added.body.error, JSON.stringify(added.body)).toBe('');
    return Number(added.body.response?.item_id);
  }

  it('happy path: upload → add_item → init_tier_variation → update_price/stock → reads reflect it', async () => {
    const itemId = await addItem();
    await advanceClock(sandbox, PAST_REVIEW_MS);
    const init = await client.post('/api/v2/product/init_tier_variation', {
      item_id: itemId,
      tier_variation: [
        { name: 'Warna', option_list: [{ option: 'Biru' }, { option: 'Coklat' }] },
        { name: 'Ukuran', option_list: [{ option: '2m' }, { option: '2.5m' }] },
      ],
      model: [
        { tier_index: [0, 0], original_price: 250000, model_sku: 'BTK-B-2', seller_stock: [{ stock: 3 }] },
        { tier_index: [0, 1], original_price: 300000, model_sku: 'BTK-B-25', seller_stock: [{ stock: 4 }] },
        { tier_index: [1, 0], original_price: 260000, model_sku: 'BTK-C-2', seller_stock: [{ stock: 5 }] },
      ],
    });
    expect(init.body.error, JSON.stringify(init.body)).toBe('');
    const models = list(init.body.response?.model);
    expect(models).toHaveLength(3);
    const blue2 = models.find((m) => m.model_sku === 'BTK-B-2');
    const brown2 = models.find((m) => m.model_sku === 'BTK-C-2');

    const price = await client.post('/api/v2/product/update_price', {
      item_id: itemId,
      price_list: [
        { model_id: blue2?.model_id, original_price: 275000 },
        { model_id: brown2?.model_id, original_price: 1 },
      ],
    });
    expect(price.body.error).toBe('');
    expect(price.body.response?.success_list).toEqual([
      { model_id: blue2?.model_id, original_price: 275000 },
    ]);
    expect(list(price.body.response?.failure_list).map((f) => f.model_id)).toEqual([brown2?.model_id]);

    const stock = await client.post('/api/v2/product/update_stock', {
      item_id: itemId,
      stock_list: [{ model_id: brown2?.model_id, seller_stock: [{ stock: 42 }] }],
    });
    expect(stock.body.error).toBe('');
    expect(list(stock.body.response?.success_list)[0]).toMatchObject({
      model_id: brown2?.model_id,
      stock: 42,
    });

    const base = await client.get('/api/v2/product/get_item_base_info', { item_id_list: String(itemId) });
    const info = list(base.body.response?.item_list)[0];
    expect(info).toMatchObject({
      item_id: itemId,
      item_name: 'Kain Batik Tulis Parang',
      has_model: true,
      item_status: 'NORMAL',
    });
    expect(info).not.toHaveProperty('price_info');
    expect(
      (info?.stock_info_v2 as { summary_info: Rec } | undefined)?.summary_info.total_available_stock,
    ).toBe(3 + 4 + 42);

    const modelList = await client.get('/api/v2/product/get_model_list', { item_id: itemId });
    const byId = new Map(list(modelList.body.response?.model).map((m) => [m.model_id, m]));
    expect(list(byId.get(blue2?.model_id)?.price_info)[0]?.original_price).toBe(275000);
    expect(
      ((byId.get(brown2?.model_id)?.stock_info_v2 as Rec | undefined)?.summary_info as Rec | undefined)
        ?.total_available_stock,
    ).toBe(42);
    expect(list(modelList.body.response?.tier_variation).map((t) => t.name)).toEqual(['Warna', 'Ukuran']);

    const state = await control(sandbox, 'GET', `/shopee/shops/${client.shopId}/state`);
    expect(list(state.body.items)[0]).toMatchObject({ itemId, stock: 49 });
  });

  it('items without variants use model_id 0 and expose price_info', async () => {
    const itemId = await addItem();
    const price = await client.post('/api/v2/product/update_price', {
      item_id: itemId,
      price_list: [{ model_id: 0, original_price: 199000 }],
    });
    expect(list(price.body.response?.success_list)).toHaveLength(1);
    const base = await client.get('/api/v2/product/get_item_base_info', { item_id_list: String(itemId) });
    expect(list(list(base.body.response?.item_list)[0]?.price_info)[0]).toMatchObject({
      currency: 'IDR',
      original_price: 199000,
    });
  });

  it('a non-integer rupiah price fails', async () => {
    const itemId = await addItem();
    const price = await client.post('/api/v2/product/update_price', {
      item_id: itemId,
      price_list: [{ model_id: 0, original_price: 199000.5 }],
    });
    expect(price.body.response?.success_list).toEqual([]);
    expect(list(price.body.response?.failure_list)[0]?.failed_reason).toMatch(/integer/);
    const add = await client.post(
      '/api/v2/product/add_item',
      addItemBody(imageId, { original_price: 10000.25 }),
    );
    expect(add.body.error).toBe('error_param');
  });

  it('refuses a third tier and a 51st model', async () => {
    const itemId = await addItem();
    const other = await addItem({ item_sku: 'OTHER' });
    await advanceClock(sandbox, PAST_VARIATION_WAIT_MS);
    const threeTiers = await client.post('/api/v2/product/init_tier_variation', {
      item_id: itemId,
      tier_variation: [
        { name: 'Warna', option_list: [{ option: 'Biru' }] },
        { name: 'Ukuran', option_list: [{ option: 'S' }] },
        { name: 'Bahan', option_list: [{ option: 'Katun' }] },
      ],
      model: [{ tier_index: [0, 0, 0], original_price: 100000, seller_stock: [{ stock: 1 }] }],
    });
    expect(threeTiers.body.error).toBe('error_param');
    expect(threeTiers.body.message).toMatch(/tier_variation/);

    const options = Array.from({ length: 10 }, (_, i) => ({ option: `W${i}` }));
    const sizes = Array.from({ length: 6 }, (_, i) => ({ option: `S${i}` }));
    const fifty = [];
    for (let w = 0; w < 10; w += 1)
      for (let s = 0; s < 5; s += 1)
        fifty.push({ tier_index: [w, s], original_price: 100000, seller_stock: [{ stock: 1 }] });
    const init = await client.post('/api/v2/product/init_tier_variation', {
      item_id: itemId,
      tier_variation: [
        { name: 'Warna', option_list: options },
        { name: 'Ukuran', option_list: sizes },
      ],
      model: fifty,
    });
    expect(init.body.error, JSON.stringify(init.body)).toBe('');
    expect(list(init.body.response?.model)).toHaveLength(50);
    const fiftyFirst = await client.post('/api/v2/product/add_model', {
      item_id: itemId,
      model_list: [{ tier_index: [0, 5], original_price: 100000, seller_stock: [{ stock: 1 }] }],
    });
    expect(fiftyFirst.body.error).toBe('error_param');
    expect(fiftyFirst.body.message).toMatch(/at most 50/);

    const tooMany = await client.post('/api/v2/product/init_tier_variation', {
      item_id: other,
      tier_variation: [
        { name: 'Warna', option_list: options },
        { name: 'Ukuran', option_list: sizes },
      ],
      model: [...fifty, { tier_index: [0, 5], original_price: 100000, seller_stock: [{ stock: 1 }] }],
    });
    expect(tooMany.body.error).toBe('error_param');
  });

  it('add_model, update_model and delete_model change the models', async () => {
    const itemId = await addItem();
    await advanceClock(sandbox, PAST_VARIATION_WAIT_MS);
    await client.post('/api/v2/product/init_tier_variation', {
      item_id: itemId,
      tier_variation: [{ name: 'Warna', option_list: [{ option: 'Biru' }, { option: 'Merah' }] }],
      model: [{ tier_index: [0], original_price: 100000, model_sku: 'B', seller_stock: [{ stock: 1 }] }],
    });
    const added = await client.post('/api/v2/product/add_model', {
      item_id: itemId,
      model_list: [{ tier_index: [1], original_price: 110000, model_sku: 'M', seller_stock: [{ stock: 1 }] }],
    });
    expect(added.body.error).toBe('');
    const models = await client.get('/api/v2/product/get_model_list', { item_id: itemId });
    expect(
      list(models.body.response?.model)
        .map((m) => m.model_sku)
        .sort(),
    ).toEqual(['B', 'M']);
  });

  it('update_tier_variation adds an option so add_model can use it; search_item finds by name and SKU', async () => {
    const itemId = await addItem();
    await advanceClock(sandbox, PAST_REVIEW_MS);
    const init = await client.post('/api/v2/product/init_tier_variation', {
      item_id: itemId,
      tier_variation: [{ name: 'Warna', option_list: [{ option: 'Biru' }] }],
      model: [{ tier_index: [0], original_price: 100000, model_sku: 'BIRU', seller_stock: [{ stock: 1 }] }],
    });
    const blueId = list(init.body.response?.model)[0]?.model_id;
    const early = await client.post('/api/v2/product/add_model', {
      item_id: itemId,
      model_list: [{ tier_index: [1], original_price: 100000, seller_stock: [{ stock: 1 }] }],
    });
    expect(early.body.error).toBe('error_param');
    const updated = await client.post('/api/v2/product/update_tier_variation', {
      item_id: itemId,
      tier_variation: [{ name: 'Warna', option_list: [{ option: 'Hijau' }, { option: 'Biru' }] }],
      model_list: [{ model_id: blueId, tier_index: [1] }],
    });
    expect(updated.body.error, JSON.stringify(updated.body)).toBe('');
    const added = await client.post('/api/v2/product/add_model', {
      item_id: itemId,
      model_list: [
        { tier_index: [0], original_price: 120000, model_sku: 'HIJAU', seller_stock: [{ stock: 1 }] },
      ],
    });
    expect(added.body.error).toBe('');
    const models = list(
      (await client.get('/api/v2/product/get_model_list', { item_id: itemId })).body.response?.model,
    );
    expect(models.map((m) => `${m.model_sku}:${m.model_name}`).sort()).toEqual(['BIRU:Biru', 'HIJAU:Hijau']);

    const bySku = await client.get('/api/v2/product/search_item', {
      page_size: 10,
      item_name: 'parang',
      item_sku: 'BTK-PRG-01',
    });
    expect(bySku.body.response?.item_id_list).toEqual([itemId]);
    const byName = await client.get('/api/v2/product/search_item', { page_size: 10, item_name: 'parang' });
    expect(byName.body.response?.item_id_list).toEqual([itemId]);
    const none = await client.get('/api/v2/product/search_item', { page_size: 10, item_name: 'keramik' });
    expect(none.body.response?.item_id_list).toEqual([]);
  });

  it('refuses an unknown image id, a missing field, a too-long name and a missing mandatory attribute', async () => {
    const unknown = await client.post('/api/v2/product/add_item', addItemBody('id-11134207-nope'));
    expect(unknown.body).toMatchObject({ error: 'error_param', message: 'Image not exist.' });

    const { description: _omitted, ...missing } = addItemBody(imageId);
    const noDescription = await client.post('/api/v2/product/add_item', missing);
    expect(noDescription.body.error).toBe('error_param');
    expect(noDescription.body.message).toMatch(/description is required/);

    const wrongType = await client.post(
      '/api/v2/product/add_item',
      addItemBody(imageId, { weight: 'heavy' }),
    );
    expect(wrongType.body.error).toBe('error_param');
    expect(wrongType.body.message).not.toMatch(/required/);
    expect(wrongType.body.message).toMatch(/weight/);

    const long = await client.post(
      '/api/v2/product/add_item',
      addItemBody(imageId, { item_name: 'x'.repeat(256) }),
    );
    expect(long.body.error).toBe('error_name_length_limit');

    const batik = await client.post(
      '/api/v2/product/add_item',
      addItemBody(imageId, { category_id: 100101 }),
    );
    expect(batik.body.error).toBe('error_less_required_attribute');
    const withMaterial = await client.post(
      '/api/v2/product/add_item',
      addItemBody(imageId, {
        category_id: 100101,
        attribute_list: [
          { attribute_id: 200001, attribute_value_list: [{ value_id: 3001 }] },
          { attribute_id: 200005, attribute_value_list: [{ value_id: 3201 }] },
        ],
      }),
    );
    expect(withMaterial.body.error).toBe('');

    const parent = await client.post(
      '/api/v2/product/add_item',
      addItemBody(imageId, { category_id: 100001 }),
    );
    expect(parent.body.error).toBe('error_param');
  });

  it('refuses image URLs: upload_image takes files only', async () => {
    const json = await client.post('/api/v2/media_space/upload_image', {
      image: 'https://example.com/a.png',
    });
    expect(json.body.error).toBe('error_param');
    expect(json.body.message).toMatch(/URL/);
    const notAnImage = await client.uploadImage(Buffer.from('hello'));
    expect(notAnImage.body.error).toBe('error_param');
  });

  it('get_item_base_info takes at most 50 ids', async () => {
    const ids = Array.from({ length: 51 }, (_, i) => String(800_000_001 + i)).join(',');
    const tooMany = await client.get('/api/v2/product/get_item_base_info', { item_id_list: ids });
    expect(tooMany.body.error).toBe('error_param');
    const fifty = Array.from({ length: 50 }, (_, i) => String(800_000_001 + i)).join(',');
    expect((await client.get('/api/v2/product/get_item_base_info', { item_id_list: fifty })).body.error).toBe(
      '',
    );
  });

  it('get_item_list pages by offset and filters by status and update_time', async () => {
    const ids = [];
    for (let i = 0; i < 5; i += 1) ids.push(await addItem({ item_sku: `SKU-${i}` }));
    await advanceClock(sandbox, PAST_REVIEW_MS);
    await client.post('/api/v2/product/unlist_item', { item_list: [{ item_id: ids[0], unlist: true }] });
    await client.post('/api/v2/product/delete_item', { item_id: ids[1] });

    const seen: number[] = [];
    let offset = 0;
    for (;;) {
      const page = await client.get('/api/v2/product/get_item_list', {
        offset,
        page_size: 2,
        item_status: 'NORMAL',
      });
      expect(page.body.error).toBe('');
      seen.push(...list(page.body.response?.item).map((i) => Number(i.item_id)));
      expect(page.body.response?.total_count).toBe(3);
      if (!page.body.response?.has_next_page) break;
      offset = Number(page.body.response?.next_offset);
    }
    expect(seen.sort()).toEqual(ids.slice(2).sort());

    const both = await client.get('/api/v2/product/get_item_list', {
      offset: 0,
      page_size: 100,
      item_status: ['UNLIST', 'SELLER_DELETE'],
    });
    expect(
      list(both.body.response?.item)
        .map((i) => i.item_status)
        .sort(),
    ).toEqual(['SELLER_DELETE', 'UNLIST']);

    const future = client.now() + 10;
    const none = await client.get('/api/v2/product/get_item_list', {
      offset: 0,
      page_size: 10,
      item_status: 'NORMAL',
      update_time_from: future,
    });
    expect(none.body.response?.total_count).toBe(0);
    expect(
      (
        await client.get('/api/v2/product/get_item_list', {
          offset: 0,
          page_size: 101,
          item_status: 'NORMAL',
        })
      ).body.error,
    ).toBe('error_param');
  });

  it('new items sit in REVIEWING for 10 minutes of sandbox clock by default, then become NORMAL', async () => {
    const itemId = await addItem();
    const read = async () =>
      list(
        (await client.get('/api/v2/product/get_item_base_info', { item_id_list: String(itemId) })).body
          .response?.item_list,
      )[0]?.item_status;
    expect(await read()).toBe('REVIEWING');
    await advanceClock(sandbox, 10 * 60_000 - 1_000);
    expect(await read()).toBe('REVIEWING');
    await advanceClock(sandbox, 2_000);
    expect(await read()).toBe('NORMAL');
  });

  it('get_category and get_attribute_tree describe a crafts tree with leaf flags and mandatory attributes', async () => {
    const cats = await client.get('/api/v2/product/get_category', { language: 'id' });
    const rows = list(cats.body.response?.category_list);
    expect(rows.find((c) => c.category_id === 100101)).toMatchObject({
      display_category_name: 'Kain Batik',
      has_children: false,
    });
    expect(rows.find((c) => c.category_id === 100001)).toMatchObject({
      has_children: true,
      parent_category_id: 0,
    });
    const tree = await client.get('/api/v2/product/get_attribute_tree', {
      category_id_list: '100101,100012',
    });
    const [batik, ceramics] = list(tree.body.response?.list);
    expect(list(batik?.attribute_tree).some((a) => a.mandatory === true)).toBe(true);
    expect(list(ceramics?.attribute_tree).find((a) => a.mandatory === true)).toMatchObject({
      attribute_id: 200006,
    });
  });
});
