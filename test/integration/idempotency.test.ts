/**
 * Idempotency keys are as durable as the write they protect: the outcome commits with the write, an
 * error after the write leaves no write and no key behind, a long import keeps its key for as long
 * as it runs, and an expired key is never replayed. (The crash between commit and response is in
 * idempotency-crash.test.ts, with real processes.)
 */
import { parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/http/app.js';
import { createApiRedis } from '../../src/lib/redis.js';
import { makeCrafter, makeUser } from '../factories/index.js';
import { makeProduct, productBody } from '../factories/products.js';
import { startTestApi, type TestApi } from '../helpers/api.js';

let api: TestApi;
let crafterId: string;
let auth: { authorization: string };

beforeAll(async () => {
  api = await startTestApi('idempotency');
  const crafter = await makeCrafter(api.database.db);
  crafterId = crafter.id;
  auth = api.auth(await makeUser(api.database.db, 'operator'));
});
afterAll(async () => {
  await api?.close();
});

async function countProducts(title: string): Promise<number> {
  const [row] = await api.database.sql<{ n: number }[]>`
    select count(*)::int as n from products where title = ${title} and deleted_at is null`;
  return row?.n ?? 0;
}

function create(app: FastifyInstance, key: string, body: object, extra: Record<string, string> = {}) {
  return app.inject({
    method: 'POST',
    url: '/v1/products',
    headers: { ...auth, 'idempotency-key': key, ...extra },
    payload: body,
  });
}

describe('Idempotency-Key', () => {
  it('an error answered after the product was written leaves one product after the retry, and the retry is answered', async () => {
    // The same API, with a fault after the handler has written the product and before the answer
    // is serialised (as a response schema mismatch or a failing serializer would).
    const redis = createApiRedis(api.config.redisUrl);
    const app = await buildApp({ config: api.config, db: api.database.db, redis });
    app.addHook('preSerialization', async (request, _reply, payload) => {
      if (request.headers['x-test-fail-response'] === 'yes') throw new Error('response failed');
      return payload;
    });
    try {
      await app.ready();
      const body = { ...productBody(), crafterId };
      const failed = await create(app, 'after-write-fault', body, { 'x-test-fail-response': 'yes' });
      expect(failed.statusCode).toBeGreaterThanOrEqual(500);
      const retry = await create(app, 'after-write-fault', body);
      expect(retry.statusCode, retry.body).toBe(201);
      const again = await create(app, 'after-write-fault', body);
      expect(again.headers['idempotent-replayed']).toBe('true');
      expect(again.json().id).toBe(retry.json().id);
      expect(await countProducts(body.title)).toBe(1);
    } finally {
      await app.close();
      redis.disconnect();
    }
  });

  it('an expired key is never replayed: its next use runs afresh, whatever the body', async () => {
    const body = { ...productBody(), crafterId };
    const first = await create(api.app, 'expiring-key', body);
    expect(first.statusCode).toBe(201);
    await api.database.sql`
      update idempotency_keys set expires_at = now() - interval '1 second' where key = 'expiring-key'`;
    // Another body (the same one would now clash on its SKUs): an expired key is not "reused" (422).
    const next = { ...productBody(), crafterId };
    const after = await create(api.app, 'expiring-key', next);
    expect(after.statusCode, after.body).toBe(201);
    expect(after.headers['idempotent-replayed']).toBeUndefined();
    expect(after.json().id).not.toBe(first.json().id);
    // The new outcome is remembered again.
    const replay = await create(api.app, 'expiring-key', next);
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expect(replay.json().id).toBe(after.json().id);
  });

  it('a CSV import keeps its key for as long as it runs: a duplicate is refused until it ends, then replayed', async () => {
    const product = await makeProduct(api.database.db, crafterId);
    const exported = await api.app.inject({
      method: 'GET',
      url: `/v1/products/export.csv?crafterId=${crafterId}`,
      headers: auth,
    });
    const rows = (parse(exported.body, { columns: true }) as Record<string, string>[]).filter(
      (r) => r.product_key === product.id,
    );
    for (const r of rows) r.title = `${product.title} (diubah)`;
    const csv = stringify(rows, { header: true });
    const importWith = (key: string) =>
      api.app.inject({
        method: 'POST',
        url: `/v1/products/import?crafterId=${crafterId}`,
        headers: { ...auth, 'content-type': 'text/csv', 'idempotency-key': key },
        payload: csv,
      });

    // Hold the product's row lock so the import stays in its transaction until released.
    let release: () => void = () => {};
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    let locked: () => void = () => {};
    const isLocked = new Promise<void>((resolve) => {
      locked = resolve;
    });
    const holder = api.database.sql.begin(async (sql) => {
      await sql`select 1 from products where id = ${product.id} for update`;
      locked();
      await released;
    });
    try {
      await isLocked;
      const running = importWith('long-import');
      // Wait until the import waits on that lock and has been running for a while (longer than the
      // lease of a design whose lock lapses on a timer).
      for (;;) {
        const [waiting] = await api.database.sql<{ n: number }[]>`
          select count(*)::int as n from pg_stat_activity
          where datname = current_database() and wait_event_type = 'Lock'
            and now() - xact_start > interval '1.5 seconds'`;
        if ((waiting?.n ?? 0) > 0) break;
        await new Promise((r) => setTimeout(r, 50));
      }
      const duplicate = await importWith('long-import');
      expect(duplicate.statusCode).toBe(409);
      expect(duplicate.json().code).toBe('idempotency_in_progress');
      release();
      const done = await running;
      expect(done.statusCode, done.body).toBe(200);
      expect(done.json()).toMatchObject({ updated: 1 });
      const replay = await importWith('long-import');
      expect(replay.statusCode).toBe(200);
      expect(replay.headers['idempotent-replayed']).toBe('true');
      expect(replay.body).toBe(done.body);
      const [row] = await api.database.sql<{ version: number }[]>`
        select version from products where id = ${product.id}`;
      expect(row?.version).toBe(2);
    } finally {
      release();
      await holder;
    }
  });
});
