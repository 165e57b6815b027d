import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeCrafter, makeUser } from '../factories/index.js';
import { makeProduct, productBody } from '../factories/products.js';
import { startTestApi, type TestApi } from '../helpers/api.js';

let api: TestApi;
let user: Awaited<ReturnType<typeof makeUser>>;
beforeAll(async () => {
  api = await startTestApi('compression', {}, { withListCache: true });
  const crafter = await makeCrafter(api.database.db);
  user = await makeUser(api.database.db, 'crafter', { crafterId: crafter.id });
  for (let i = 0; i < 20; i++) await makeProduct(api.database.db, crafter.id);
});
afterAll(async () => {
  await api?.close();
});

describe('response compression (phones on slow connections)', () => {
  it('needs a bearer token like any list', async () => {
    const res = await api.app.inject({
      method: 'GET',
      url: '/v1/products',
      headers: { 'accept-encoding': 'gzip' },
    });
    expect(res.statusCode).toBe(401);
  });

  it('gzips a product page for clients that accept it, and the content is the same JSON', async () => {
    const plain = await api.app.inject({
      method: 'GET',
      url: '/v1/products?limit=20',
      headers: api.auth(user),
    });
    const zipped = await api.app.inject({
      method: 'GET',
      url: '/v1/products?limit=20',
      headers: { ...api.auth(user), 'accept-encoding': 'gzip' },
    });
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(zipped.headers['content-encoding']).toBe('gzip');
    expect(zipped.rawPayload.length).toBeLessThan(plain.rawPayload.length / 3);
    expect(JSON.parse(gunzipSync(zipped.rawPayload).toString('utf8'))).toEqual(plain.json());
  });

  it('a compressed create can still be replayed with its Idempotency-Key', async () => {
    const headers = {
      ...api.auth(user),
      'accept-encoding': 'gzip',
      'idempotency-key': 'compressed-create-1',
    };
    const payload = productBody({ description: 'x'.repeat(3000) });
    const first = await api.app.inject({ method: 'POST', url: '/v1/products', headers, payload });
    const again = await api.app.inject({ method: 'POST', url: '/v1/products', headers, payload });
    expect(first.statusCode).toBe(201);
    expect(again.statusCode).toBe(201);
    expect(again.headers['idempotent-replayed']).toBe('true');
    const body = (r: typeof first) =>
      JSON.parse(
        (r.headers['content-encoding'] === 'gzip' ? gunzipSync(r.rawPayload) : r.rawPayload).toString('utf8'),
      );
    expect(body(again).id).toBe(body(first).id);
  });
});
