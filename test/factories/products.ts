/** Product factories: real rows through the real product service. */
import { randomBytes } from 'node:crypto';
import type { Database } from '../../src/db/client.js';
import type { ProductContent, VariantInput } from '../../src/domain/catalogue.js';
import type { Principal } from '../../src/domain/scope.js';
import { createProduct, type ProductView } from '../../src/services/products.js';

const system: Principal = {
  userId: '00000000-0000-0000-0000-000000000000',
  role: 'operator',
  crafterId: null,
  regionCode: null,
};

export function uniqueSku(prefix = 'SKU'): string {
  return `${prefix}-${randomBytes(4).toString('hex').toUpperCase()}`;
}

export function variantInput(overrides: Partial<VariantInput> = {}): VariantInput {
  return {
    sku: uniqueSku(),
    options: { warna: 'merah', ukuran: 'M' },
    priceIdr: 150_000,
    stock: 10,
    weightGrams: 300,
    ...overrides,
  };
}

/** A JSON body for POST /v1/products (crafterId added by the caller when needed). */
export function productBody(overrides: Partial<ProductContent> = {}): ProductContent {
  return {
    title: `Tas anyaman pandan ${randomBytes(2).toString('hex')}`,
    description: 'Dianyam tangan di Ciater.',
    category: 'kerajinan/anyaman',
    attributes: { bahan: 'pandan', asal: 'Tangerang Selatan' },
    imageUrls: ['https://cdn.example.id/tas-1.jpg'],
    status: 'active',
    variants: [
      variantInput({ options: { warna: 'merah' } }),
      variantInput({ options: { warna: 'hijau' }, priceIdr: 175_000 }),
    ],
    ...overrides,
  };
}

export async function makeProduct(
  db: Database,
  crafterId: string,
  overrides: Partial<ProductContent> = {},
): Promise<ProductView> {
  return createProduct({ db, principal: system, requestId: null }, { crafterId, ...productBody(overrides) });
}
