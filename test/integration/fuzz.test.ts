/**
 * Seeded random requests to every /v1 route from the route table: random values of every JSON type
 * in known and unknown fields, random path ids, query parameters and If-Match values. Whatever
 * arrives, no route may answer 5xx, and every error must be a problem document.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Principal } from '../../src/domain/scope.js';
import { makeCrafter, makeUser } from '../factories/index.js';
import { makeProduct } from '../factories/products.js';
import { startTestApi, type TestApi } from '../helpers/api.js';

const REQUESTS_PER_PRINCIPAL = 600;

/** mulberry32, so a failure can be replayed from its seed. */
function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const FIELDS = [
  'title',
  'description',
  'category',
  'attributes',
  'imageUrls',
  'status',
  'variants',
  'crafterId',
  'sku',
  'options',
  'priceIdr',
  'stock',
  'weightGrams',
  'businessName',
  'ownerName',
  'phone',
  'kelurahanCode',
  'craftCategory',
  'username',
  'password',
  'displayName',
  'role',
  'regionCode',
  'limit',
  'cursor',
  'q',
  'root',
];

let api: TestApi;
let ids: string[];
let principals: Record<string, Principal>;

beforeAll(async () => {
  api = await startTestApi('fuzz', {}, { withListCache: true });
  const crafter = await makeCrafter(api.database.db);
  const product = await makeProduct(api.database.db, crafter.id);
  const operator = await makeUser(api.database.db, 'operator');
  const crafterUser = await makeUser(api.database.db, 'crafter', { crafterId: crafter.id });
  const admin = await makeUser(api.database.db, 'admin', { regionCode: '36.74.01' });
  ids = [product.id, crafter.id, operator.userId, 'abc', '00000000-0000-0000-0000-000000000000'];
  principals = { operator, crafter: crafterUser, admin };
});
afterAll(async () => {
  await api?.close();
});

describe('random input fuzzing', () => {
  it('needs authentication like the rest (auth first)', async () => {
    const res = await api.app.inject({ method: 'GET', url: '/v1/products' });
    expect(res.statusCode).toBe(401);
  });

  for (const [name, seed] of [
    ['operator', 1],
    ['crafter', 2],
    ['admin', 3],
  ] as const) {
    it(`no 5xx and only problem documents for errors (${name}, seed ${seed})`, async () => {
      const random = prng(seed);
      const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
      const values: unknown[] = [
        null,
        true,
        false,
        0,
        -1,
        1.5,
        1e308,
        -1e308,
        2 ** 53 + 1,
        '',
        ' ',
        'x'.repeat(5000),
        '\u0000',
        '💥',
        '../',
        '%',
        '_',
        [],
        [1],
        [null],
        {},
        { a: 1 },
        { __proto__: { polluted: 1 } },
        '2026-13-45',
        '36.74',
        '36.74.01.1001',
        ...ids,
      ];
      const routes = api.app.routeTable.filter((r) => r.url.startsWith('/v1'));
      const failures: string[] = [];
      for (let i = 0; i < REQUESTS_PER_PRINCIPAL; i += 1) {
        const route = pick(routes);
        let url = route.url.replace(':id', encodeURIComponent(String(pick(ids))));
        if (random() < 0.5) url += `?${pick(FIELDS)}=${encodeURIComponent(String(pick(values)))}`;
        const body: Record<string, unknown> = {};
        for (let k = 0; k < 1 + Math.floor(random() * 5); k += 1) body[pick(FIELDS)] = pick(values);
        if (random() < 0.3) {
          body.variants = [
            {
              sku: pick(values),
              options: pick(values),
              priceIdr: pick(values),
              stock: pick(values),
              weightGrams: pick(values),
            },
          ];
        }
        const withBody = route.method !== 'GET' && route.method !== 'DELETE';
        const csv = route.url.endsWith('/import');
        const res = await api.app.inject({
          method: route.method as 'GET',
          url,
          headers: {
            ...api.auth(principals[name]!),
            'if-match': pick(['"1"', '*', 'W/"1"', 'garbage', '"99999999999999999999"', '']),
            ...(csv ? { 'content-type': 'text/csv' } : {}),
          },
          ...(withBody
            ? { payload: csv ? `sku,title\n${String(pick(values))},${String(pick(values))}` : body }
            : {}),
        });
        const isProblem = String(res.headers['content-type'] ?? '').startsWith('application/problem+json');
        if (res.statusCode >= 500 || (res.statusCode >= 400 && !isProblem)) {
          failures.push(
            `${route.method} ${url} ${JSON.stringify(body).slice(0, 160)} → ${res.statusCode} ${res.body.slice(0, 160)}`,
          );
        }
      }
      expect(failures).toEqual([]);
    });
  }
});
