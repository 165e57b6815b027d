/**
 * Authorization matrix: every route of `app.routeTable` × every principal. The expectations below
 * are written by hand (not derived from the routes' access rules), so a route whose rule changes, or
 * a new route nobody thought about, fails here. Every request is valid and aims at crafter A's
 * data; write routes get fresh data per case so the order of cases does not matter.
 *
 * Outcomes: `ok` = 2xx (for lists: A's record is included), `hidden` = 2xx but A's record is not in
 * the list, 403 = the role may not use the route, 404 = A's data is outside the caller's scope.
 * No token → 401 `unauthenticated`, expired token → 401 `token_expired`, except on public routes.
 */
import { randomUUID } from 'node:crypto';
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { channelConnections } from '../../src/db/schema/index.js';
import { raiseAlert } from '../../src/services/alerts.js';
import { sealSecrets } from '../../src/services/connections.js';
import { ingestOrders } from '../../src/services/order-ingest.js';
import { KELURAHAN } from '../factories/index.js';
import { startTestApi } from '../helpers/api.js';
import {
  ALL_PRINCIPALS,
  buildWorld,
  crafterEtagOfA,
  freshProductOfA,
  headersFor,
  type MatrixPrincipal,
  type MatrixRequest,
  productBody,
  productCsv,
  ROLE_PRINCIPALS,
  type RolePrincipal,
  uniqueSuffix,
  type World,
} from '../helpers/matrix.js';

/**
 * 400 / 401: refused for everyone alike (a public route whose request is only valid with a live
 * secret: an authorization state, a platform's webhook signature). 400 also: a body naming ids
 * outside the caller's scope, answered like unknown ids.
 */
type Outcome = 'ok' | 'hidden' | 400 | 401 | 403 | 404;
type Row = Record<RolePrincipal, Outcome>;

interface RouteCase {
  /** Public routes answer every principal, token or not. */
  public?: true;
  /** The problem code a public route refuses everyone with (its own secret, not our token). */
  refusalCode?: string;
  row: Row;
  request(world: World): Promise<MatrixRequest> | MatrixRequest;
  /** For list routes: whether crafter A's record is in the answer. */
  includesA?(res: LightMyRequestResponse, world: World): boolean;
}

/** One row of the table, in the column order of the header comment. */
function row(
  crafterA: Outcome,
  crafterB: Outcome,
  kelurahanAdminIn: Outcome,
  kelurahanAdminOut: Outcome,
  kecamatanAdmin: Outcome,
  cityAdmin: Outcome,
  operator: Outcome,
): Row {
  return { crafterA, crafterB, kelurahanAdminIn, kelurahanAdminOut, kecamatanAdmin, cityAdmin, operator };
}

const ids = (res: LightMyRequestResponse): string[] =>
  (res.json() as { items: Array<{ id: string; crafterId?: string }> }).items.map((i) => i.crafterId ?? i.id);

/** A connection of crafter A, written directly (connecting one needs a marketplace). */
async function freshConnectionOfA(w: World): Promise<string> {
  const id = randomUUID();
  await w.api.database.db.insert(channelConnections).values({
    id,
    crafterId: w.crafterA.id,
    channel: 'partner_brand',
    externalShopId: `prog-${uniqueSuffix()}`,
    partnerProgrammeId: `prog-${uniqueSuffix()}`,
    ...sealSecrets(w.api.config.credentialsKeyring, id, { kind: 'api_key', apiKey: 'k', apiSecret: 's' }),
  });
  return id;
}

/** A sale of crafter A on 2 November 2026 (its SKU matches nothing, so it is also an unmatched line). */
async function saleOfA(w: World): Promise<void> {
  const connectionId = await freshConnectionOfA(w);
  const at = new Date('2026-11-02T03:00:00Z');
  await w.api.database.db.transaction((tx) =>
    ingestOrders(tx, { connectionId, channel: 'partner_brand', crafterId: w.crafterA.id }, [
      {
        externalOrderId: `M-${uniqueSuffix()}`,
        status: 'completed',
        createdAt: at,
        updatedAt: at,
        lines: [{ lineKey: '1', sellerSku: `NOPE-${uniqueSuffix()}`, quantity: 1, unitPriceIdr: 10_000 }],
      },
    ]),
  );
}

const crafterIdsOf = (res: LightMyRequestResponse): string[] =>
  (res.json() as { rows: Array<{ crafterId: string }> }).rows.map((r) => r.crafterId);

/** A product of crafter A published to a fresh connection of A (written as the operator). */
async function freshListingOfA(w: World): Promise<{ id: string; etag: string }> {
  const product = await freshProductOfA(w);
  const connectionId = await freshConnectionOfA(w);
  const res = await w.api.app.inject({
    method: 'POST',
    url: `/v1/products/${product.id}/listings`,
    headers: w.api.auth(w.principals.operator),
    payload: { connectionIds: [connectionId] },
  });
  if (res.statusCode !== 200) throw new Error(`listing not created: ${res.statusCode} ${res.body}`);
  const id = res.json().items[0].id as string;
  return { id, etag: `"${res.json().items[0].version}"` };
}

const table: Record<string, RouteCase> = {
  //                                                  crafterA crafterB kelIn  kelOut kecAdm cityAdm operator
  'GET /health/live': {
    public: true,
    row: row('ok', 'ok', 'ok', 'ok', 'ok', 'ok', 'ok'),
    request: () => ({ method: 'GET', url: '/health/live' }),
  },
  'GET /health/ready': {
    public: true,
    row: row('ok', 'ok', 'ok', 'ok', 'ok', 'ok', 'ok'),
    request: () => ({ method: 'GET', url: '/health/ready' }),
  },
  'POST /v1/auth/login': {
    public: true,
    row: row('ok', 'ok', 'ok', 'ok', 'ok', 'ok', 'ok'),
    request: (w) => ({ method: 'POST', url: '/v1/auth/login', payload: w.crafterALogin }),
  },
  'GET /v1/me': {
    row: row('ok', 'ok', 'ok', 'ok', 'ok', 'ok', 'ok'),
    request: () => ({ method: 'GET', url: '/v1/me' }),
  },
  'GET /v1/regions': {
    row: row('ok', 'ok', 'ok', 'ok', 'ok', 'ok', 'ok'),
    request: () => ({ method: 'GET', url: '/v1/regions' }),
  },
  'GET /v1/crafters': {
    row: row('ok', 'hidden', 'ok', 'hidden', 'ok', 'ok', 'ok'),
    request: () => ({ method: 'GET', url: '/v1/crafters?limit=200' }),
    includesA: (res, w) => ids(res).includes(w.crafterA.id),
  },
  'GET /v1/crafters/:id': {
    row: row('ok', 404, 'ok', 404, 'ok', 'ok', 'ok'),
    request: (w) => ({ method: 'GET', url: `/v1/crafters/${w.crafterA.id}` }),
  },
  'POST /v1/crafters': {
    row: row(403, 403, 'ok', 404, 'ok', 'ok', 'ok'),
    request: () => ({
      method: 'POST',
      url: '/v1/crafters',
      payload: {
        businessName: `Kriya ${uniqueSuffix()}`,
        ownerName: 'Ibu Ani',
        phone: '0812-1111-2222',
        kelurahanCode: KELURAHAN.ciater,
        craftCategory: 'crafts',
      },
    }),
  },
  'PATCH /v1/crafters/:id': {
    row: row('ok', 404, 'ok', 404, 'ok', 'ok', 'ok'),
    request: async (w) => ({
      method: 'PATCH',
      url: `/v1/crafters/${w.crafterA.id}`,
      headers: { 'if-match': await crafterEtagOfA(w) },
      payload: { phone: '0812 3333 4444' },
    }),
  },
  'GET /v1/users': {
    row: row(403, 403, 'ok', 'hidden', 'ok', 'ok', 'ok'),
    request: () => ({ method: 'GET', url: '/v1/users?limit=200' }),
    includesA: (res, w) =>
      (res.json() as { items: Array<{ id: string }> }).items.some(
        (u) => u.id === w.principals.crafterA.userId,
      ),
  },
  'GET /v1/users/:id': {
    row: row(403, 403, 'ok', 404, 'ok', 'ok', 'ok'),
    request: (w) => ({ method: 'GET', url: `/v1/users/${w.principals.crafterA.userId}` }),
  },
  'POST /v1/users': {
    row: row(403, 403, 'ok', 404, 'ok', 'ok', 'ok'),
    request: (w) => ({
      method: 'POST',
      url: '/v1/users',
      payload: {
        username: `a-helper-${uniqueSuffix()}`,
        displayName: 'Helper of A',
        password: 'long enough password',
        role: 'crafter',
        crafterId: w.crafterA.id,
      },
    }),
  },
  'GET /v1/alerts': {
    row: row('ok', 'hidden', 'ok', 'hidden', 'ok', 'ok', 'ok'),
    request: async (w) => {
      // Newest first: A's fresh alert is on the first page.
      await raiseAlert(w.api.database.db, {
        kind: 'listing_failed',
        crafterId: w.crafterA.id,
        dedupeKey: `listing_failed:${randomUUID()}`,
        message: { en: 'Shopee refused the listing.', id: 'Shopee menolak listing.' },
      });
      return { method: 'GET', url: '/v1/alerts?limit=5' };
    },
    includesA: (res, w) => ids(res).includes(w.crafterA.id),
  },
  'GET /v1/ops/nightly-runs': {
    row: row(403, 403, 'ok', 'ok', 'ok', 'ok', 'ok'),
    request: () => ({ method: 'GET', url: '/v1/ops/nightly-runs' }),
  },
  'GET /v1/ops/outbox/dead-letters': {
    row: row(403, 403, 403, 403, 403, 403, 'ok'),
    request: () => ({ method: 'GET', url: '/v1/ops/outbox/dead-letters' }),
  },
  'GET /v1/products': {
    row: row('ok', 'hidden', 'ok', 'hidden', 'ok', 'ok', 'ok'),
    request: async (w) => {
      await freshProductOfA(w); // newest first: A's product is on the first page
      return { method: 'GET', url: '/v1/products?limit=5' };
    },
    includesA: (res, w) => ids(res).includes(w.crafterA.id),
  },
  'GET /v1/products/export.csv': {
    row: row('ok', 'hidden', 'ok', 'hidden', 'ok', 'ok', 'ok'),
    request: async (w) => {
      await freshProductOfA(w);
      return { method: 'GET', url: '/v1/products/export.csv' };
    },
    // Every product in this suite's database is crafter A's.
    includesA: (res) => res.body.includes('Tas anyaman'),
  },
  'POST /v1/products/import': {
    row: row('ok', 404, 'ok', 404, 'ok', 'ok', 'ok'),
    request: (w) => ({
      method: 'POST',
      url: `/v1/products/import?crafterId=${w.crafterA.id}`,
      headers: { 'content-type': 'text/csv' },
      payload: productCsv(),
    }),
  },
  'GET /v1/products/:id': {
    row: row('ok', 404, 'ok', 404, 'ok', 'ok', 'ok'),
    request: async (w) => ({ method: 'GET', url: `/v1/products/${(await freshProductOfA(w)).id}` }),
  },
  'GET /v1/products/:id/stock-movements': {
    row: row('ok', 404, 'ok', 404, 'ok', 'ok', 'ok'),
    request: async (w) => ({
      method: 'GET',
      url: `/v1/products/${(await freshProductOfA(w)).id}/stock-movements`,
    }),
  },
  'POST /v1/products/:id/stock': {
    row: row('ok', 404, 'ok', 404, 'ok', 'ok', 'ok'),
    request: async (w) => {
      const { id } = await freshProductOfA(w);
      const product = await w.api.app.inject({
        method: 'GET',
        url: `/v1/products/${id}`,
        headers: w.api.auth(w.principals.operator),
      });
      return {
        method: 'POST',
        url: `/v1/products/${id}/stock`,
        payload: { kind: 'adjustment', variants: [{ sku: product.json().variants[0].sku, delta: 2 }] },
      };
    },
  },
  'POST /v1/products': {
    row: row('ok', 404, 'ok', 404, 'ok', 'ok', 'ok'),
    request: (w) => ({ method: 'POST', url: '/v1/products', payload: productBody(w) }),
  },
  'PUT /v1/products/:id': {
    row: row('ok', 404, 'ok', 404, 'ok', 'ok', 'ok'),
    request: async (w) => {
      const product = await freshProductOfA(w);
      const { crafterId: _owner, ...content } = productBody(w);
      return {
        method: 'PUT',
        url: `/v1/products/${product.id}`,
        headers: { 'if-match': product.etag },
        payload: content,
      };
    },
  },
  'PATCH /v1/products/:id': {
    row: row('ok', 404, 'ok', 404, 'ok', 'ok', 'ok'),
    request: async (w) => {
      const product = await freshProductOfA(w);
      return {
        method: 'PATCH',
        url: `/v1/products/${product.id}`,
        headers: { 'if-match': product.etag },
        payload: { title: `Tas baru ${uniqueSuffix()}` },
      };
    },
  },
  'POST /v1/crafters/:crafterId/connections/:channel/authorize': {
    row: row('ok', 404, 'ok', 404, 'ok', 'ok', 'ok'),
    request: (w) => ({ method: 'POST', url: `/v1/crafters/${w.crafterA.id}/connections/shopee/authorize` }),
  },
  'GET /v1/connections/callback/:channel': {
    // Authenticated by its signed state alone: a bearer token neither helps nor hurts.
    public: true,
    row: row(400, 400, 400, 400, 400, 400, 400),
    request: () => ({
      method: 'GET',
      url: '/v1/connections/callback/shopee?state=forged.state&code=c&shop_id=1',
    }),
  },
  'POST /v1/webhooks/shopee': {
    // Authenticated by the platform's signature alone: a bearer token neither helps nor hurts.
    public: true,
    refusalCode: 'webhook_signature_invalid',
    row: row(401, 401, 401, 401, 401, 401, 401),
    request: () => ({
      method: 'POST',
      url: '/v1/webhooks/shopee',
      headers: { 'content-type': 'application/json', authorization: '0'.repeat(64) },
      payload: '{"shop_id":1,"code":3,"timestamp":1767225600,"data":{}}',
    }),
  },
  'POST /v1/webhooks/tiktok-shop': {
    public: true,
    refusalCode: 'webhook_signature_invalid',
    row: row(401, 401, 401, 401, 401, 401, 401),
    request: () => ({
      method: 'POST',
      url: '/v1/webhooks/tiktok-shop',
      headers: { 'content-type': 'application/json', authorization: '0'.repeat(64) },
      payload: '{"type":1,"shop_id":"1","timestamp":1767225600,"data":{}}',
    }),
  },
  'GET /v1/connections/:id/pull-runs': {
    row: row('ok', 404, 'ok', 404, 'ok', 'ok', 'ok'),
    request: async (w) => ({
      method: 'GET',
      url: `/v1/connections/${await freshConnectionOfA(w)}/pull-runs`,
    }),
  },
  'POST /v1/connections/:id/pull': {
    row: row('ok', 404, 'ok', 404, 'ok', 'ok', 'ok'),
    request: async (w) => ({ method: 'POST', url: `/v1/connections/${await freshConnectionOfA(w)}/pull` }),
  },
  'POST /v1/connections/:id/sales-reports': {
    row: row(403, 403, 'ok', 404, 'ok', 'ok', 'ok'),
    request: async (w) => ({
      method: 'POST',
      url: `/v1/connections/${await freshConnectionOfA(w)}/sales-reports`,
      headers: { 'content-type': 'text/csv' },
      payload: `report_line_id,sku,quantity,unit_price_idr,sold_at,outlet\nM-${uniqueSuffix()},MX-1,1,10000,2026-03-01T10:00:00+07:00,Outlet\n`,
    }),
  },
  'POST /v1/crafters/:crafterId/connections/partner-brand': {
    row: row(403, 403, 'ok', 404, 'ok', 'ok', 'ok'),
    request: (w) => ({
      method: 'POST',
      url: `/v1/crafters/${w.crafterA.id}/connections/partner-brand`,
      payload: {
        partnerProgrammeId: `prog-${uniqueSuffix()}`,
        apiKey: 'pk_matrix_1234',
        apiSecret: 'ps_matrix_1234',
      },
    }),
  },
  'GET /v1/crafters/:crafterId/connections': {
    row: row('ok', 404, 'ok', 404, 'ok', 'ok', 'ok'),
    request: (w) => ({ method: 'GET', url: `/v1/crafters/${w.crafterA.id}/connections` }),
  },
  'GET /v1/connections/:id': {
    row: row('ok', 404, 'ok', 404, 'ok', 'ok', 'ok'),
    request: async (w) => ({ method: 'GET', url: `/v1/connections/${await freshConnectionOfA(w)}` }),
  },
  'PATCH /v1/connections/:id': {
    row: row('ok', 404, 'ok', 404, 'ok', 'ok', 'ok'),
    request: async (w) => ({
      method: 'PATCH',
      url: `/v1/connections/${await freshConnectionOfA(w)}`,
      payload: { stockBuffer: { percent: 10, maxUnits: null } },
    }),
  },
  'DELETE /v1/connections/:id': {
    row: row('ok', 404, 'ok', 404, 'ok', 'ok', 'ok'),
    request: async (w) => ({ method: 'DELETE', url: `/v1/connections/${await freshConnectionOfA(w)}` }),
  },
  'POST /v1/products/:id/listings': {
    row: row('ok', 404, 'ok', 404, 'ok', 'ok', 'ok'),
    request: async (w) => ({
      method: 'POST',
      url: `/v1/products/${(await freshProductOfA(w)).id}/listings`,
      payload: { connectionIds: [await freshConnectionOfA(w)] },
    }),
  },
  // Ids in the body, not the path: one outside the scope is refused like an unknown one (400, named
  // in `errors` as "no such connection"), not 404.
  'POST /v1/listings/publish': {
    row: row('ok', 400, 'ok', 400, 'ok', 'ok', 'ok'),
    request: async (w) => ({
      method: 'POST',
      url: '/v1/listings/publish',
      payload: { productIds: [(await freshProductOfA(w)).id], connectionIds: [await freshConnectionOfA(w)] },
    }),
  },
  'GET /v1/products/:id/listings': {
    row: row('ok', 404, 'ok', 404, 'ok', 'ok', 'ok'),
    request: async (w) => ({ method: 'GET', url: `/v1/products/${(await freshProductOfA(w)).id}/listings` }),
  },
  'GET /v1/connections/:id/listings': {
    row: row('ok', 404, 'ok', 404, 'ok', 'ok', 'ok'),
    request: async (w) => ({ method: 'GET', url: `/v1/connections/${await freshConnectionOfA(w)}/listings` }),
  },
  'GET /v1/listings/:id': {
    row: row('ok', 404, 'ok', 404, 'ok', 'ok', 'ok'),
    request: async (w) => ({ method: 'GET', url: `/v1/listings/${(await freshListingOfA(w)).id}` }),
  },
  'POST /v1/listings/:id/resync': {
    row: row('ok', 404, 'ok', 404, 'ok', 'ok', 'ok'),
    request: async (w) => ({ method: 'POST', url: `/v1/listings/${(await freshListingOfA(w)).id}/resync` }),
  },
  'PATCH /v1/listings/:id': {
    row: row('ok', 404, 'ok', 404, 'ok', 'ok', 'ok'),
    request: async (w) => {
      const listing = await freshListingOfA(w);
      return {
        method: 'PATCH',
        url: `/v1/listings/${listing.id}`,
        headers: { 'if-match': listing.etag },
        payload: { stockBuffer: { percent: 10, maxUnits: null } },
      };
    },
  },
  'DELETE /v1/listings/:id': {
    row: row('ok', 404, 'ok', 404, 'ok', 'ok', 'ok'),
    request: async (w) => ({ method: 'DELETE', url: `/v1/listings/${(await freshListingOfA(w)).id}` }),
  },
  'GET /v1/category-mappings': {
    row: row('ok', 'ok', 'ok', 'ok', 'ok', 'ok', 'ok'),
    request: () => ({ method: 'GET', url: '/v1/category-mappings' }),
  },
  'PUT /v1/category-mappings/:channel/:category': {
    // Mappings apply to every crafter: only the city level and operators maintain them.
    row: row(403, 403, 403, 403, 403, 'ok', 'ok'),
    request: () => ({
      method: 'PUT',
      url: `/v1/category-mappings/shopee/matrix-${uniqueSuffix()}`,
      payload: { channelCategoryId: '100101', logisticsChannelId: '8005' },
    }),
  },
  'GET /v1/sales/summary': {
    row: row('ok', 'hidden', 'ok', 'hidden', 'ok', 'ok', 'ok'),
    request: async (w) => {
      await saleOfA(w);
      return { method: 'GET', url: '/v1/sales/summary?from=2026-11-01&to=2026-11-03&groupBy=crafter' };
    },
    includesA: (res, w) => crafterIdsOf(res).includes(w.crafterA.id),
  },
  'GET /v1/sales/export.csv': {
    row: row('ok', 'hidden', 'ok', 'hidden', 'ok', 'ok', 'ok'),
    request: async (w) => {
      await saleOfA(w);
      return { method: 'GET', url: '/v1/sales/export.csv?from=2026-11-01&to=2026-11-03&groupBy=crafter' };
    },
    includesA: (res, w) => res.body.includes(w.crafterA.id),
  },
  'GET /v1/orders/unmatched-lines': {
    row: row('ok', 'hidden', 'ok', 'hidden', 'ok', 'ok', 'ok'),
    request: async (w) => {
      await saleOfA(w);
      return { method: 'GET', url: '/v1/orders/unmatched-lines?limit=200' };
    },
    includesA: (res, w) => ids(res).includes(w.crafterA.id),
  },
  'DELETE /v1/products/:id': {
    row: row('ok', 404, 'ok', 404, 'ok', 'ok', 'ok'),
    request: async (w) => {
      const product = await freshProductOfA(w);
      return { method: 'DELETE', url: `/v1/products/${product.id}`, headers: { 'if-match': product.etag } };
    },
  },
};

function coverage(keys: string[]): { missing: string[]; stale: string[] } {
  return {
    missing: keys.filter((k) => !(k in table)),
    stale: Object.keys(table).filter((k) => !keys.includes(k)),
  };
}

// The app is built before the tests are collected: the cases come from its route table.
// Channel settings so that starting an authorization works (it makes no call; nothing listens there).
const api = await startTestApi('authz_matrix', {
  LOGIN_RATE_LIMIT_MAX: '1000',
  SANDBOX_URL: 'http://127.0.0.1:9',
  SHOPEE_PARTNER_ID: '1',
  SHOPEE_PARTNER_KEY: 'matrix-partner-key',
  TIKTOK_SHOP_APP_KEY: 'matrixapp',
  TIKTOK_SHOP_APP_SECRET: 'matrix-app-secret',
});
const routeKeys = api.app.routeTable.map((r) => `${r.method} ${r.url}`);
let world: World;

beforeAll(async () => {
  world = await buildWorld(api);
});
afterAll(async () => {
  await api.close();
});

async function send(rc: RouteCase, who: MatrixPrincipal): Promise<LightMyRequestResponse> {
  const req = await rc.request(world);
  return api.app.inject({ ...req, headers: { ...req.headers, ...headersFor(world, who) } });
}

function expectProblem(res: LightMyRequestResponse, status: number, code?: string): void {
  expect(res.statusCode, res.body).toBe(status);
  expect(res.headers['content-type']).toContain('application/problem+json');
  if (code) expect(res.json().code).toBe(code);
}

describe('authorization matrix', () => {
  it('covers every route in the route table, and only those', () => {
    expect(routeKeys.length).toBeGreaterThan(0);
    const { missing, stale } = coverage(routeKeys);
    expect(missing, 'routes without an expectation: add them to the table').toEqual([]);
    expect(stale, 'expectations for routes that no longer exist').toEqual([]);
  });

  it('would flag a new route without an expectation, and a removed one', () => {
    const withNewRoute = coverage([...routeKeys, 'POST /v1/crafters/:id/archive']);
    expect(withNewRoute.missing).toEqual(['POST /v1/crafters/:id/archive']);
    const withoutLogin = coverage(routeKeys.filter((k) => k !== 'POST /v1/auth/login'));
    expect(withoutLogin.stale).toEqual(['POST /v1/auth/login']);
  });

  it('declares public exactly the routes the table says are public', () => {
    const publicRoutes = api.app.routeTable
      .filter((r) => 'public' in r.access)
      .map((r) => `${r.method} ${r.url}`);
    const expectedPublic = Object.entries(table)
      .filter(([, rc]) => rc.public)
      .map(([k]) => k);
    expect(publicRoutes.sort()).toEqual(expectedPublic.sort());
  });

  for (const key of routeKeys) {
    const rc = table[key];
    describe(key, () => {
      if (!rc) {
        it('has an expectation in the matrix table', () => {
          expect.fail(`${key} is in app.routeTable but not in the authorization matrix`);
        });
        return;
      }
      for (const who of ALL_PRINCIPALS) {
        const expected =
          who === 'noToken' || who === 'expiredToken' ? (rc.public ? rc.row.operator : 401) : rc.row[who];
        it(`${who} → ${expected}`, async () => {
          const res = await send(rc, who);
          if (expected === 'ok' || expected === 'hidden') {
            expect(res.statusCode, res.body).toBeGreaterThanOrEqual(200);
            expect(res.statusCode, res.body).toBeLessThan(300);
            if (rc.includesA) expect(rc.includesA(res, world)).toBe(expected === 'ok');
          } else if (expected === 400) {
            expect(res.statusCode, res.body).toBe(400);
            expect(res.headers['content-type']).toContain('application/problem+json');
          } else if (expected === 401) {
            expectProblem(
              res,
              401,
              rc.refusalCode ?? (who === 'expiredToken' ? 'token_expired' : 'unauthenticated'),
            );
          } else {
            expectProblem(res, expected, expected === 403 ? 'forbidden' : 'not_found');
          }
        });
      }
    });
  }
});

describe('out of scope looks exactly like missing', () => {
  it.each([
    ['crafter', (w: World) => `/v1/crafters/${w.crafterA.id}`, '/v1/crafters/'],
    ['user', (w: World) => `/v1/users/${w.principals.crafterA.userId}`, '/v1/users/'],
  ] as const)(
    'a %s outside the scope answers the same 404 as one that does not exist',
    async (_what, url, prefix) => {
      const auth = headersFor(world, 'kelurahanAdminOut');
      const hidden = await api.app.inject({ method: 'GET', url: url(world), headers: auth });
      const missing = await api.app.inject({
        method: 'GET',
        url: `${prefix}${crypto.randomUUID()}`,
        headers: auth,
      });
      const strip = (res: LightMyRequestResponse) => ({ ...res.json(), instance: undefined });
      expect(hidden.statusCode).toBe(404);
      expect(strip(hidden)).toEqual(strip(missing));
    },
  );

  it('a product of another crafter answers the same 404 as one that does not exist', async () => {
    const product = await freshProductOfA(world);
    const auth = headersFor(world, 'crafterB');
    const hidden = await api.app.inject({ method: 'GET', url: `/v1/products/${product.id}`, headers: auth });
    const missing = await api.app.inject({
      method: 'GET',
      url: `/v1/products/${crypto.randomUUID()}`,
      headers: auth,
    });
    expect(hidden.statusCode).toBe(404);
    expect({ ...hidden.json(), instance: undefined }).toEqual({ ...missing.json(), instance: undefined });
  });
});

// Every principal has a column; keeps the row() helper and the principal list in step.
it('the table has a column for every role principal', () => {
  for (const rc of Object.values(table))
    expect(Object.keys(rc.row).sort()).toEqual([...ROLE_PRINCIPALS].sort());
});
