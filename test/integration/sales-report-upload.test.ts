/**
 * `POST /v1/connections/{id}/sales-reports`: an admin uploads a partner brand's sales report CSV for a
 * crafter's enrolment. Row problems are a 422 listing each row; all or nothing per file; a good file is
 * ingested with an `upload` run covering its Jakarta days; the same file again changes nothing.
 */
import { and, eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  channelConnections,
  channelPullRuns,
  orderLines,
  orders,
  outbox,
} from '../../src/db/schema/index.js';
import type { Principal } from '../../src/domain/scope.js';
import { makeConnection } from '../factories/connections.js';
import { KECAMATAN, KELURAHAN, makeCrafter, makeUser } from '../factories/index.js';
import { startTestApi, type TestApi } from '../helpers/api.js';

let api: TestApi;
let crafter: { id: string };
let admin: Principal;
let otherAdmin: Principal;
let crafterUser: Principal;
let seq = 0;

const HEADER = 'report_line_id,sku,quantity,unit_price_idr,sold_at,outlet';

function report(lines: string[]): string {
  return `${[HEADER, ...lines].join('\n')}\n`;
}

/** Lines with ids unique to this call; sold on 2026-03-01 and 03-02 Jakarta time. */
function goodLines(n: number): string[] {
  seq += 1;
  return Array.from(
    { length: n },
    (_, i) =>
      `R${seq}-${i + 1},PB-SKU-${i % 3},${1 + (i % 2)},${45_000 + i * 1_000},2026-03-0${1 + (i % 2)}T1${i % 10}:15:00+07:00,Outlet Alam Sutera`,
  );
}

async function partnerEnrolment(): Promise<string> {
  return makeConnection(api.database.db, api.config.credentialsKeyring, crafter.id, {
    channel: 'partner_brand',
    secretsSealed: null,
    secretsKeyId: null,
  });
}

function upload(connectionId: string, csv: string, who: Principal = admin, contentType = 'text/csv') {
  return api.app.inject({
    method: 'POST',
    url: `/v1/connections/${connectionId}/sales-reports`,
    headers: { ...api.auth(who), 'content-type': contentType },
    payload: csv,
  });
}

async function stored(connectionId: string) {
  const [o] = await api.database.db
    .select({ n: sql<number>`count(*)::int` })
    .from(orders)
    .where(eq(orders.connectionId, connectionId));
  const [l] = await api.database.db
    .select({
      n: sql<number>`count(*)::int`,
      units: sql<number>`coalesce(sum(${orderLines.quantity}),0)::int`,
    })
    .from(orderLines)
    .innerJoin(orders, eq(orders.id, orderLines.orderId))
    .where(eq(orders.connectionId, connectionId));
  const runs = await api.database.db
    .select()
    .from(channelPullRuns)
    .where(and(eq(channelPullRuns.connectionId, connectionId), eq(channelPullRuns.reason, 'upload')));
  return { orders: o?.n ?? 0, lines: l?.n ?? 0, units: l?.units ?? 0, runs };
}

beforeAll(async () => {
  api = await startTestApi('pulls_sales_upload');
  crafter = await makeCrafter(api.database.db, { kelurahanCode: KELURAHAN.ciater });
  admin = await makeUser(api.database.db, 'admin', { regionCode: KECAMATAN.serpong });
  otherAdmin = await makeUser(api.database.db, 'admin', { regionCode: KECAMATAN.serpongUtara });
  crafterUser = await makeUser(api.database.db, 'crafter', { crafterId: crafter.id });
});

afterAll(async () => {
  await api?.close();
});

describe('POST /v1/connections/{id}/sales-reports', () => {
  it('refuses callers without a token, crafters, and admins of another region (404, like a missing id)', async () => {
    const id = await partnerEnrolment();
    const csv = report(goodLines(2));
    const anonymous = await api.app.inject({
      method: 'POST',
      url: `/v1/connections/${id}/sales-reports`,
      headers: { 'content-type': 'text/csv' },
      payload: csv,
    });
    expect(anonymous.statusCode).toBe(401);
    expect((await upload(id, csv, crafterUser)).statusCode).toBe(403);
    const outside = await upload(id, csv, otherAdmin);
    expect(outside.statusCode).toBe(404);
    expect(outside.json().code).toBe('not_found');
    expect((await stored(id)).orders).toBe(0);
  });

  it('stores a good report in one go, with an upload run covering its Jakarta days', async () => {
    const id = await partnerEnrolment();
    const res = await upload(id, report(goodLines(6)));
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({
      lines: 6,
      inserted: 6,
      updated: 0,
      unchanged: 0,
      // 2026-03-01 00:00 to 2026-03-03 00:00 Jakarta (UTC+7).
      period: { from: '2026-02-28T17:00:00.000Z', to: '2026-03-02T17:00:00.000Z' },
    });
    const after = await stored(id);
    expect(after).toMatchObject({ orders: 6, lines: 6, units: 9 });
    expect(after.runs).toHaveLength(1);
    expect(after.runs[0]).toMatchObject({
      id: res.json().runId,
      status: 'succeeded',
      stream: 'orders',
      fetched: 6,
      inserted: 6,
    });
    expect(after.runs[0]?.windowFrom.toISOString()).toBe('2026-02-28T17:00:00.000Z');
    expect(after.runs[0]?.windowTo.toISOString()).toBe('2026-03-02T17:00:00.000Z');
  });

  it('uploading the same file again changes nothing: no order, line or run is added', async () => {
    const id = await partnerEnrolment();
    const csv = report(goodLines(5));
    const first = await upload(id, csv);
    expect(first.statusCode, first.body).toBe(200);
    const before = await stored(id);
    const again = await upload(id, csv);
    expect(again.statusCode, again.body).toBe(200);
    expect(again.json()).toMatchObject({ runId: first.json().runId, inserted: 0, updated: 0, unchanged: 5 });
    expect(await stored(id)).toEqual(before);
  });

  it('a file with bad rows is a 422 naming each row and field, and stores nothing of it', async () => {
    const id = await partnerEnrolment();
    const lines = goodLines(4);
    lines[1] = 'R-bad-1,PB SKU WITH SPACES,1,45000,2026-03-01T10:15:00+07:00,Outlet';
    lines[3] = 'R-bad-2,PB-SKU-1,0,45.000,yesterday,Outlet';
    const res = await upload(id, report(lines));
    expect(res.statusCode, res.body).toBe(422);
    expect(res.headers['content-type']).toContain('application/problem+json');
    const problem = res.json();
    expect(problem.code).toBe('sales_report_invalid');
    const paths = (problem.errors as Array<{ path: string }>).map((e) => e.path);
    expect(paths).toEqual(
      expect.arrayContaining([
        'row 3 / sku',
        'row 5 / quantity',
        'row 5 / unit_price_idr',
        'row 5 / sold_at',
      ]),
    );
    expect(paths.some((p) => p.startsWith('row 2 ') || p.startsWith('row 4 '))).toBe(false);
    expect(await stored(id)).toEqual({ orders: 0, lines: 0, units: 0, runs: [] });
  });

  it('refuses a missing column, an empty report, another content type, and a shop that is not a partner brand', async () => {
    const id = await partnerEnrolment();
    const missing = await upload(id, 'report_line_id,sku,quantity\nR1,PB-1,1\n');
    expect(missing.statusCode).toBe(422);
    const empty = await upload(id, `${HEADER}\n`);
    expect(empty.statusCode).toBe(400);
    expect(empty.json().code).toBe('validation_failed');
    const json = await upload(id, JSON.stringify({ lines: [] }), admin, 'application/json');
    expect(json.statusCode).toBe(415);
    const shopee = await makeConnection(api.database.db, api.config.credentialsKeyring, crafter.id);
    const notPartner = await upload(shopee, report(goodLines(1)));
    expect(notPartner.statusCode).toBe(409);
    expect(notPartner.json().code).toBe('not_partner_brand');
    expect((await stored(id)).orders + (await stored(shopee)).orders).toBe(0);
  });
});

describe('a shop’s pull runs and a pull on demand', () => {
  it('lists the uploads and pulls of a connection newest first, with cursor paging', async () => {
    const id = await partnerEnrolment();
    const runIds: string[] = [];
    for (let i = 0; i < 3; i += 1) {
      const res = await upload(id, report(goodLines(2)));
      expect(res.statusCode, res.body).toBe(200);
      runIds.push(res.json().runId);
    }
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const res = await api.app.inject({
        method: 'GET',
        url: `/v1/connections/${id}/pull-runs?limit=2${cursor ? `&cursor=${cursor}` : ''}`,
        headers: api.auth(admin),
      });
      expect(res.statusCode, res.body).toBe(200);
      const page = res.json() as {
        items: Array<{ id: string; reason: string; status: string }>;
        nextCursor: string | null;
      };
      for (const run of page.items) expect(run).toMatchObject({ reason: 'upload', status: 'succeeded' });
      seen.push(...page.items.map((r) => r.id));
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen).toEqual([...runIds].reverse());
    const outside = await api.app.inject({
      method: 'GET',
      url: `/v1/connections/${id}/pull-runs`,
      headers: api.auth(otherAdmin),
    });
    expect(outside.statusCode).toBe(404);
  });

  it('a pull on demand writes one outbox row for the relay; a shop needing reconnection is a 409', async () => {
    const id = await partnerEnrolment();
    const rows = () =>
      api.database.db
        .select({ topic: outbox.topic, payload: outbox.payload })
        .from(outbox)
        .where(eq(outbox.aggregateId, id));
    const res = await api.app.inject({
      method: 'POST',
      url: `/v1/connections/${id}/pull`,
      headers: api.auth(crafterUser),
    });
    expect(res.statusCode, res.body).toBe(202);
    expect(await rows()).toEqual([{ topic: 'connection.pull_requested', payload: { connectionId: id } }]);
    await api.database.db
      .update(channelConnections)
      .set({ status: 'reauth_required' })
      .where(eq(channelConnections.id, id));
    const refused = await api.app.inject({
      method: 'POST',
      url: `/v1/connections/${id}/pull`,
      headers: api.auth(admin),
    });
    expect(refused.statusCode).toBe(409);
    expect(refused.json().code).toBe('connection_reauth_required');
    expect(await rows()).toHaveLength(1);
  });
});
