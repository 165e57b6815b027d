/**
 * Bad input: every write route of `app.routeTable` gets each class of bad input; the answer is a
 * 4xx `application/problem+json` with a stable `code`, and nothing is written (row counts of every
 * table a write touches, and the versions of the records aimed at, stay the same). GET routes get
 * bad query parameters and bad ids. A new write route without a spec here fails the suite.
 */
import { createHmac, randomUUID } from 'node:crypto';
import type { HTTPMethods, LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { channelConnections } from '../../src/db/schema/index.js';
import { sealSecrets } from '../../src/services/connections.js';
import { KELURAHAN } from '../factories/index.js';
import { startTestApi } from '../helpers/api.js';
import {
  buildWorld,
  crafterEtagOfA,
  freshProductOfA,
  type MatrixRequest,
  productBody,
  productCsv,
  uniqueSuffix,
  type World,
} from '../helpers/matrix.js';

const BODY_LIMIT = 4096;
const CSV_LIMIT = 8192;
const WRITE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
const LONG = 'x'.repeat(10_000);

type Body = Record<string, unknown>;

interface Target {
  /** The product the product routes aim at. */
  id: string;
  etag: string;
  /** The current ETag of crafter A, which the crafter route aims at. */
  crafterEtag: string;
  /** That product published to `listingConnectionOfA`: the listing routes aim at it. */
  listingId: string;
  listingEtag: string;
  /** The product's SKUs (the stock route names variants by SKU). */
  skus: string[];
}

interface WriteSpec {
  /** Who sends it: `operator` may use every route; `none` for login. */
  as: 'operator' | 'none';
  body: 'json' | 'csv' | 'none';
  url(w: World, t: Target): string;
  headers?(t: Target): Record<string, string>;
  /** A valid body (JSON object or CSV text); bad inputs are variations of it. */
  valid(w: World, t: Target): Body | string | undefined;
  /** JSON field to set to a wrong type, and the wrong value. */
  wrongType?: [string, unknown];
  /** JSON field to drop (absent for PATCH, where the empty object is the "missing" case). */
  required?: string;
  /** JSON string field to make 10,000 characters long. */
  longString?: string;
  /** Has variants with price and stock. */
  variants?: boolean;
  /**
   * CSV routes other than the product import: their own bad files (each answered with one of
   * `rejects`) instead of the product-CSV variations.
   */
  csvCases?: Array<{ name: string; text: string }>;
  /** Further acceptable refusals for every case (a webhook refuses all of them as unsigned: 401). */
  rejects?: Array<[number, string]>;
  /** The valid request, when it is more than a body (a webhook's signature header). */
  validRequest?(w: World): MatrixRequest;
}

const json = (s: WriteSpec, w: World, t: Target) => s.valid(w, t) as Body;

const specs: Record<string, WriteSpec> = {
  'POST /v1/auth/login': {
    as: 'none',
    body: 'json',
    url: () => '/v1/auth/login',
    valid: (w) => ({ ...w.crafterALogin }),
    wrongType: ['username', 42],
    required: 'password',
    longString: 'username',
  },
  'POST /v1/crafters': {
    as: 'operator',
    body: 'json',
    url: () => '/v1/crafters',
    valid: () => ({
      businessName: `Kriya ${uniqueSuffix()}`,
      ownerName: 'Ibu Ani',
      phone: '0812-1111-2222',
      kelurahanCode: KELURAHAN.ciater,
      craftCategory: 'crafts',
    }),
    wrongType: ['craftCategory', ['crafts']],
    required: 'businessName',
    longString: 'ownerName',
  },
  'PATCH /v1/crafters/:id': {
    as: 'operator',
    body: 'json',
    url: (w) => `/v1/crafters/${w.crafterA.id}`,
    headers: (t) => ({ 'if-match': t.crafterEtag }),
    valid: () => ({ phone: '0812 5555 6666', businessName: 'Anyaman A baru' }),
    wrongType: ['phone', 812_555],
    longString: 'businessName',
  },
  'POST /v1/users': {
    as: 'operator',
    body: 'json',
    url: () => '/v1/users',
    valid: (w) => ({
      username: `u-${uniqueSuffix()}`,
      displayName: 'Helper',
      password: 'long enough password',
      role: 'crafter',
      crafterId: w.crafterA.id,
    }),
    wrongType: ['password', { plain: 'text' }],
    required: 'role',
    longString: 'displayName',
  },
  'POST /v1/products': {
    as: 'operator',
    body: 'json',
    url: () => '/v1/products',
    valid: (w) => productBody(w),
    wrongType: ['variants', 'TAS-1'],
    required: 'title',
    longString: 'title',
    variants: true,
  },
  'PUT /v1/products/:id': {
    as: 'operator',
    body: 'json',
    url: (_w, t) => `/v1/products/${t.id}`,
    headers: (t) => ({ 'if-match': t.etag }),
    valid: (w) => {
      const { crafterId: _owner, ...content } = productBody(w);
      return content;
    },
    wrongType: ['status', 1],
    required: 'variants',
    longString: 'title',
    variants: true,
  },
  'PATCH /v1/products/:id': {
    as: 'operator',
    body: 'json',
    url: (_w, t) => `/v1/products/${t.id}`,
    headers: (t) => ({ 'if-match': t.etag }),
    valid: (w) => ({ title: 'Tas baru', variants: productBody(w).variants }),
    wrongType: ['imageUrls', 'https://img.example.com/a.jpg'],
    longString: 'title',
    variants: true,
  },
  'POST /v1/products/:id/stock': {
    as: 'operator',
    body: 'json',
    url: (_w, t) => `/v1/products/${t.id}/stock`,
    valid: (_w, t) => ({
      kind: 'adjustment',
      variants: [{ sku: t.skus[0], delta: 2 }],
      note: 'kiriman baru',
    }),
    wrongType: ['variants', 'TAS-1'],
    required: 'kind',
    longString: 'note',
  },
  'DELETE /v1/products/:id': {
    as: 'operator',
    body: 'none',
    url: (_w, t) => `/v1/products/${t.id}`,
    headers: (t) => ({ 'if-match': t.etag }),
    valid: () => undefined,
  },
  'POST /v1/products/import': {
    as: 'operator',
    body: 'csv',
    url: (w) => `/v1/products/import?crafterId=${w.crafterA.id}`,
    valid: () => productCsv(),
  },
  'POST /v1/crafters/:crafterId/connections/:channel/authorize': {
    as: 'operator',
    body: 'none',
    url: (w) => `/v1/crafters/${w.crafterA.id}/connections/shopee/authorize`,
    valid: () => undefined,
  },
  'POST /v1/crafters/:crafterId/connections/partner-brand': {
    as: 'operator',
    body: 'json',
    url: (w) => `/v1/crafters/${w.crafterA.id}/connections/partner-brand`,
    valid: () => ({
      partnerProgrammeId: `prog-${uniqueSuffix()}`,
      apiKey: 'pk_bad_input_1234',
      apiSecret: 'ps_bad_input_1234',
      shopName: 'Toko Mitra',
    }),
    wrongType: ['apiKey', 12_345_678],
    required: 'apiSecret',
    longString: 'shopName',
  },
  'POST /v1/connections/:id/sales-reports': {
    as: 'operator',
    body: 'csv',
    url: () => `/v1/connections/${salesConnectionOfA}/sales-reports`,
    valid: () => salesCsv(),
    csvCases: [
      { name: 'wrong type (quantity)', text: salesCsv({ quantity: 'banyak' }) },
      { name: 'missing column', text: 'report_line_id,sku,quantity\nR-1,PB-1,1\n' },
      { name: 'oversize string (report_line_id)', text: salesCsv({ report_line_id: LONG.slice(0, 3000) }) },
      { name: 'negative price', text: salesCsv({ unit_price_idr: '-1' }) },
      { name: 'fractional price', text: salesCsv({ unit_price_idr: '1.5' }) },
      { name: 'a date that is not one', text: salesCsv({ sold_at: '2026-02-30T10:00:00+07:00x' }) },
      { name: 'unterminated quote', text: `${salesCsv()}"R-2,PB-1,1,1000,2026-03-01T10:00:00Z,Outlet\n` },
    ],
    rejects: [[422, 'sales_report_invalid']],
  },
  'POST /v1/connections/:id/pull': {
    as: 'operator',
    body: 'none',
    url: () => `/v1/connections/${salesConnectionOfA}/pull`,
    valid: () => undefined,
  },
  'POST /v1/webhooks/shopee': {
    as: 'none',
    body: 'none',
    url: () => '/v1/webhooks/shopee',
    valid: () => undefined,
    // Every bad input is also unsigned: refused before anything else is read.
    rejects: [[401, 'webhook_signature_invalid']],
    validRequest: (w) => {
      const body = '{"data":{"ordersn":"X1"},"shop_id":990001,"code":3,"timestamp":1767225600}';
      const url = `${w.api.config.webhookBaseUrl}/v1/webhooks/shopee`;
      return {
        method: 'POST',
        url: '/v1/webhooks/shopee',
        headers: { 'content-type': 'application/json', authorization: hmacHex(SHOPEE_KEY, `${url}|${body}`) },
        payload: body,
      };
    },
  },
  'POST /v1/webhooks/tiktok-shop': {
    as: 'none',
    body: 'none',
    url: () => '/v1/webhooks/tiktok-shop',
    valid: () => undefined,
    rejects: [[401, 'webhook_signature_invalid']],
    validRequest: () => {
      const body = '{"type":1,"tts_notification_id":"1","shop_id":"990001","timestamp":1767225600,"data":{}}';
      return {
        method: 'POST',
        url: '/v1/webhooks/tiktok-shop',
        headers: {
          'content-type': 'application/json',
          authorization: hmacHex(TIKTOK_SECRET, `${TIKTOK_KEY}${body}`),
        },
        payload: body,
      };
    },
  },
  'PATCH /v1/connections/:id': {
    as: 'operator',
    body: 'json',
    url: () => `/v1/connections/${connectionOfA}`,
    valid: () => ({
      priceRule: { kind: 'percent', value: 1000, roundingStepIdr: 500 },
      stockBuffer: { percent: 10, maxUnits: 20 },
    }),
    wrongType: ['stockBuffer', 10],
  },
  'DELETE /v1/connections/:id': {
    as: 'operator',
    body: 'none',
    url: () => `/v1/connections/${connectionOfA}`,
    valid: () => undefined,
  },
  'POST /v1/products/:id/listings': {
    as: 'operator',
    body: 'json',
    url: (_w, t) => `/v1/products/${t.id}/listings`,
    valid: () => ({ connectionIds: [listingConnectionOfA] }),
    wrongType: ['connectionIds', 'not-a-list'],
    required: 'connectionIds',
  },
  'POST /v1/listings/publish': {
    as: 'operator',
    body: 'json',
    url: () => '/v1/listings/publish',
    valid: (_w, t) => ({ productIds: [t.id], connectionIds: [listingConnectionOfA] }),
    wrongType: ['productIds', 'not-a-list'],
    required: 'productIds',
  },
  'POST /v1/listings/:id/resync': {
    as: 'operator',
    body: 'none',
    url: (_w, t) => `/v1/listings/${t.listingId}/resync`,
    valid: () => undefined,
  },
  'PATCH /v1/listings/:id': {
    as: 'operator',
    body: 'json',
    url: (_w, t) => `/v1/listings/${t.listingId}`,
    headers: (t) => ({ 'if-match': t.listingEtag }),
    valid: () => ({
      priceRule: { kind: 'fixed', value: 5000, roundingStepIdr: 1000 },
      stockBuffer: { percent: 10, maxUnits: null },
    }),
    wrongType: ['priceRule', 'fixed'],
  },
  'DELETE /v1/listings/:id': {
    as: 'operator',
    body: 'none',
    url: (_w, t) => `/v1/listings/${t.listingId}`,
    valid: () => undefined,
  },
  'PUT /v1/category-mappings/:channel/:category': {
    as: 'operator',
    body: 'json',
    url: () => '/v1/category-mappings/shopee/bad-input%2Fkategori',
    valid: () => ({
      channelCategoryId: '100101',
      requiredAttributes: [{ id: '200001', name: 'Bahan', valueId: '3001', value: 'Katun' }],
      brandId: '1100004',
      brandName: 'Dekranasda Tangsel',
      logisticsChannelId: '8005',
    }),
    wrongType: ['requiredAttributes', { id: '200001' }],
    required: 'channelCategoryId',
    longString: 'brandName',
  },
};

/** A connection of crafter A for the disconnect route (written directly: connecting needs a marketplace). */
let connectionOfA = '';
/** A partner-brand enrolment of crafter A the sales-report uploads aim at (never disconnected). */
const salesConnectionOfA = randomUUID();
const SHOPEE_KEY = 'bad-input-partner-key';
const TIKTOK_KEY = 'badinputapp';
const TIKTOK_SECRET = 'bad-input-app-secret';
const hmacHex = (key: string, message: string) => createHmac('sha256', key).update(message).digest('hex');

/** A one-line partner sales report, with some cells replaced. */
function salesCsv(cells: Record<string, string> = {}): string {
  const line = {
    report_line_id: `BI-${uniqueSuffix()}`,
    sku: 'PB-BAD-1',
    quantity: '2',
    unit_price_idr: '45000',
    sold_at: '2026-03-01T10:15:00+07:00',
    outlet: 'Outlet',
    ...cells,
  };
  return `${Object.keys(line).join(',')}\n${Object.values(line).join(',')}\n`;
}
/** Another one the listing routes publish to (the disconnect route's valid case ends the first). */
const listingConnectionOfA = randomUUID();

const api = await startTestApi('bad_input', {
  // Channel settings so that starting an authorization works (it makes no call; nothing listens there).
  SANDBOX_URL: 'http://127.0.0.1:9',
  SHOPEE_PARTNER_ID: '1',
  SHOPEE_PARTNER_KEY: 'bad-input-partner-key',
  TIKTOK_SHOP_APP_KEY: 'badinputapp',
  TIKTOK_SHOP_APP_SECRET: 'bad-input-app-secret',
  BODY_LIMIT_BYTES: String(BODY_LIMIT),
  CSV_IMPORT_LIMIT_BYTES: String(CSV_LIMIT),
  LOGIN_RATE_LIMIT_MAX: '1000',
});
const writeRoutes = api.app.routeTable
  .filter((r) => WRITE_METHODS.has(r.method))
  .map((r) => `${r.method} ${r.url}`);
let world: World;
let target: Target;

beforeAll(async () => {
  world = await buildWorld(api);
  await api.database.db.insert(channelConnections).values({
    id: listingConnectionOfA,
    crafterId: world.crafterA.id,
    channel: 'shopee',
    externalShopId: '7700001',
    ...sealSecrets(api.config.credentialsKeyring, listingConnectionOfA, {
      kind: 'oauth',
      accessToken: 'a',
      refreshToken: 'r',
    }),
  });
  await api.database.db.insert(channelConnections).values({
    id: salesConnectionOfA,
    crafterId: world.crafterA.id,
    channel: 'partner_brand',
    externalShopId: 'prog-bad-input-sales',
    partnerProgrammeId: 'prog-bad-input-sales',
  });
  target = await freshTarget();
  connectionOfA = randomUUID();
  await api.database.db.insert(channelConnections).values({
    id: connectionOfA,
    crafterId: world.crafterA.id,
    channel: 'partner_brand',
    externalShopId: 'prog-bad-input',
    partnerProgrammeId: 'prog-bad-input',
    ...sealSecrets(api.config.credentialsKeyring, connectionOfA, {
      kind: 'api_key',
      apiKey: 'k',
      apiSecret: 's',
    }),
  });
});

async function freshTarget(): Promise<Target> {
  const product = await freshProductOfA(world);
  const published = await api.app.inject({
    method: 'POST',
    url: `/v1/products/${product.id}/listings`,
    headers: api.auth(world.principals.operator),
    payload: { connectionIds: [listingConnectionOfA] },
  });
  if (published.statusCode !== 200) throw new Error(`not published: ${published.body}`);
  const listing = published.json().items[0] as { id: string; version: number };
  const read = await api.app.inject({
    method: 'GET',
    url: `/v1/products/${product.id}`,
    headers: api.auth(world.principals.operator),
  });
  return {
    ...product,
    skus: (read.json().variants as { sku: string }[]).map((v) => v.sku),
    crafterEtag: await crafterEtagOfA(world),
    listingId: listing.id,
    listingEtag: `"${listing.version}"`,
  };
}
afterAll(async () => {
  await api.close();
});

const TABLES = [
  'crafters',
  'users',
  'products',
  'variants',
  'audit_log',
  'outbox',
  'idempotency_keys',
  'channel_connections',
  'connection_auth_states',
  'channel_listings',
  'channel_category_mappings',
  'orders',
  'order_lines',
  'channel_pull_runs',
  'stock_movements',
] as const;

/** Everything a write could change: row counts and the versions of the records aimed at. */
async function snapshot(): Promise<Record<string, unknown>> {
  const counts: Record<string, unknown> = {};
  for (const table of TABLES) {
    const [r] = await api.database.sql.unsafe(`select count(*)::int as n from ${table}`);
    counts[table] = r?.n;
  }
  const [crafter] = await api.database
    .sql`select version, phone, updated_at from crafters where id = ${world.crafterA.id}`;
  const [product] = await api.database
    .sql`select version, title, deleted_at, updated_at from products where id = ${target.id}`;
  const [listing] = await api.database
    .sql`select version, state, price_markup_kind, stock_buffer_percent from channel_listings where id = ${target.listingId}`;
  const mappings = await api.database
    .sql`select channel, canonical_category, version from channel_category_mappings order by 1, 2`;
  return { counts, crafter, product, listing, mappings };
}

function authFor(spec: WriteSpec): Record<string, string> {
  return spec.as === 'none' ? {} : world.api.auth(world.principals.operator);
}

function baseRequest(key: string, spec: WriteSpec): MatrixRequest & { headers: Record<string, string> } {
  const [method] = key.split(' ');
  const idempotencyKey: Record<string, string> =
    method === 'POST' && spec.as !== 'none' ? { 'idempotency-key': `bad-${uniqueSuffix()}` } : {};
  return {
    method: method as HTTPMethods,
    url: spec.url(world, target),
    headers: {
      ...authFor(spec),
      ...spec.headers?.(target),
      // A bad request must not leave an idempotency key behind either.
      ...idempotencyKey,
    },
  };
}

function jsonRequest(key: string, spec: WriteSpec, body: unknown): MatrixRequest {
  const base = baseRequest(key, spec);
  return {
    ...base,
    headers: { ...base.headers, 'content-type': 'application/json' },
    payload: JSON.stringify(body),
  };
}

function rawRequest(key: string, spec: WriteSpec, contentType: string | undefined, payload: string | Buffer) {
  const base = baseRequest(key, spec);
  return {
    ...base,
    headers: { ...base.headers, ...(contentType ? { 'content-type': contentType } : {}) },
    payload,
  };
}

interface BadCase {
  name: string;
  request: MatrixRequest;
  /** Acceptable (status, code) pairs. */
  expect: Array<[number, string]>;
}

const VALIDATION: [number, string] = [400, 'validation_failed'];
const MALFORMED: [number, string] = [400, 'malformed_body'];

function withVariant(body: Body, change: Record<string, number>): Body {
  const variants = (body.variants as Body[]).map((v, i) => (i === 0 ? { ...v, ...change } : v));
  return { ...body, variants };
}

function badCases(key: string, spec: WriteSpec): BadCase[] {
  const cases: BadCase[] = [];
  const contentType = spec.body === 'csv' ? 'text/csv' : 'application/json';
  if (spec.body === 'json') {
    const valid = json(spec, world, target);
    if (spec.wrongType) {
      const [field, value] = spec.wrongType;
      cases.push({
        name: `wrong type (${field})`,
        request: jsonRequest(key, spec, { ...valid, [field]: value }),
        expect: [VALIDATION],
      });
    }
    cases.push({
      name: 'a number where an object is expected',
      request: jsonRequest(key, spec, 42),
      expect: [VALIDATION],
    });
    if (spec.required) {
      const { [spec.required]: _dropped, ...rest } = valid;
      cases.push({
        name: `missing ${spec.required}`,
        request: jsonRequest(key, spec, rest),
        expect: [VALIDATION],
      });
    } else {
      cases.push({ name: 'no field at all', request: jsonRequest(key, spec, {}), expect: [VALIDATION] });
    }
    cases.push({
      name: 'unknown field',
      request: jsonRequest(key, spec, { ...valid, isAdmin: true }),
      expect: [VALIDATION],
    });
    if (spec.longString) {
      cases.push({
        name: `oversize string (${spec.longString})`,
        request: jsonRequest(key, spec, { ...valid, [spec.longString]: LONG.slice(0, BODY_LIMIT - 1000) }),
        expect: [VALIDATION],
      });
    }
    if (spec.variants) {
      cases.push({
        name: 'negative price',
        request: jsonRequest(key, spec, withVariant(valid, { priceIdr: -1 })),
        expect: [VALIDATION],
      });
      cases.push({
        name: 'negative stock',
        request: jsonRequest(key, spec, withVariant(valid, { stock: -5 })),
        expect: [VALIDATION],
      });
      cases.push({
        name: 'fractional price',
        request: jsonRequest(key, spec, withVariant(valid, { priceIdr: 1.5 })),
        expect: [VALIDATION],
      });
      cases.push({
        name: 'price beyond 64-bit',
        request: jsonRequest(key, spec, withVariant(valid, { priceIdr: 1e300 })),
        expect: [VALIDATION],
      });
    }
    cases.push({
      name: 'NUL character in a string',
      request: jsonRequest(key, spec, { ...valid, [spec.longString ?? 'x']: 'a\u0000b' }),
      expect: [VALIDATION, MALFORMED],
    });
  }
  if (spec.body === 'csv' && spec.csvCases) {
    for (const c of spec.csvCases) {
      cases.push({ name: c.name, request: rawRequest(key, spec, 'text/csv', c.text), expect: [VALIDATION] });
    }
    cases.push({
      name: 'a JSON body',
      request: jsonRequest(key, spec, { rows: [] }),
      expect: [[415, 'unsupported_media_type']],
    });
  } else if (spec.body === 'csv') {
    const valid = productCsv();
    const [header = '', line = ''] = valid.split('\n');
    const cells = line.split(',');
    const csvWith = (column: string, value: string) => {
      const i = header.split(',').indexOf(column);
      const copy = [...cells];
      copy[i] = value;
      return `${header}\n${copy.join(',')}`;
    };
    const csv = (name: string, text: string) =>
      cases.push({ name, request: rawRequest(key, spec, 'text/csv', text), expect: [VALIDATION] });
    csv('wrong type (price_idr)', csvWith('price_idr', 'mahal'));
    csv('missing column', `${header.replace(',title', '')}\n${cells.filter((_, i) => i !== 1).join(',')}`);
    csv('unknown column', `${header},is_admin\n${line},true`);
    csv('oversize string (title)', csvWith('title', LONG.slice(0, 3000)));
    csv('negative price', csvWith('price_idr', '-1'));
    csv('negative stock', csvWith('stock', '-3'));
    csv('unterminated quote', `${header}\n"${line}`);
    cases.push({
      name: 'a JSON body',
      request: jsonRequest(key, spec, { rows: [] }),
      expect: [[415, 'unsupported_media_type']],
    });
  }
  // Classes that apply to every write route, body or not.
  cases.push({
    name: 'malformed JSON',
    request: rawRequest(key, spec, 'application/json', '{"title": "Tas", '),
    expect: spec.body === 'csv' ? [[415, 'unsupported_media_type'], MALFORMED] : [MALFORMED],
  });
  cases.push({
    name: 'invalid UTF-8',
    request: rawRequest(
      key,
      spec,
      contentType,
      Buffer.concat([
        Buffer.from(spec.body === 'csv' ? `${productCsv()}` : '{"title": "Tas '),
        Buffer.from([0xc3, 0x28, 0xff]),
        Buffer.from(spec.body === 'csv' ? '\n' : '"}'),
      ]),
    ),
    expect: [MALFORMED],
  });
  cases.push({
    name: 'unsupported content type (application/xml)',
    request: rawRequest(key, spec, 'application/xml', '<product><title>Tas</title></product>'),
    expect: [[415, 'unsupported_media_type']],
  });
  const limit = spec.body === 'csv' ? CSV_LIMIT : BODY_LIMIT;
  cases.push({
    name: `oversize body (> ${limit} bytes)`,
    request: rawRequest(
      key,
      spec,
      contentType,
      spec.body === 'csv'
        ? `${productCsv()}\n${'x,'.repeat(limit)}`
        : JSON.stringify({ title: LONG.repeat(2) }),
    ),
    expect: [[413, 'payload_too_large']],
  });
  if (spec.body !== 'none') {
    cases.push({
      name: 'empty body',
      request: rawRequest(key, spec, contentType, ''),
      expect: [VALIDATION, MALFORMED],
    });
    cases.push({
      name: 'no body and no content type',
      request: baseRequest(key, spec),
      expect: [VALIDATION, MALFORMED, [415, 'unsupported_media_type']],
    });
  }
  if (key.includes(':id')) {
    const base = baseRequest(key, spec);
    const badId = base.url?.toString().replace(/[0-9a-f-]{36}/, 'not-a-uuid') ?? '';
    const valid = spec.body === 'none' ? undefined : spec.valid(world, target);
    const payload =
      valid === undefined ? undefined : typeof valid === 'string' ? valid : JSON.stringify(valid);
    const type = typeof valid === 'string' ? 'text/csv' : 'application/json';
    cases.push({
      name: 'bad uuid in the path',
      request: {
        ...base,
        url: badId,
        headers: { ...base.headers, ...(payload ? { 'content-type': type } : {}) },
        ...(payload ? { payload } : {}),
      },
      expect: [VALIDATION],
    });
  }
  if (spec.headers) {
    const base = baseRequest(key, spec);
    const payload = spec.body === 'json' ? JSON.stringify(json(spec, world, target)) : undefined;
    const withIfMatch = (value: string | undefined): MatrixRequest => {
      const { 'if-match': _old, ...rest } = base.headers;
      return {
        ...base,
        headers: {
          ...rest,
          ...(value === undefined ? {} : { 'if-match': value }),
          ...(payload ? { 'content-type': 'application/json' } : {}),
        },
        ...(payload ? { payload } : {}),
      };
    };
    cases.push({
      name: 'no If-Match',
      request: withIfMatch(undefined),
      expect: [[428, 'if_match_required']],
    });
    cases.push({
      name: 'garbage If-Match',
      request: withIfMatch('"banana"'),
      expect: [[412, 'version_mismatch'], VALIDATION],
    });
    cases.push({
      name: 'stale If-Match',
      request: withIfMatch('"999"'),
      expect: [[412, 'version_mismatch']],
    });
  }
  // Routes with refusals of their own accept them for every case.
  return spec.rejects ? cases.map((c) => ({ ...c, expect: [...c.expect, ...(spec.rejects ?? [])] })) : cases;
}

function expectRejected(res: LightMyRequestResponse, allowed: Array<[number, string]>): void {
  expect(res.statusCode, res.body).toBeGreaterThanOrEqual(400);
  expect(res.statusCode, res.body).toBeLessThan(500);
  expect(res.headers['content-type']).toContain('application/problem+json');
  const body = res.json() as { status: number; code: string };
  expect(body.status).toBe(res.statusCode);
  expect(allowed.map(([s, c]) => `${s} ${c}`)).toContain(`${res.statusCode} ${body.code}`);
}

describe('bad input to write routes', () => {
  it('every write route has a bad-input spec, and every spec a route', () => {
    expect(writeRoutes.filter((k) => !(k in specs))).toEqual([]);
    expect(Object.keys(specs).filter((k) => !writeRoutes.includes(k))).toEqual([]);
  });

  for (const key of writeRoutes) {
    const spec = specs[key];
    describe(key, () => {
      if (!spec) {
        it('has a bad-input spec', () => expect.fail(`${key} has no spec in bad-input.test.ts`));
        return;
      }
      it('is rejected with a 4xx problem and writes nothing, for every class of bad input', async () => {
        for (const bad of badCases(key, spec)) {
          const before = await snapshot();
          const res = await api.app.inject(bad.request);
          try {
            expectRejected(res, bad.expect);
            expect(await snapshot()).toEqual(before);
          } catch (err) {
            throw new Error(`${key} / ${bad.name}: ${(err as Error).message}`);
          }
        }
      });

      // Proves the variations above start from a request the route accepts.
      it('accepts the valid request the bad ones are made from', async () => {
        if (spec.validRequest) {
          const res = await api.app.inject(spec.validRequest(world));
          expect(res.statusCode, res.body).toBeGreaterThanOrEqual(200);
          expect(res.statusCode, res.body).toBeLessThan(300);
          return;
        }
        const fresh = await freshTarget();
        const base = baseRequest(key, spec);
        const valid = spec.valid(world, fresh);
        const headers: Record<string, string> = { ...base.headers, ...spec.headers?.(fresh) };
        const request: MatrixRequest = {
          ...base,
          url: spec.url(world, fresh),
          headers:
            valid === undefined
              ? headers
              : { ...headers, 'content-type': typeof valid === 'string' ? 'text/csv' : 'application/json' },
          ...(valid === undefined
            ? {}
            : { payload: typeof valid === 'string' ? valid : JSON.stringify(valid) }),
        };
        const res = await api.app.inject(request);
        expect(res.statusCode, res.body).toBeGreaterThanOrEqual(200);
        expect(res.statusCode, res.body).toBeLessThan(300);
      });
    });
  }
});

describe('bad query parameters and ids on read routes', () => {
  const cursor = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const cases: Array<[string, string]> = [
    ['limit is not a number', '/v1/crafters?limit=abc'],
    ['limit is negative', '/v1/products?limit=-1'],
    ['limit is too big', '/v1/users?limit=100000'],
    ['limit is fractional', '/v1/products?limit=2.5'],
    ['unknown query parameter', '/v1/products?sort=price'],
    ['unknown query parameter on crafters', '/v1/crafters?drop=table'],
    ['bad status filter', '/v1/products?status=sold'],
    ['bad crafterId filter', '/v1/products?crafterId=123'],
    ['bad crafterId filter on export', '/v1/products/export.csv?crafterId=123'],
    ['bad region code', '/v1/crafters?regionCode=serpong'],
    ['bad region root', '/v1/regions?root=36'],
    ['bad role filter', '/v1/users?role=root'],
    ['garbage product cursor', '/v1/products?cursor=%%%garbage'],
    ['product cursor of the wrong shape', `/v1/products?cursor=${cursor({ t: 'yesterday', id: 1 })}`],
    [
      'product cursor that is not JSON',
      `/v1/products?cursor=${Buffer.from('not json').toString('base64url')}`,
    ],
    ['overlong cursor', `/v1/crafters?cursor=${'a'.repeat(500)}`],
    ['bad crafter id', '/v1/crafters/not-a-uuid'],
    ['bad user id', '/v1/users/12345'],
    ['bad product id', '/v1/products/00000000-0000-0000-0000-00000000000g'],
    ['overlong id', `/v1/products/${'a'.repeat(300)}`],
    ['bad connection id', '/v1/connections/not-a-uuid'],
    ['bad listing id', '/v1/listings/not-a-uuid'],
    ['bad connection id in a pull-run list', '/v1/connections/not-a-uuid/pull-runs'],
    ['garbage pull-run cursor', '/v1/connections/00000000-0000-0000-0000-000000000000/pull-runs?cursor=%%%x'],
    ['bad product id in a listing list', '/v1/products/not-a-uuid/listings'],
    ['bad listing state filter', '/v1/connections/00000000-0000-0000-0000-000000000000/listings?state=gone'],
    ['unknown channel filter on category mappings', '/v1/category-mappings?channel=lazada'],
    ['bad crafter id in a connection list', '/v1/crafters/not-a-uuid/connections'],
    ['unknown channel in a callback', '/v1/connections/callback/lazada?state=a&code=b'],
    ['callback without a state', '/v1/connections/callback/shopee?code=b&shop_id=1'],
    [
      'callback with a non-numeric Shopee shop id',
      '/v1/connections/callback/shopee?state=a.b&code=b&shop_id=x',
    ],
    [
      'bad includeDisconnected flag',
      `/v1/crafters/00000000-0000-0000-0000-000000000000/connections?includeDisconnected=maybe`,
    ],
    ['broken percent-encoding in the path', '/v1/products/%E0%A4%A'],
    ['bad product id in a stock ledger', '/v1/products/not-a-uuid/stock-movements'],
    [
      'bad variantId filter on a stock ledger',
      '/v1/products/00000000-0000-0000-0000-000000000000/stock-movements?variantId=x',
    ],
  ];
  it.each(cases)('%s → 4xx problem', async (_name, url) => {
    const res = await api.app.inject({ method: 'GET', url, headers: api.auth(world.principals.operator) });
    expect(res.statusCode, res.body).toBeGreaterThanOrEqual(400);
    expect(res.statusCode, res.body).toBeLessThan(500);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(typeof res.json().code).toBe('string');
  });

  it('every list refuses a cursor it did not issue with a 400, instead of starting again at page 1', async () => {
    // The lists are the GET operations with a `cursor` parameter, so a new list is covered too.
    const doc = (await api.app.inject({ method: 'GET', url: '/docs/json' })).json() as {
      paths: Record<string, { get?: { parameters?: { name: string; in: string }[] } }>;
    };
    const lists = Object.entries(doc.paths)
      .filter(([, item]) => item.get?.parameters?.some((p) => p.in === 'query' && p.name === 'cursor'))
      .map(([path]) => path);
    expect(lists).toEqual(expect.arrayContaining(['/v1/crafters', '/v1/users', '/v1/products']));
    const bad = [
      '%%%',
      'bm90LWEtdXVpZA', // base64url of "not-a-uuid"
      Buffer.from('{"t":1}').toString('base64url'),
      Buffer.from('"00000000-0000-0000-0000-00000000000g"').toString('base64url'),
    ];
    for (const path of lists) {
      for (const cursor of bad) {
        // Path parameters (a crafter's connections) name a real crafter, so only the cursor is wrong.
        const url = `${path.replace(/\{[^}]+\}/g, world.crafterA.id)}?cursor=${encodeURIComponent(cursor)}`;
        const res = await api.app.inject({
          method: 'GET',
          url,
          headers: api.auth(world.principals.operator),
        });
        expect(res.statusCode, `${url}: ${res.body}`).toBe(400);
        expect(res.headers['content-type']).toContain('application/problem+json');
        expect(res.json()).toMatchObject({
          code: 'validation_failed',
          errors: [{ path: 'query.cursor', message: 'invalid cursor' }],
        });
      }
    }
  });

  it('every route with an :id refuses a malformed one', () => {
    const withId = api.app.routeTable.filter((r) => r.url.includes(':id')).map((r) => `${r.method} ${r.url}`);
    const covered = new Set([
      'GET /v1/crafters/:id',
      'GET /v1/users/:id',
      'GET /v1/products/:id',
      'GET /v1/connections/:id',
      'GET /v1/listings/:id',
      'GET /v1/products/:id/listings',
      'GET /v1/connections/:id/listings',
      'GET /v1/connections/:id/pull-runs',
      'GET /v1/products/:id/stock-movements',
    ]);
    for (const key of withId) {
      expect(
        covered.has(key) || WRITE_METHODS.has(key.split(' ')[0] ?? ''),
        `${key} has no bad-id case`,
      ).toBe(true);
    }
  });
});
