/**
 * Where the sandbox used to accept what Shopee refuses (issue 7, audit findings 4, 5, 6, 13-19 and the
 * cheap LOW ones). Each test names the reference it follows; see docs/sandbox.md for the readings taken.
 */
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

describe('shopee fidelity to the reference', () => {
  let sandbox: Sandbox;
  let client: ShopeeTestClient;
  let imageId: string;

  beforeEach(async () => {
    sandbox = await buildSandbox({ seed: 17 });
    client = await authorizedClient(sandbox);
    const upload = await client.uploadImage(tinyPng);
    imageId = String((upload.body.response?.image_info as Rec | undefined)?.image_id);
  });
  afterEach(async () => {
    await sandbox.close();
  });

  const add = (overrides: Rec = {}) =>
    client.post('/api/v2/product/add_item', addItemBody(imageId, overrides));
  async function addItem(overrides: Rec = {}): Promise<number> {
    const added = await add(overrides);
    expect(added.body.error, JSON.stringify(added.body)).toBe('');
    return Number(added.body.response?.item_id);
  }
  /** An item with one tier of three colours, one model each, past the waits. */
  async function itemWithColours(): Promise<{ itemId: number; ids: Record<string, number> }> {
    const itemId = await addItem();
    await advanceClock(sandbox, PAST_VARIATION_WAIT_MS);
    const init = await client.post('/api/v2/product/init_tier_variation', {
      item_id: itemId,
      standardise_tier_variation: [
        {
          variation_id: 0,
          variation_name: 'Warna',
          variation_option_list: ['Merah', 'Biru', 'Hitam'].map((name) => ({
            variation_option_id: 0,
            variation_option_name: name,
          })),
        },
      ],
      model: ['MERAH', 'BIRU', 'HITAM'].map((sku, i) => ({
        tier_index: [i],
        original_price: 100000 + i,
        model_sku: sku,
        seller_stock: [{ stock: 5 }],
      })),
    });
    expect(init.body.error, JSON.stringify(init.body)).toBe('');
    const ids = Object.fromEntries(
      list(init.body.response?.model).map((m) => [String(m.model_sku), Number(m.model_id)]),
    );
    return { itemId, ids };
  }
  const colourTier = (names: string[]) => [
    {
      variation_id: 0,
      variation_name: 'Warna',
      variation_option_list: names.map((name) => ({ variation_option_id: 0, variation_option_name: name })),
    },
  ];

  describe('HIGH 4: logistics', () => {
    it('serves get_channel_list with fee types, size list, limits and a disabled channel', async () => {
      const channels = await client.get('/api/v2/logistics/get_channel_list');
      expect(channels.body.error).toBe('');
      const rows = list(channels.body.response?.logistics_channel_list);
      expect(new Set(rows.map((r) => r.fee_type))).toEqual(
        new Set(['SIZE_INPUT', 'FIXED_DEFAULT_PRICE', 'SIZE_SELECTION', 'CUSTOM_PRICE']),
      );
      expect(rows.find((r) => r.fee_type === 'SIZE_SELECTION')?.size_list).toContainEqual(
        expect.objectContaining({ size_id: '1' }),
      );
      expect(rows.find((r) => r.logistics_channel_id === 8003)).toMatchObject({
        enabled: true,
        weight_limit: { item_max_weight: 50 },
        item_max_dimension: { length: 150, unit: 'cm' },
      });
      expect(rows.some((r) => r.enabled === false)).toBe(true);
    });

    it('add_item refuses unknown, disabled and rule-breaking channels with error_invalid_logistic_info', async () => {
      const refused = async (overrides: Rec) => {
        const r = await add(overrides);
        expect(r.body.error, JSON.stringify(overrides)).toBe('error_invalid_logistic_info');
      };
      await refused({ logistic_info: [{ logistic_id: 99999, enabled: true }] });
      await refused({ logistic_info: [{ logistic_id: 8008, enabled: true }] });
      // SIZE_INPUT without dimension.
      await refused({ dimension: undefined });
      // SIZE_SELECTION without size_id, then with one that is not in its size_list.
      await refused({ weight: 6, logistic_info: [{ logistic_id: 8006, enabled: true }] });
      await refused({ weight: 6, logistic_info: [{ logistic_id: 8006, enabled: true, size_id: 9 }] });
      // CUSTOM_PRICE without shipping_fee.
      await refused({ logistic_info: [{ logistic_id: 8007, enabled: true }] });
      // Weight outside the channel's limits (8005 carries ≤ 10 kg; 8006 needs ≥ 5 kg).
      await refused({ weight: 12, logistic_info: [{ logistic_id: 8005, enabled: true }] });
      await refused({ logistic_info: [{ logistic_id: 8006, enabled: true, size_id: 1 }] });
      // Dimension over the channel's limit.
      await refused({ dimension: { package_length: 151, package_width: 10, package_height: 10 } });
      // No enabled channel at all.
      await refused({ logistic_info: [{ logistic_id: 8005, enabled: false }] });

      await addItem({
        weight: 6,
        logistic_info: [
          { logistic_id: 8006, enabled: true, size_id: 2 },
          { logistic_id: 8007, enabled: true, shipping_fee: 15000 },
          { logistic_id: 8003, enabled: true },
        ],
      });
    });

    it('update_item checks the item weight against the channels it keeps', async () => {
      const itemId = await addItem({ logistic_info: [{ logistic_id: 8005, enabled: true }] });
      const heavy = await client.post('/api/v2/product/update_item', { item_id: itemId, weight: 11 });
      expect(heavy.body.error).toBe('error_invalid_logistic_info');
      const ok = await client.post('/api/v2/product/update_item', { item_id: itemId, weight: 2 });
      expect(ok.body.error).toBe('');
    });
  });

  describe('HIGH 5: update_tier_variation', () => {
    it('deletes an option and its model by leaving it out of model_list (guide scenario 3)', async () => {
      const { itemId, ids } = await itemWithColours();
      const updated = await client.post('/api/v2/product/update_tier_variation', {
        item_id: itemId,
        standardise_tier_variation: colourTier(['Merah', 'Hitam']),
        model_list: [
          { model_id: ids.MERAH, tier_index: [0] },
          { model_id: ids.HITAM, tier_index: [1] },
        ],
      });
      expect(updated.body.error, JSON.stringify(updated.body)).toBe('');
      const models = list(
        (await client.get('/api/v2/product/get_model_list', { item_id: itemId })).body.response?.model,
      );
      expect(models.map((m) => `${m.model_id}:${m.model_name}`).sort()).toEqual(
        [`${ids.MERAH}:Merah`, `${ids.HITAM}:Hitam`].sort(),
      );
    });

    it('a partial model_list deletes the models it leaves out', async () => {
      const { itemId, ids } = await itemWithColours();
      const updated = await client.post('/api/v2/product/update_tier_variation', {
        item_id: itemId,
        standardise_tier_variation: colourTier(['Merah', 'Biru', 'Hitam']),
        model_list: [{ model_id: ids.BIRU, tier_index: [1] }],
      });
      expect(updated.body.error).toBe('');
      const models = list(
        (await client.get('/api/v2/product/get_model_list', { item_id: itemId })).body.response?.model,
      );
      expect(models.map((m) => m.model_id)).toEqual([ids.BIRU]);
      const price = await client.post('/api/v2/product/update_price', {
        item_id: itemId,
        price_list: [{ model_id: ids.MERAH, original_price: 120000 }],
      });
      expect(price.body).toMatchObject({ error: 'error_param', message: 'Wrong model_id.' });
    });

    it('refuses deleting every model, unknown or repeated model ids and duplicate tier indexes', async () => {
      const { itemId, ids } = await itemWithColours();
      const tiers = colourTier(['Merah', 'Biru', 'Hitam']);
      const call = (model_list: unknown) =>
        client.post('/api/v2/product/update_tier_variation', {
          item_id: itemId,
          standardise_tier_variation: tiers,
          model_list,
        });
      expect((await call([])).body.error).toBe('error_busi_cannot_delete_all_model');
      expect((await call([{ model_id: 1, tier_index: [0] }])).body.error).toBe('error_wrong_modelid');
      expect(
        (
          await call([
            { model_id: ids.MERAH, tier_index: [0] },
            { model_id: ids.MERAH, tier_index: [1] },
          ])
        ).body.error,
      ).toBe('error_duplicate_modelid');
      expect(
        (
          await call([
            { model_id: ids.MERAH, tier_index: [0] },
            { model_id: ids.BIRU, tier_index: [0] },
          ])
        ).body.error,
      ).toBe('error_model_duplicate_tier_variation_index');
      expect((await call([{ model_id: ids.MERAH, tier_index: [3] }])).body.error).toBe('error_tier_index');
    });
  });

  describe('HIGH 6: review delay and the wait before variants', () => {
    it('items are REVIEWING by default and get_item_list NORMAL finds them only after the review', async () => {
      const itemId = await addItem();
      const normal = async () =>
        list(
          (
            await client.get('/api/v2/product/get_item_list', {
              offset: 0,
              page_size: 10,
              item_status: 'NORMAL',
            })
          ).body.response?.item,
        ).map((i) => i.item_id);
      expect(await normal()).toEqual([]);
      await advanceClock(sandbox, PAST_REVIEW_MS);
      expect(await normal()).toEqual([itemId]);
    });

    it('init_tier_variation within 5 s of add_item is refused with a retryable error, then accepted', async () => {
      const itemId = await addItem();
      const body = {
        item_id: itemId,
        standardise_tier_variation: colourTier(['Merah']),
        model: [{ tier_index: [0], original_price: 100000, seller_stock: [{ stock: 1 }] }],
      };
      await advanceClock(sandbox, 4_000);
      const early = await client.post('/api/v2/product/init_tier_variation', body);
      expect(early.body).toMatchObject({
        error: 'error_system_busy',
        message: 'Our system is taking some time to respond, please try later.',
      });
      await advanceClock(sandbox, 1_000);
      expect((await client.post('/api/v2/product/init_tier_variation', body)).body.error).toBe('');
    });
  });

  it('MEDIUM 13: seller_stock is required and normal_stock is refused', async () => {
    const { seller_stock: _omit, ...noStock } = addItemBody(imageId);
    const missing = await client.post('/api/v2/product/add_item', noStock);
    expect(missing.body.error).toBe('error_param');
    expect(missing.body.message).toMatch(/seller_stock is required/);
    const legacy = await client.post('/api/v2/product/add_item', { ...noStock, normal_stock: 5 });
    expect(legacy.body.message).toMatch(/normal_stock/);

    const itemId = await addItem();
    await advanceClock(sandbox, PAST_VARIATION_WAIT_MS);
    const init = await client.post('/api/v2/product/init_tier_variation', {
      item_id: itemId,
      standardise_tier_variation: colourTier(['Merah']),
      model: [{ tier_index: [0], original_price: 100000, normal_stock: 3 }],
    });
    expect(init.body.error).toBe('error_param');
    expect(init.body.message).toMatch(/normal_stock/);
  });

  it('MEDIUM 14: standardise_tier_variation needs variation_id and variation_option_id', async () => {
    const itemId = await addItem();
    await advanceClock(sandbox, PAST_VARIATION_WAIT_MS);
    const init = await client.post('/api/v2/product/init_tier_variation', {
      item_id: itemId,
      standardise_tier_variation: [
        { variation_name: 'Warna', variation_option_list: [{ variation_option_name: 'Merah' }] },
      ],
      model: [{ tier_index: [0], original_price: 100000, seller_stock: [{ stock: 1 }] }],
    });
    expect(init.body.error).toBe('error_param');
    expect(init.body.message).toMatch(/variation_id is required/);
  });

  describe('MEDIUM 15 / deliver 4: brands and Indonesian mandatory attributes', () => {
    it('get_brand_list serves the category brands with No Brand (0) and is_mandatory', async () => {
      const brands = await client.get('/api/v2/product/get_brand_list', {
        offset: 0,
        page_size: 10,
        category_id: 100401,
        status: 1,
      });
      expect(brands.body.error).toBe('');
      expect(brands.body.response?.is_mandatory).toBe(true);
      expect(list(brands.body.response?.brand_list).map((b) => b.brand_id)).toContain(0);
      const noStatus = await client.get('/api/v2/product/get_brand_list', {
        offset: 0,
        page_size: 10,
        category_id: 100401,
      });
      expect(noStatus.body.error).toBe('error_param');
    });

    it('add_item needs brand (error_less_required_brand) and attribute_list (Indonesia)', async () => {
      const noBrand = await add({ brand: undefined });
      expect(noBrand.body).toMatchObject({
        error: 'error_less_required_brand',
        message: 'Brand information required',
      });
      const unknownBrand = await add({ brand: { brand_id: 424242, original_brand_name: 'Nope' } });
      expect(unknownBrand.body.error).toBe('error_invalid_brand');
      const noAttributes = await add({ attribute_list: undefined });
      expect(noAttributes.body.error).toBe('error_param');
      expect(noAttributes.body.message).toMatch(/attribute_list is required/);
      const empty = await add({ attribute_list: [] });
      expect(empty.body.error).toBe('error_less_required_attribute');
    });

    it('seeds snacks with P-IRT/BPOM and shelf life mandatory, and a unit on net weight', async () => {
      const tree = await client.get('/api/v2/product/get_attribute_tree', { category_id_list: '100401' });
      const attrs = list(list(tree.body.response?.list)[0]?.attribute_tree);
      expect(attrs.filter((a) => a.mandatory).map((a) => a.attribute_id)).toEqual([200007, 200008]);
      expect(attrs.find((a) => a.attribute_id === 200009)?.attribute_info).toMatchObject({
        format_type: 2,
        attribute_unit_list: ['g', 'kg'],
      });
      const snack = (extra: Rec[]) =>
        add({
          category_id: 100401,
          item_name: 'Keripik Singkong Pedas',
          brand: { brand_id: 1_200_001, original_brand_name: 'Keripik Bu Ratna' },
          attribute_list: [
            { attribute_id: 200007, attribute_value_list: [{ value_id: 3402 }] },
            {
              attribute_id: 200008,
              attribute_value_list: [{ value_id: 0, original_value_name: 'P-IRT 2063674010123-25' }],
            },
            ...extra,
          ],
        });
      const noUnit = await snack([
        { attribute_id: 200009, attribute_value_list: [{ value_id: 0, original_value_name: '250' }] },
      ]);
      expect(noUnit.body.error).toBe('error_param');
      const ok = await snack([
        {
          attribute_id: 200009,
          attribute_value_list: [{ value_id: 0, original_value_name: '250', value_unit: 'g' }],
        },
      ]);
      expect(ok.body.error, JSON.stringify(ok.body)).toBe('');
      const freeTextWithId = await snack([
        { attribute_id: 200008, attribute_value_list: [{ value_id: 3402 }] },
      ]);
      expect(freeTextWithId.body.error).not.toBe('');
    });

    it('update_item into a category with other mandatory attributes is refused', async () => {
      const itemId = await addItem();
      const moved = await client.post('/api/v2/product/update_item', {
        item_id: itemId,
        category_id: 100012,
      });
      expect(moved.body.error).toBe('error_invalid_category_attribute');
    });
  });

  it('MEDIUM 18: update_price / update_stock refuse wrong, repeated and item-level model ids for the whole request', async () => {
    const { itemId, ids } = await itemWithColours();
    const price = (price_list: unknown) =>
      client.post('/api/v2/product/update_price', { item_id: itemId, price_list });
    expect((await price([{ model_id: 12345, original_price: 100000 }])).body).toMatchObject({
      error: 'error_param',
      message: 'Wrong model_id.',
    });
    expect(
      (
        await price([
          { model_id: ids.MERAH, original_price: 100000 },
          { model_id: ids.MERAH, original_price: 110000 },
        ])
      ).body,
    ).toMatchObject({ error: 'error_param', message: 'Repeat model_id.' });
    expect((await price([{ model_id: 0, original_price: 100000 }])).body.error).toBe(
      'error_edit_item_price_for_item_has_model',
    );
    const stock = await client.post('/api/v2/product/update_stock', {
      item_id: itemId,
      stock_list: [{ model_id: 0, seller_stock: [{ stock: 1 }] }],
    });
    expect(stock.body.error).toBe('error_edit_item_stock_for_item_has_model');
    // Nothing was written by the refused calls.
    const models = list(
      (await client.get('/api/v2/product/get_model_list', { item_id: itemId })).body.response?.model,
    );
    expect(models.map((m) => list(m.price_info)[0]?.original_price).sort()).toEqual([100000, 100001, 100002]);
  });

  it('MEDIUM 19: search_item needs item_name or attribute_status, and item_sku matches the item-level SKU only', async () => {
    const { itemId } = await itemWithColours();
    await advanceClock(sandbox, PAST_REVIEW_MS);
    const skuOnly = await client.get('/api/v2/product/search_item', {
      page_size: 10,
      item_sku: 'BTK-PRG-01',
    });
    expect(skuOnly.body).toMatchObject({
      error: 'error_param',
      message: 'request must set one of [item_name,attribute_status]',
    });
    const byModelSku = await client.get('/api/v2/product/search_item', {
      page_size: 10,
      item_name: 'batik',
      item_sku: 'MERAH',
    });
    expect(byModelSku.body.response?.item_id_list).toEqual([]);
    const byItemSku = await client.get('/api/v2/product/search_item', {
      page_size: 10,
      item_name: 'no such name',
      item_sku: 'BTK-PRG-01',
    });
    expect(byItemSku.body.response?.item_id_list).toEqual([itemId]);
    const lacking = await client.get('/api/v2/product/search_item', { page_size: 10, attribute_status: 2 });
    expect(lacking.body.response?.item_id_list).toEqual([itemId]);
  });

  describe('LOW items', () => {
    it('get_item_list requires offset and refuses one over the limit', async () => {
      const noOffset = await client.get('/api/v2/product/get_item_list', {
        page_size: 10,
        item_status: 'NORMAL',
      });
      expect(noOffset.body.message).toMatch(/offset is required/);
      const deep = await client.get('/api/v2/product/get_item_list', {
        offset: 10_000,
        page_size: 10,
        item_status: 'NORMAL',
      });
      expect(deep.body.message).toBe('get items offset over limit, please use the next field');
    });

    it('update_item sets item_status (UNLIST) once the review is over', async () => {
      const itemId = await addItem();
      await advanceClock(sandbox, PAST_REVIEW_MS);
      const unlisted = await client.post('/api/v2/product/update_item', {
        item_id: itemId,
        item_status: 'UNLIST',
      });
      expect(unlisted.body.error).toBe('');
      expect(unlisted.body.response?.item_status).toBe('UNLIST');
    });

    it('upload_image answers image_info_list, one entry per file', async () => {
      const upload = await client.uploadImage(tinyPng);
      const entries = list(upload.body.response?.image_info_list);
      expect(entries).toHaveLength(1);
      expect(entries[0]).toMatchObject({ id: 0, error: '' });
    });

    it('get_order_list order_status takes the reference list only', async () => {
      const now = client.now();
      const query = { time_range_field: 'create_time', time_from: now - 3600, time_to: now, page_size: 10 };
      const retry = await client.get('/api/v2/order/get_order_list', {
        ...query,
        order_status: 'RETRY_SHIP',
      });
      expect(retry.body.error).toBe('error_param');
      const invoice = await client.get('/api/v2/order/get_order_list', {
        ...query,
        order_status: 'INVOICE_PENDING',
      });
      expect(invoice.body.error).toBe('');
    });

    it('get_order_detail warning is a string[]', async () => {
      const detail = await client.get('/api/v2/order/get_order_detail', { order_sn_list: '261201NOSUCH01' });
      expect(detail.body.error).toBe('');
      expect(Array.isArray(detail.body.warning)).toBe(true);
    });
  });

  it('init_tier_variation converts one tier to two, replacing the models (guide scenario 2)', async () => {
    const { itemId } = await itemWithColours();
    const twoTiers = await client.post('/api/v2/product/init_tier_variation', {
      item_id: itemId,
      standardise_tier_variation: [
        ...colourTier(['Merah', 'Biru']),
        {
          variation_id: 0,
          variation_name: 'Ukuran',
          variation_option_list: [{ variation_option_id: 0, variation_option_name: 'L' }],
        },
      ],
      model: [
        { tier_index: [0, 0], original_price: 100000, seller_stock: [{ stock: 1 }] },
        { tier_index: [1, 0], original_price: 100000, seller_stock: [{ stock: 1 }] },
      ],
    });
    expect(twoTiers.body.error, JSON.stringify(twoTiers.body)).toBe('');
    const state = await control(sandbox, 'GET', `/shopee/shops/${client.shopId}/state`);
    expect(list(list(state.body.items)[0]?.models)).toHaveLength(2);

    // And back to no tier: empty structures, one model with an empty tier_index carries price and stock.
    const noTier = await client.post('/api/v2/product/init_tier_variation', {
      item_id: itemId,
      standardise_tier_variation: [],
      model: [{ tier_index: [], original_price: 150000, seller_stock: [{ stock: 7 }] }],
    });
    expect(noTier.body.error, JSON.stringify(noTier.body)).toBe('');
    const after = await control(sandbox, 'GET', `/shopee/shops/${client.shopId}/state`);
    expect(list(after.body.items)[0]).toMatchObject({ price: 150000, stock: 7, models: [] });
  });
});
