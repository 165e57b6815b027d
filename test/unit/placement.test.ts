import { describe, expect, it } from 'vitest';
import { type CategoryMapping, placementFor } from '../../src/domain/placement.js';

const shopeeBatik: CategoryMapping = {
  canonicalCategory: 'batik',
  channelCategoryId: '100101',
  requiredAttributes: [
    { id: '200001', name: 'Bahan', valueId: '3001', value: 'Katun' },
    { id: '200008', name: 'No. Izin', value: 'P-IRT 1' },
  ],
  brandId: '1100004',
  brandName: 'Dekranasda Tangsel',
  logisticsChannelId: '8006',
  logisticsSizeId: '2',
  packageCm: null,
};

describe('placementFor', () => {
  it('turns a Shopee mapping into a placement with attributes, brand and logistics', () => {
    const result = placementFor(shopeeBatik, 'shopee', { warehouseId: null });
    expect(result).toEqual({
      ok: true,
      placement: {
        categoryId: '100101',
        attributes: [
          { attributeId: '200001', valueId: '3001', value: 'Katun' },
          { attributeId: '200008', value: 'P-IRT 1' },
        ],
        brandId: '1100004',
        brandName: 'Dekranasda Tangsel',
        logisticsChannelId: '8006',
        logisticsSizeId: '2',
      },
    });
  });

  it('takes the TikTok Shop warehouse from the connection and the package size from the mapping', () => {
    const mapping = {
      ...shopeeBatik,
      logisticsChannelId: null,
      logisticsSizeId: null,
      packageCm: { length: 20, width: 15, height: 10 },
    };
    const result = placementFor(mapping, 'tiktok_shop', { warehouseId: 'wh-1' });
    expect(result.ok && result.placement).toMatchObject({
      categoryId: '100101',
      warehouseId: 'wh-1',
      packageCm: { length: 20, width: 15, height: 10 },
    });
    expect(result.ok && result.placement.logisticsChannelId).toBeUndefined();
  });

  it('names what to fill in when the category has no mapping on the channel', () => {
    const result = placementFor(undefined, 'tiktok_shop', { warehouseId: 'wh-1' }, 'makanan/camilan');
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.problems).toHaveLength(1);
    expect(result.problems[0]?.field).toBe('categoryMapping');
    expect(result.problems[0]?.message.en).toContain(
      '"makanan/camilan" has no Tokopedia (TikTok Shop) mapping',
    );
    expect(result.problems[0]?.message.en).toContain(
      'PUT /v1/category-mappings/tiktok_shop/makanan%2Fcamilan',
    );
    expect(result.problems[0]?.message.id).toContain('belum dipetakan');
  });

  it('asks for the logistics channel on Shopee and the warehouse on TikTok Shop', () => {
    const noLogistics = placementFor({ ...shopeeBatik, logisticsChannelId: null }, 'shopee', {
      warehouseId: null,
    });
    expect(noLogistics.ok || noLogistics.problems.map((p) => p.field)).toEqual([
      'categoryMapping.logisticsChannelId',
    ]);
    const noWarehouse = placementFor(shopeeBatik, 'tiktok_shop', { warehouseId: null });
    expect(noWarehouse.ok || noWarehouse.problems.map((p) => p.field)).toEqual(['connection.warehouseId']);
  });

  it('needs no mapping for a partner brand (the canonical category goes as it is)', () => {
    expect(placementFor(undefined, 'partner_brand', { warehouseId: null }, 'batik')).toEqual({
      ok: true,
      placement: { categoryId: 'batik', attributes: [] },
    });
  });
});
