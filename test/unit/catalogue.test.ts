import { describe, expect, it } from 'vitest';
import {
  changedProductFields,
  diffVariants,
  duplicateSkuIndexes,
  guardSpreadsheetCell,
  parseIfMatch,
  parseImageUrls,
  parsePairs,
  productContentSchema,
  type StoredVariant,
  serialiseImageUrls,
  serialisePairs,
  unguardSpreadsheetCell,
  variantDiffIsEmpty,
} from '../../src/domain/catalogue.js';

describe('key=value;key=value pairs', () => {
  it('parses options and trims around keys and values', () => {
    expect(parsePairs('warna=merah; ukuran = M')).toEqual({
      ok: true,
      value: { warna: 'merah', ukuran: 'M' },
    });
  });

  it('treats an empty text and a trailing separator as nothing more', () => {
    expect(parsePairs('')).toEqual({ ok: true, value: {} });
    expect(parsePairs('a=1;')).toEqual({ ok: true, value: { a: '1' } });
  });

  it('keeps "=" inside a value after the first one and allows empty values', () => {
    expect(parsePairs('rumus=a=b;catatan=')).toEqual({ ok: true, value: { rumus: 'a=b', catatan: '' } });
  });

  it('rejects a pair without "=", an empty key, a repeated key and a lone backslash', () => {
    expect(parsePairs('merah').ok).toBe(false);
    expect(parsePairs('=merah').ok).toBe(false);
    expect(parsePairs('warna=merah;warna=biru')).toEqual({ ok: false, message: 'key "warna" appears twice' });
    expect(parsePairs('warna=merah\\').ok).toBe(false);
  });

  it('round-trips maps whose keys and values contain the separators', () => {
    const maps = [
      {},
      { warna: 'merah', ukuran: 'M' },
      { 'a;b': 'c=d', 'back\\slash': 'x;y;z', kosong: '' },
      { emoji: 'batik 🌺', 'spasi di tengah': 'nilai dengan spasi' },
    ];
    for (const map of maps) {
      const text = serialisePairs(map);
      expect(parsePairs(text)).toEqual({ ok: true, value: map });
    }
    expect(serialisePairs({ 'a;b': 'c=d' })).toBe('a\\;b=c\\=d');
  });
});

describe('image URLs in CSV', () => {
  it('splits on any whitespace and joins with spaces', () => {
    expect(parseImageUrls('  https://a.id/1.jpg\thttps://a.id/2.jpg  ')).toEqual([
      'https://a.id/1.jpg',
      'https://a.id/2.jpg',
    ]);
    expect(parseImageUrls('')).toEqual([]);
    expect(serialiseImageUrls(['https://a.id/1.jpg', 'https://a.id/2.jpg'])).toBe(
      'https://a.id/1.jpg https://a.id/2.jpg',
    );
  });
});

const stored: StoredVariant[] = [
  { id: 'v1', sku: 'A', options: { warna: 'merah' }, priceIdr: 100, stock: 1, weightGrams: 10, position: 0 },
  { id: 'v2', sku: 'B', options: { warna: 'biru' }, priceIdr: 200, stock: 2, weightGrams: 20, position: 1 },
];

describe('diffVariants', () => {
  it('matches by SKU: the same list is no change', () => {
    const diff = diffVariants(
      stored,
      stored.map(({ id: _id, position: _p, ...v }) => v),
    );
    expect(variantDiffIsEmpty(diff)).toBe(true);
    expect(diff.keep).toEqual(['v1', 'v2']);
  });

  it('keeps ids for changed SKUs, inserts new SKUs and retires missing ones', () => {
    const diff = diffVariants(stored, [
      { sku: 'B', options: { warna: 'biru' }, priceIdr: 250, stock: 2, weightGrams: 20 },
      { sku: 'C', options: {}, priceIdr: 300, stock: 3, weightGrams: 30 },
    ]);
    expect(diff.update).toEqual([
      { id: 'v2', position: 0, variant: expect.objectContaining({ sku: 'B', priceIdr: 250 }) },
    ]);
    expect(diff.insert).toEqual([{ position: 1, variant: expect.objectContaining({ sku: 'C' }) }]);
    expect(diff.retire).toEqual(['v1']);
    expect(variantDiffIsEmpty(diff)).toBe(false);
  });

  it('sees a reorder and an option change regardless of key order', () => {
    const reordered = diffVariants(stored, [
      { sku: 'B', options: { warna: 'biru' }, priceIdr: 200, stock: 2, weightGrams: 20 },
      { sku: 'A', options: { warna: 'merah' }, priceIdr: 100, stock: 1, weightGrams: 10 },
    ]);
    expect(reordered.update.map((u) => u.id).sort()).toEqual(['v1', 'v2']);
    const twoKeys: StoredVariant[] = [{ ...stored[0]!, options: { a: '1', b: '2' } }];
    expect(
      variantDiffIsEmpty(
        diffVariants(twoKeys, [
          { sku: 'A', options: { b: '2', a: '1' }, priceIdr: 100, stock: 1, weightGrams: 10 },
        ]),
      ),
    ).toBe(true);
    expect(
      variantDiffIsEmpty(
        diffVariants(twoKeys, [
          { sku: 'A', options: { b: '2', a: 'x' }, priceIdr: 100, stock: 1, weightGrams: 10 },
        ]),
      ),
    ).toBe(false);
  });
});

describe('changedProductFields', () => {
  const base = {
    title: 'T',
    description: '',
    category: 'c',
    attributes: { a: '1' },
    imageUrls: ['https://x.id/1'],
    status: 'draft' as const,
  };
  it('lists only fields given and different', () => {
    expect(
      changedProductFields(base, { title: 'T', attributes: { a: '1' }, imageUrls: ['https://x.id/1'] }),
    ).toEqual([]);
    expect(changedProductFields(base, { title: 'U', status: 'active', imageUrls: [] })).toEqual([
      'title',
      'imageUrls',
      'status',
    ]);
  });
});

describe('product content rules', () => {
  const good = {
    title: 'Tas',
    category: 'tas',
    variants: [{ sku: 'TAS-1', priceIdr: 1000, stock: 0, weightGrams: 0 }],
  };
  it('applies defaults', () => {
    const parsed = productContentSchema.parse(good);
    expect(parsed).toMatchObject({ description: '', attributes: {}, imageUrls: [], status: 'draft' });
  });
  it('rejects duplicate SKUs, fractional or negative prices, too many options and unknown fields', () => {
    const dup = productContentSchema.safeParse({ ...good, variants: [good.variants[0], good.variants[0]] });
    expect(dup.error?.issues.map((i) => i.path)).toEqual([['variants', 1, 'sku']]);
    expect(
      productContentSchema.safeParse({ ...good, variants: [{ ...good.variants[0], priceIdr: 10.5 }] })
        .success,
    ).toBe(false);
    expect(
      productContentSchema.safeParse({ ...good, variants: [{ ...good.variants[0], stock: -1 }] }).success,
    ).toBe(false);
    expect(
      productContentSchema.safeParse({
        ...good,
        variants: [{ ...good.variants[0], options: { a: '1', b: '2', c: '3', d: '4' } }],
      }).success,
    ).toBe(false);
    expect(productContentSchema.safeParse({ ...good, colour: 'red' }).success).toBe(false);
    expect(productContentSchema.safeParse({ ...good, variants: [] }).success).toBe(false);
    expect(productContentSchema.safeParse({ ...good, imageUrls: ['ftp://x.id/1'] }).success).toBe(false);
  });
  it('finds duplicate SKU positions', () => {
    expect(duplicateSkuIndexes([{ sku: 'a' }, { sku: 'b' }, { sku: 'a' }, { sku: 'a' }])).toEqual([2, 3]);
  });
});

describe('If-Match', () => {
  it('reads strong, weak and listed ETags; absent is null; garbage names no version', () => {
    expect(parseIfMatch(undefined)).toBeNull();
    expect(parseIfMatch('"3"')).toEqual([3]);
    expect(parseIfMatch('W/"3", "4"')).toEqual([3, 4]);
    expect(parseIfMatch('*')).toEqual([]);
    expect(parseIfMatch('"abc"')).toEqual([]);
  });
});

describe('spreadsheet formula guard (CSV cells)', () => {
  const values = [
    '=1+1',
    '+62 812',
    '-5',
    '@SUM(A1)',
    '\tindented',
    '\rcarriage',
    "'=already quoted",
    "''=twice",
    "'plain quote",
    "'",
    "''",
    '',
    'Batik tulis',
    'a=b',
    ' =space first',
  ];

  it('prefixes a quote to every cell a spreadsheet could run, and only to those', () => {
    for (const v of values) {
      const cell = guardSpreadsheetCell(v);
      expect(cell, JSON.stringify(v)).not.toMatch(/^[=+\-@\t\r]/);
    }
    expect(guardSpreadsheetCell('=1+1')).toBe("'=1+1");
    expect(guardSpreadsheetCell("'=already quoted")).toBe("''=already quoted");
    expect(guardSpreadsheetCell("'plain quote")).toBe("'plain quote");
    expect(guardSpreadsheetCell('Batik tulis')).toBe('Batik tulis');
  });

  it('is undone exactly by the import, whatever the value', () => {
    for (const v of values)
      expect(unguardSpreadsheetCell(guardSpreadsheetCell(v)), JSON.stringify(v)).toBe(v);
    // A hand-written cell that merely starts with a quote keeps it.
    expect(unguardSpreadsheetCell("'plain quote")).toBe("'plain quote");
  });
});
