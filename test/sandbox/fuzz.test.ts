/**
 * Fuzzes every route the sandbox registers (taken from Fastify's own route table, so a new route is
 * covered without anyone listing it) with malformed input, unsigned and correctly signed: no answer
 * may be a 5xx (no fault is injected here), and every error must be the platform's own error shape
 * with a client-error code, never its internal-error code. Seeded and bounded, so a failure replays.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import type { PlatformFactory, PlatformModule } from '../../sandbox/core/contract.js';
import { buildSandbox, type Sandbox } from '../../sandbox/server.js';
import { documentedPartnerSignature } from './partner-brand/client.js';
import {
  addItemBody,
  authorizedClient,
  type ShopeeTestClient,
  sign as shopeeSign,
  tinyPng,
} from './shopee/client.js';
import { documentedSign, makePng } from './tiktok-shop/client.js';
import { productBody, sku } from './tiktok-shop/fixtures.js';

/** Fixed, so a failure replays; `FUZZ_SEED=<n>` explores other inputs by hand (CI keeps the default). */
const SEED = Number(process.env.FUZZ_SEED ?? 20_260_701);
/** Random JSON bodies / queries per route and signing mode; the static catalogue below comes on top. */
const RANDOM_BODIES = 4;
const RANDOM_QUERIES = 2;
/** Mutants of each valid call in the seed corpus. */
const MUTANTS = 25;

// ---------------------------------------------------------------------------------------------------
// Deterministic generator

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

const random = mulberry32(SEED);
const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;

/**
 * Field names the sandbox itself uses (object keys in its source), so random bodies hit real fields
 * and new fields are tried without anyone listing them. The inputs therefore follow the code: a run
 * replays exactly for a given tree and seed.
 */
function fieldDictionary(): string[] {
  const files: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith('.ts')) files.push(path);
    }
  };
  walk(join(import.meta.dirname, '../../sandbox'));
  const keys = new Set<string>();
  for (const file of files.sort()) {
    for (const match of readFileSync(file, 'utf8').matchAll(/\b([a-z][a-zA-Z0-9_]{1,40})\??:\s/g)) {
      keys.add(match[1] as string);
    }
  }
  return [...keys].sort();
}
const FIELDS = fieldDictionary();

const HOSTILE_SCALARS: readonly unknown[] = [
  -1,
  0,
  1,
  -2_147_483_649,
  2 ** 53 + 2,
  9_000_000_000_000_000,
  -9_000_000_000_000_000,
  1e21,
  1.7976931348623157e308,
  -1e308,
  0.5,
  '',
  ' ',
  'x',
  '-1',
  '0',
  '1e400',
  'NaN',
  'Infinity',
  '99999999999999999999999999',
  '１２３',
  'Batik ✨ 蜡染 🧵 عربى',
  '\u0000',
  '\ud800',
  '<script>alert(1)</script>',
  '../../etc/passwd',
  '%E0%A4%A',
  '2026-13-45T99:99:99Z',
  '1970-01-01T00:00:00Z',
  'x'.repeat(5000),
  true,
  false,
  null,
];

function randomValue(depth: number): unknown {
  const roll = random();
  if (depth > 3 || roll < 0.55) return pick(HOSTILE_SCALARS);
  if (roll < 0.75) return Array.from({ length: Math.floor(random() * 4) }, () => randomValue(depth + 1));
  return randomObject(depth + 1);
}

function randomObject(depth = 0): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const size = 1 + Math.floor(random() * 6);
  for (let i = 0; i < size; i += 1)
    out[random() < 0.9 ? pick(FIELDS) : pick(['', '__proto__', '💥'])] = randomValue(depth);
  return out;
}

/** encodeURIComponent, except that a lone surrogate goes out as the invalid UTF-8 it would be. */
function encode(value: string): string {
  try {
    return encodeURIComponent(value);
  } catch {
    return '%ED%A0%80';
  }
}

function randomQuery(): string {
  const params: string[] = [];
  const size = 1 + Math.floor(random() * 5);
  for (let i = 0; i < size; i += 1) {
    const key = pick(FIELDS);
    const raw = pick(HOSTILE_SCALARS);
    const value = typeof raw === 'string' ? raw.slice(0, 300) : JSON.stringify(raw);
    params.push(`${encode(key)}=${encode(value)}`);
    if (random() < 0.2) params.push(`${encode(key)}=${encode(value)}`);
  }
  if (random() < 0.3) params.push(pick(['%E0%A4%A=1', 'a', '=', '&&', 'x=%', 'x[]=1&x[]=2']));
  return params.join('&');
}

// ---------------------------------------------------------------------------------------------------
// The catalogue of malformed bodies

interface Body {
  name?: string;
  contentType?: string;
  payload?: string | Buffer;
  /**
   * The body cannot be read at all (as JSON anywhere; as multipart on an upload route): a signed call
   * must get the platform's parameter error, or an authentication error when the fuzz signed it the
   * wrong way for the route (as a shop on a public API, without a shop_cipher), never success.
   */
  unreadable?: 'json' | 'multipart';
}

const BOUNDARY = 'fuzzboundary';
const part = (headers: string, content: string | Buffer): Buffer =>
  Buffer.concat([
    Buffer.from(`--${BOUNDARY}\r\n${headers}\r\n\r\n`),
    Buffer.from(content),
    Buffer.from('\r\n'),
  ]);
const multipartOf = (...parts: Buffer[]): Buffer =>
  Buffer.concat([...parts, Buffer.from(`--${BOUNDARY}--\r\n`)]);
const MULTIPART = `multipart/form-data; boundary=${BOUNDARY}`;

const STATIC_BODIES: readonly Body[] = [
  { name: 'no body' },
  { name: 'empty json', contentType: 'application/json', payload: '', unreadable: 'json' },
  { name: 'truncated json', contentType: 'application/json', payload: '{"item_id": ', unreadable: 'json' },
  { name: 'not json', contentType: 'application/json', payload: "{item_id: 1, 'x'}", unreadable: 'json' },
  { name: 'json null', contentType: 'application/json', payload: 'null' },
  { name: 'json array', contentType: 'application/json', payload: '[{"item_id":1},[]]' },
  { name: 'json string', contentType: 'application/json', payload: '"batik"' },
  { name: 'json number', contentType: 'application/json', payload: '123' },
  { name: 'json true', contentType: 'application/json', payload: 'true' },
  {
    name: 'proto pollution',
    contentType: 'application/json',
    payload: '{"__proto__":{"x":1},"constructor":{"prototype":{"y":2}}}',
  },
  {
    name: 'deep nesting',
    contentType: 'application/json',
    payload: `${'['.repeat(2000)}${']'.repeat(2000)}`,
  },
  { name: 'bom', contentType: 'application/json', payload: '\ufeff{}' },
  { name: 'latin1 json', contentType: 'application/json; charset=latin1', payload: '{"a":"\u00e9"}' },
  { name: 'text/plain', contentType: 'text/plain', payload: 'hello' },
  { name: 'xml', contentType: 'application/xml', payload: '<item><id>1</id></item>' },
  { name: 'form urlencoded', contentType: 'application/x-www-form-urlencoded', payload: 'item_id=1&x' },
  { name: 'body without content type', payload: '{"item_id":1}' },
  {
    name: 'binary',
    contentType: 'application/octet-stream',
    payload: Buffer.from([0, 255, 1, 254, 0x89, 0x50]),
  },
  {
    name: 'multipart without boundary',
    contentType: 'multipart/form-data',
    payload: 'abc',
    unreadable: 'multipart',
  },
  {
    name: 'multipart garbage',
    contentType: MULTIPART,
    payload: 'this is not multipart at all',
    unreadable: 'multipart',
  },
  {
    name: 'multipart truncated',
    contentType: MULTIPART,
    payload: Buffer.concat([
      Buffer.from(
        `--${BOUNDARY}\r\nContent-Disposition: form-data; name="data"; filename="a.png"\r\nContent-Type: image/png\r\n\r\n`,
      ),
      tinyPng.subarray(0, 20),
    ]),
    unreadable: 'multipart',
  },
  {
    name: 'multipart part without disposition',
    contentType: MULTIPART,
    payload: multipartOf(part('Content-Type: text/plain', 'x')),
  },
  {
    name: 'multipart text where a file is expected',
    contentType: MULTIPART,
    payload: multipartOf(
      part('Content-Disposition: form-data; name="data"', 'not a file'),
      part('Content-Disposition: form-data; name="image"', 'not a file'),
    ),
  },
  {
    name: 'multipart file that is not an image',
    contentType: MULTIPART,
    payload: multipartOf(
      part('Content-Disposition: form-data; name="use_case"', 'MAIN_IMAGE'),
      part(
        'Content-Disposition: form-data; name="data"; filename="a.png"\r\nContent-Type: image/png',
        'GIF89a',
      ),
      part(
        'Content-Disposition: form-data; name="image"; filename="a.png"\r\nContent-Type: image/png',
        'GIF89a',
      ),
    ),
  },
  {
    name: 'multipart broken png header',
    contentType: MULTIPART,
    payload: multipartOf(
      part('Content-Disposition: form-data; name="use_case"', '💥'),
      part(
        'Content-Disposition: form-data; name="data"; filename="a.png"\r\nContent-Type: image/png',
        makePng(200, 200).subarray(0, 30),
      ),
      part(
        'Content-Disposition: form-data; name="image"; filename="a.png"\r\nContent-Type: image/png',
        tinyPng.subarray(0, 30),
      ),
    ),
  },
  {
    name: 'multipart too many files',
    contentType: MULTIPART,
    payload: multipartOf(
      ...Array.from({ length: 12 }, (_, i) =>
        part(
          `Content-Disposition: form-data; name="image"; filename="${i}.png"\r\nContent-Type: image/png`,
          tinyPng,
        ),
      ),
    ),
  },
  {
    name: 'multipart too many fields',
    contentType: MULTIPART,
    payload: multipartOf(
      ...Array.from({ length: 30 }, (_, i) => part(`Content-Disposition: form-data; name="f${i}"`, 'x')),
    ),
  },
];

function bodiesForRoute(): Body[] {
  const randomBodies = Array.from({ length: RANDOM_BODIES }, (_, i) => ({
    name: `random json #${i}`,
    contentType: 'application/json',
    payload: JSON.stringify(random() < 0.15 ? [randomObject()] : randomObject()),
  }));
  return [...STATIC_BODIES, ...randomBodies];
}

// ---------------------------------------------------------------------------------------------------
// Routes and path parameters

interface Target {
  platform: PlatformModule | 'control';
  method: string;
  /** Full URL path with `:name` / `{name}` placeholders still in it. */
  url: string;
}

const CONTROL_PREFIX = '/__sandbox';

function targets(sandbox: Sandbox): Target[] {
  const out: Target[] = [];
  const expanded = new Set<string>();
  for (const route of sandbox.routes) {
    if (route.url.startsWith(CONTROL_PREFIX)) {
      out.push({ platform: 'control', method: route.method, url: route.url });
      continue;
    }
    const platform = sandbox.platforms.find((p) => route.url.startsWith(`${p.prefix}/`));
    if (!platform) throw new Error(`route ${route.method} ${route.url} belongs to no platform`);
    if (route.url.endsWith('*')) {
      // A dispatcher route: fuzz each operation behind it once, and every method of the dispatcher
      // itself with stray paths (unknown module, bad version, undecodable segments).
      const operations = platform.operations?.() ?? [];
      if (operations.length === 0)
        throw new Error(`${route.url} dispatches but ${platform.name} lists no operations`);
      if (!expanded.has(platform.name)) {
        expanded.add(platform.name);
        for (const op of operations)
          out.push({ platform, method: op.method, url: `${platform.prefix}${op.path}` });
      }
      out.push({ platform, method: route.method, url: `${route.url.slice(0, -1)}{module}/{version}/{id}` });
      out.push({
        platform,
        method: route.method,
        url: `${route.url.slice(0, -1)}product/{version}/products`,
      });
      continue;
    }
    out.push({ platform, method: route.method, url: route.url });
  }
  // Keep each method + URL once (Fastify lists a route once per method it answers).
  const seen = new Set<string>();
  return out.filter((t) => {
    const key = `${t.method} ${t.url}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

const PARAM_VALUES = [
  'x',
  '-1',
  '0',
  '99999999999999999999999',
  '%F0%9F%A7%B5',
  '%E0%A4%A',
  '%00',
  'null',
  '..%2F..%2Fetc',
];

function fillPath(url: string, known: Record<string, string[]>): string {
  return url.replace(/:([A-Za-z_]+)|\{([A-Za-z_]+)\}/g, (_, a: string | undefined, b: string | undefined) => {
    const name = (a ?? b) as string;
    const real = known[name] ?? [];
    return random() < 0.4 && real.length > 0 ? pick(real) : pick(PARAM_VALUES);
  });
}

// ---------------------------------------------------------------------------------------------------
// Signing, per platform, with the independent test clients' formulas

interface Credentials {
  shopee: ShopeeTestClient;
  tiktok: { appKey: string; appSecret: string; accessToken: string; cipher: string };
  partner: { key: string; secret: string };
}

interface Request {
  method: string;
  url: string;
  headers: Record<string, string>;
  payload?: string | Buffer;
}

function buildRequest(
  sandbox: Sandbox,
  creds: Credentials,
  target: Target,
  path: string,
  query: string,
  body: Body,
  signed: boolean,
  fixed: { asShop?: boolean; shopCipher?: boolean } = {},
): Request {
  const headers: Record<string, string> = {};
  if (body.contentType !== undefined) headers['content-type'] = body.contentType;
  const payload = body.payload;
  const now = sandbox.ctx.clock.nowSeconds();
  const platform = target.platform === 'control' ? 'control' : target.platform.name;
  const prefix = target.platform === 'control' ? CONTROL_PREFIX : target.platform.prefix;
  const platformPath = path.slice(prefix.length);
  let url = `${path}${query === '' ? '' : `?${query}`}`;

  if (signed && platform === 'shopee') {
    // Shopee signs the path only; the fuzzed query comes after the common parameters.
    const c = creds.shopee;
    const asShop = fixed.asShop ?? random() < 0.7;
    const base = asShop
      ? `${c.partnerId}${platformPath}${now}${c.accessToken}${c.shopId}`
      : `${c.partnerId}${platformPath}${now}`;
    const common = new URLSearchParams({ partner_id: String(c.partnerId), timestamp: String(now) });
    if (asShop) {
      common.set('access_token', c.accessToken ?? '');
      common.set('shop_id', String(c.shopId));
    }
    common.set('sign', shopeeSign(c.partnerKey, base));
    url = `${path}?${common.toString()}${query === '' ? '' : `&${query}`}`;
  } else if (signed && platform === 'tiktok-shop') {
    // TikTok signs the sorted query and the raw body (not a multipart one); fuzzed keys are signed too.
    const t = creds.tiktok;
    const params = new URLSearchParams(query);
    params.set('app_key', t.appKey);
    params.set('timestamp', String(now));
    if (fixed.shopCipher ?? random() < 0.75) params.set('shop_cipher', t.cipher);
    params.delete('sign');
    const flat: Record<string, string> = {};
    for (const [key, value] of params) flat[key] = value;
    const isMultipart = body.contentType?.startsWith('multipart/') ?? false;
    const raw = payload === undefined || isMultipart ? undefined : payload.toString();
    params.set('sign', documentedSign(t.appSecret, platformPath, flat, raw));
    headers['x-tts-access-token'] = t.accessToken;
    url = `${path}?${params.toString()}`;
  } else if (signed && platform === 'partner-brand') {
    const p = creds.partner;
    headers['x-partner-key'] = p.key;
    headers['x-partner-timestamp'] = String(now);
    headers['x-partner-signature'] = documentedPartnerSignature(
      p.secret,
      String(now),
      target.method,
      url.slice(prefix.length),
      payload ?? '',
    );
  }
  return { method: target.method, url, headers, ...(payload === undefined ? {} : { payload }) };
}

// ---------------------------------------------------------------------------------------------------
// What an answer must look like

interface Verdict {
  ok: boolean;
  why?: string;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Authentication errors a call the fuzz signed the wrong way for its route may get before its body is read. */
const SHOPEE_AUTH_ERRORS = ['error_sign', 'error_auth', 'invalid_acceess_token'];
const TIKTOK_AUTH_ERRORS = [106001, 106013, 105002];

/**
 * What a correctly signed call with an unreadable body must get. `param`: the platform's parameter
 * error (or an authentication error, when the fuzz signed it the wrong way for the route): Shopee and
 * the partner brand read JSON before any business rule, and every platform reads the multipart body of
 * an upload first. `failure`: TikTok reads the body after its business look-ups (an unknown product
 * answers first), so only "not a success" can be required there.
 */
type Expectation = 'param' | 'failure' | undefined;

function expectation(platform: string, method: string, path: string, body: Body): Expectation {
  if (!['POST', 'PUT', 'PATCH'].includes(method) || body.unreadable === undefined) return undefined;
  if (body.unreadable === 'multipart') return path.includes('upload') ? 'param' : undefined;
  return platform === 'tiktok-shop' ? 'failure' : 'param';
}

/**
 * The partner-brand API is ours, defined by docs/partner-brand-api.yaml: each answer's status must be
 * one the operation documents, and each error code one of the documented enum.
 */
interface SpecOperation {
  method: string;
  path: string;
  pattern: RegExp;
  statuses: Set<number>;
}

function loadPartnerSpec(): { operations: SpecOperation[]; codes: Set<string> } {
  const doc = parseYaml(
    readFileSync(join(import.meta.dirname, '../../docs/partner-brand-api.yaml'), 'utf8'),
  ) as {
    paths: Record<string, Record<string, { responses?: Record<string, unknown> }>>;
    components: {
      schemas: { Error: { properties: { error: { properties: { code: { enum: string[] } } } } } };
    };
  };
  const operations: SpecOperation[] = [];
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const [method, operation] of Object.entries(item)) {
      if (!operation.responses) continue;
      const pattern = new RegExp(`^${path.replace(/\./g, '\\.').replace(/\{[^}]+\}/g, '[^/]+')}$`);
      operations.push({
        method: method.toUpperCase(),
        path,
        pattern,
        statuses: new Set(Object.keys(operation.responses).map(Number)),
      });
    }
  }
  return { operations, codes: new Set(doc.components.schemas.Error.properties.error.properties.code.enum) };
}
const PARTNER_SPEC = loadPartnerSpec();

function checkPartnerContract(method: string, url: string, status: number, text: string): Verdict {
  if (method === 'HEAD') return { ok: true };
  const path = (url.split('?')[0] ?? '').slice('/partner-brand'.length);
  const operation = PARTNER_SPEC.operations.find((o) => o.method === method && o.pattern.test(path));
  if (!operation) return { ok: false, why: `${method} ${path} is not in docs/partner-brand-api.yaml` };
  if (!operation.statuses.has(status))
    return { ok: false, why: `HTTP ${status} is not documented for ${method} ${operation.path}` };
  if (status >= 400) {
    const code = (JSON.parse(text) as { error: { code: string } }).error.code;
    if (!PARTNER_SPEC.codes.has(code)) return { ok: false, why: `error code ${code} is not documented` };
  }
  return { ok: true };
}

function refusedAsBadlySigned(platform: string, text: string): boolean {
  try {
    const body = JSON.parse(text) as { code?: unknown; error?: { code?: unknown } };
    if (platform === 'tiktok-shop') return body.code === 106001;
    if (platform === 'partner-brand') return body.error?.code === 'invalid_signature';
  } catch {
    // not JSON: not a signature error
  }
  return false;
}

function judge(
  platform: string,
  method: string,
  status: number,
  contentType: string,
  text: string,
  expect: Expectation,
  url: string,
): Verdict {
  const verdict = checkAnswer(platform, method, status, contentType, text, expect);
  if (!verdict.ok || platform !== 'partner-brand') return verdict;
  return checkPartnerContract(method, url, status, text);
}

function checkAnswer(
  platform: string,
  method: string,
  status: number,
  contentType: string,
  text: string,
  expect: Expectation,
): Verdict {
  if (status >= 500) return { ok: false, why: `HTTP ${status}` };
  if (method === 'HEAD') return { ok: true };
  const isJson = contentType.includes('application/json');
  if (!isJson) {
    // Redirects (authorization pages), served images and CSV reports are not envelopes; errors are.
    if (status < 400) return { ok: true };
    if (platform === 'shopee' && status === 404 && text === '') return { ok: true }; // `/file/:id` like a CDN
    return { ok: false, why: `HTTP ${status} with content-type "${contentType}"` };
  }
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return { ok: false, why: 'body is not JSON' };
  }
  if (!isRecord(body)) return { ok: false, why: 'body is not an object' };
  switch (platform) {
    case 'shopee': {
      if (
        typeof body.request_id !== 'string' ||
        typeof body.error !== 'string' ||
        typeof body.message !== 'string'
      )
        return { ok: false, why: 'not a Shopee envelope (request_id / error / message)' };
      if (body.error === 'error_server' || body.error === 'error_inner')
        return { ok: false, why: `internal error code ${body.error}` };
      if (body.error === '' && status >= 400)
        return { ok: false, why: `HTTP ${status} without an error code` };
      if (expect === 'param' && !['error_param', ...SHOPEE_AUTH_ERRORS].includes(body.error))
        return { ok: false, why: `unreadable body answered ${body.error || 'success'}, not error_param` };
      return { ok: true };
    }
    case 'tiktok-shop': {
      if (
        typeof body.code !== 'number' ||
        typeof body.message !== 'string' ||
        typeof body.request_id !== 'string'
      )
        return { ok: false, why: 'not a TikTok envelope (code / message / request_id)' };
      if (body.code === 36009999) return { ok: false, why: 'internal error code 36009999' };
      if (status !== 200 && ![401, 404, 405, 429].includes(status))
        return { ok: false, why: `HTTP ${status} is not a documented TikTok status` };
      if (status >= 400 && body.code === 0) return { ok: false, why: `HTTP ${status} with code 0` };
      if (expect === 'param' && ![36009004, 36009022, ...TIKTOK_AUTH_ERRORS].includes(body.code))
        return { ok: false, why: `unreadable body answered code ${body.code}, not 36009004 / 36009022` };
      if (expect === 'failure' && body.code === 0)
        return { ok: false, why: 'unreadable body answered success' };
      return { ok: true };
    }
    case 'partner-brand': {
      if (expect === 'param' && status < 400) return { ok: false, why: 'unreadable body answered success' };
      if (status < 400) return { ok: true };
      const error = body.error;
      if (!isRecord(error) || typeof error.code !== 'string' || typeof error.message !== 'string')
        return { ok: false, why: 'not a partner-brand error ({ error: { code, message } })' };
      if (error.code === 'internal_error') return { ok: false, why: 'internal_error' };
      if (expect === 'param' && error.code !== 'validation_failed')
        return { ok: false, why: `unreadable body answered ${error.code}, not validation_failed` };
      return { ok: true };
    }
    default: {
      if (status < 400) return { ok: true };
      if (typeof body.error !== 'string' || typeof body.message !== 'string')
        return { ok: false, why: 'not a control API error ({ error, message })' };
      if (body.error === 'internal') return { ok: false, why: 'internal error' };
      if (expect === 'param' && body.error !== 'bad_request')
        return { ok: false, why: `unreadable body answered ${body.error}, not bad_request` };
      return { ok: true };
    }
  }
}

// ---------------------------------------------------------------------------------------------------

// ---------------------------------------------------------------------------------------------------
// Mutations of valid calls: random bodies rarely pass a strict schema, so the deeper validation (ranges,
// dates, batch sizes, unknown ids) is reached by breaking one or a few places of a call that works.

interface Seed {
  method: string;
  /** Shopee: signed as a Public API (partner level) instead of a Shop API. */
  public?: boolean;
  /** Concrete path, prefix included. */
  path: string;
  body?: unknown;
  query?: Record<string, unknown>;
}

type PathKey = string | number;

function leafPaths(value: unknown, at: PathKey[] = [], out: PathKey[][] = []): PathKey[][] {
  out.push(at);
  if (Array.isArray(value)) {
    for (const [i, v] of value.entries()) leafPaths(v, [...at, i], out);
  } else if (isRecord(value)) for (const [k, v] of Object.entries(value)) leafPaths(v, [...at, k], out);
  return out;
}

function mutateAt(root: unknown, at: PathKey[], change: (old: unknown) => unknown | typeof DROP): unknown {
  if (at.length === 0) {
    const next = change(root);
    return next === DROP ? {} : next;
  }
  const [head, ...rest] = at as [PathKey, ...PathKey[]];
  if (Array.isArray(root)) {
    const copy = [...root];
    if (rest.length === 0 && change === dropValue) copy.splice(Number(head), 1);
    else copy[Number(head)] = mutateAt(copy[Number(head)], rest, change);
    return copy;
  }
  if (isRecord(root)) {
    const copy = { ...root };
    if (rest.length === 0) {
      const next = change(copy[head]);
      if (next === DROP) delete copy[head];
      else copy[head] = next;
    } else copy[head] = mutateAt(copy[head], rest, change);
    return copy;
  }
  return root;
}

const DROP = Symbol('drop');
const dropValue = (): typeof DROP => DROP;
/** Edge values of the same type as the one replaced: a number stays a number, so range checks are hit. */
const EDGE_NUMBERS = [
  -1,
  0,
  0.5,
  2 ** 31,
  2 ** 53 + 2,
  9_000_000_000_000_000,
  -9_000_000_000_000_000,
  1e21,
  1e308,
];
const EDGE_STRINGS = [
  '',
  ' ',
  '-1',
  '0',
  '1e400',
  '99999999999999999999999',
  '９',
  '🧵',
  '\u0000',
  'x'.repeat(300),
];
const sameTypeEdge = (old: unknown): unknown =>
  typeof old === 'number'
    ? pick(EDGE_NUMBERS)
    : typeof old === 'string'
      ? pick(EDGE_STRINGS)
      : pick(HOSTILE_SCALARS);
const MUTATIONS: ReadonlyArray<(old: unknown) => unknown | typeof DROP> = [
  sameTypeEdge,
  sameTypeEdge,
  sameTypeEdge,
  () => pick(HOSTILE_SCALARS),
  () => randomValue(2),
  dropValue,
  (old) => [old],
  (old) => (Array.isArray(old) ? old[0] : old),
  (old) => (Array.isArray(old) ? Array.from({ length: 120 }, () => old[0]) : old),
  (old) => (typeof old === 'number' ? -old : typeof old === 'string' ? `${old}${old}` : {}),
  (old) => (isRecord(old) ? { ...old, [pick(FIELDS)]: pick(HOSTILE_SCALARS) } : String(old)),
];

function mutate(value: unknown): unknown {
  let out = value;
  const times = 1 + Math.floor(random() * 3);
  for (let i = 0; i < times; i += 1) out = mutateAt(out, pick(leafPaths(out)), pick(MUTATIONS));
  return out;
}

function queryString(query: Record<string, unknown>): string {
  const params: string[] = [];
  for (const [key, value] of Object.entries(query)) {
    const values = Array.isArray(value) && random() < 0.5 ? value : [value];
    for (const v of values) {
      const text = typeof v === 'string' ? v : Array.isArray(v) ? v.join(',') : JSON.stringify(v);
      params.push(`${encode(key)}=${encode(String(text))}`);
    }
  }
  return params.join('&');
}

let sandbox: Sandbox;
let creds: Credentials;
let seeds: Seed[] = [];

/** A correctly signed TikTok call made during set-up. */
async function tiktokCall(
  method: string,
  path: string,
  extra: Record<string, string>,
  body: Body,
): Promise<{ code: number; data: unknown }> {
  const request = buildRequest(
    sandbox,
    creds,
    { platform: platformNamed('tiktok-shop'), method, url: `/tiktok-shop${path}` },
    `/tiktok-shop${path}`,
    new URLSearchParams(extra).toString(),
    body,
    true,
    { shopCipher: false },
  );
  const response = await sandbox.app.inject({
    method: method as 'POST',
    url: request.url,
    headers: request.headers,
    ...(request.payload === undefined ? {} : { payload: request.payload }),
  });
  return response.json() as { code: number; data: unknown };
}

function platformNamed(name: string): PlatformModule {
  return sandbox.platforms.find((p) => p.name === name) as PlatformModule;
}
const known: Record<string, string[]> = {};

async function setUp(): Promise<void> {
  const shopee = await authorizedClient(sandbox);
  const upload = await shopee.uploadImage(makePng(600, 600));
  const imageId = String(
    (upload.body.response as { image_info?: { image_id?: string } })?.image_info?.image_id,
  );
  known.imageId = [imageId];

  const tiktok = sandbox.platforms.find((p) => p.name === 'tiktok-shop') as PlatformModule;
  const app = tiktok.control.createApp({ name: 'fuzz' }) as { app_key: string; app_secret: string };
  const shop = tiktok.control.createShop({ name: 'Toko Fuzz', tokopedia: true }) as {
    shop_id: string;
    cipher: string;
  };
  const { auth_code } = tiktok.control.authorizeShop({ app_key: app.app_key, shop_id: shop.shop_id }) as {
    auth_code: string;
  };
  const token = await sandbox.app.inject({
    method: 'GET',
    url: `/tiktok-shop/api/v2/token/get?${new URLSearchParams({
      app_key: app.app_key,
      app_secret: app.app_secret,
      auth_code,
      grant_type: 'authorized_code',
    }).toString()}`,
  });
  const accessToken = String((token.json() as { data: { access_token: string } }).data.access_token);

  const partnerBrand = sandbox.platforms.find((p) => p.name === 'partner-brand') as PlatformModule;
  const partner = partnerBrand.control.createApp({ name: 'Fuzz Store' }) as {
    partner_id: string;
    key: string;
    secret: string;
  };
  creds = {
    shopee,
    tiktok: { appKey: app.app_key, appSecret: app.app_secret, accessToken, cipher: shop.cipher },
    partner: { key: partner.key, secret: partner.secret },
  };
  known.platform = sandbox.platforms.map((p) => p.name);
  known.shopId = [String(shopee.shopId), shop.shop_id, partner.partner_id];
  known.sku = ['BTK-PRG-01'];

  // One item per platform, so mutated calls name things that exist and get past the look-ups.
  const item = await shopee.post('/api/v2/product/add_item', addItemBody(imageId));
  const itemId = Number((item.body.response as { item_id?: number } | undefined)?.item_id ?? 1);
  const tiktokUpload = await tiktokCall(
    'POST',
    '/product/202309/images/upload',
    {},
    {
      contentType: MULTIPART,
      payload: multipartOf(
        part('Content-Disposition: form-data; name="use_case"', 'MAIN_IMAGE'),
        part(
          'Content-Disposition: form-data; name="data"; filename="a.png"\r\nContent-Type: image/png',
          makePng(600, 600),
        ),
      ),
    },
  );
  const uri = String((tiktokUpload.data as { uri?: string } | undefined)?.uri ?? 'x');
  const product = productBody(uri, [sku('TAS-01', '150000', 5)]);
  const created = await tiktokCall(
    'POST',
    '/product/202309/products',
    { shop_cipher: shop.cipher },
    {
      contentType: 'application/json',
      payload: JSON.stringify(product),
    },
  );
  const productId = String((created.data as { product_id?: string } | undefined)?.product_id ?? '1');
  const skuId = String((created.data as { skus?: Array<{ id?: string }> } | undefined)?.skus?.[0]?.id ?? '1');
  known.product_id = [productId];
  const now = sandbox.ctx.clock.nowSeconds();
  const cipher = { shop_cipher: shop.cipher };
  const partnerItem = {
    title: 'Kain Batik Tulis',
    price_idr: 250_000,
    quantity: 3,
    image_url: 'https://example.com/a.png',
  };
  seeds = [
    { method: 'POST', path: '/shopee/api/v2/product/add_item', body: addItemBody(imageId) },
    {
      method: 'POST',
      path: '/shopee/api/v2/product/update_item',
      body: { item_id: itemId, item_name: 'Kain Batik Tulis Kawung', weight: 0.5 },
    },
    {
      method: 'POST',
      path: '/shopee/api/v2/product/init_tier_variation',
      body: {
        item_id: itemId,
        tier_variation: [{ name: 'Warna', option_list: [{ option: 'Merah' }, { option: 'Biru' }] }],
        model: [
          { tier_index: [0], original_price: 250_000, model_sku: 'M-1', seller_stock: [{ stock: 2 }] },
          { tier_index: [1], original_price: 260_000, model_sku: 'M-2', seller_stock: [{ stock: 3 }] },
        ],
      },
    },
    {
      method: 'POST',
      path: '/shopee/api/v2/product/update_price',
      body: { item_id: itemId, price_list: [{ model_id: 0, original_price: 275_000 }] },
    },
    {
      method: 'POST',
      path: '/shopee/api/v2/product/update_stock',
      body: { item_id: itemId, stock_list: [{ model_id: 0, seller_stock: [{ stock: 9 }] }] },
    },
    {
      method: 'POST',
      path: '/shopee/api/v2/product/unlist_item',
      body: { item_list: [{ item_id: itemId, unlist: false }] },
    },
    {
      method: 'GET',
      path: '/shopee/api/v2/product/get_item_list',
      query: {
        offset: 0,
        page_size: 10,
        item_status: ['NORMAL', 'REVIEWING'],
        update_time_from: now - 3600,
        update_time_to: now,
      },
    },
    { method: 'GET', path: '/shopee/api/v2/product/get_item_base_info', query: { item_id_list: [itemId] } },
    { method: 'GET', path: '/shopee/api/v2/product/get_model_list', query: { item_id: itemId } },
    {
      method: 'GET',
      path: '/shopee/api/v2/product/search_item',
      query: { page_size: 10, item_name: 'Batik', offset: '' },
    },
    {
      method: 'GET',
      path: '/shopee/api/v2/order/get_order_list',
      query: {
        time_range_field: 'create_time',
        time_from: now - 86_400,
        time_to: now,
        page_size: 20,
        cursor: '',
      },
    },
    {
      method: 'GET',
      path: '/shopee/api/v2/order/get_order_detail',
      query: { order_sn_list: ['201214JAJXU6G7'], response_optional_fields: 'item_list' },
    },
    { method: 'GET', path: '/shopee/api/v2/push/get_lost_push_message', public: true, query: {} },
    {
      method: 'POST',
      path: '/shopee/api/v2/push/set_app_push_config',
      public: true,
      body: { callback_url: 'https://example.com/push', set_push_config_on: [3] },
    },
    { method: 'POST', path: '/tiktok-shop/product/202309/products', query: cipher, body: product },
    {
      method: 'PUT',
      path: `/tiktok-shop/product/202309/products/${productId}`,
      query: cipher,
      body: product,
    },
    {
      method: 'POST',
      path: `/tiktok-shop/product/202309/products/${productId}/partial_edit`,
      query: cipher,
      body: { title: product.title, skus: product.skus },
    },
    {
      method: 'POST',
      path: `/tiktok-shop/product/202309/products/${productId}/prices/update`,
      query: cipher,
      body: { skus: [{ id: skuId, price: { amount: '160000', currency: 'IDR' } }] },
    },
    {
      method: 'POST',
      path: `/tiktok-shop/product/202309/products/${productId}/inventory/update`,
      query: cipher,
      body: { skus: [{ id: skuId, inventory: [{ quantity: 4 }] }] },
    },
    {
      method: 'POST',
      path: '/tiktok-shop/product/202309/products/search',
      query: { ...cipher, page_size: 10 },
      body: { status: 'ALL', seller_skus: ['TAS-01'] },
    },
    {
      method: 'POST',
      path: '/tiktok-shop/product/202309/products/activate',
      query: cipher,
      body: { product_ids: [productId] },
    },
    {
      method: 'DELETE',
      path: '/tiktok-shop/product/202309/products',
      query: cipher,
      body: { product_ids: [productId] },
    },
    {
      method: 'POST',
      path: '/tiktok-shop/order/202309/orders/search',
      query: { ...cipher, page_size: 10, sort_field: 'create_time' },
      body: { order_status: 'AWAITING_SHIPMENT', create_time_ge: now - 86_400, create_time_lt: now },
    },
    {
      method: 'GET',
      path: '/tiktok-shop/order/202309/orders',
      query: { ...cipher, ids: ['576461413038785752'] },
    },
    {
      method: 'PUT',
      path: '/tiktok-shop/event/202309/webhooks',
      query: cipher,
      body: { address: 'https://example.com/hook', event_type: 'ORDER_STATUS_CHANGE' },
    },
    { method: 'PUT', path: '/partner-brand/v1/assortment/items/BTK-01', body: partnerItem },
    { method: 'GET', path: '/partner-brand/v1/assortment/items', query: { limit: 10 } },
    {
      method: 'GET',
      path: '/partner-brand/v1/sales-reports',
      query: { from: '2026-01-01T00:00:00Z', to: '2026-01-31T00:00:00+07:00', limit: 10 },
    },
    {
      method: 'GET',
      path: '/partner-brand/v1/sales-reports.csv',
      query: { from: '2026-01-01T00:00:00Z', to: '2026-01-31T00:00:00Z' },
    },
    { method: 'POST', path: '/__sandbox/clock', body: { advanceMs: 60_000 } },
    { method: 'POST', path: '/__sandbox/clock', body: { iso: '2026-07-01T00:00:00+07:00' } },
    {
      method: 'POST',
      path: '/__sandbox/shopee/orders',
      body: { shopId: shopee.shopId, count: 2, seed: 3, from: now - 3600, to: now },
    },
    {
      method: 'POST',
      path: '/__sandbox/shopee/orders',
      body: {
        shopId: shopee.shopId,
        orders: [
          {
            createTime: now,
            lines: [{ sku: 'BTK-PRG-01', quantity: 1 }],
            statusChanges: [{ status: 'SHIPPED', at: now + 60 }],
          },
        ],
      },
    },
    {
      method: 'POST',
      path: '/__sandbox/tiktok-shop/orders',
      body: { shop_id: shop.shop_id, seed: 3, count: 2, from: now - 3600, to: now },
    },
    {
      method: 'POST',
      path: '/__sandbox/tiktok-shop/orders',
      body: {
        shop_id: shop.shop_id,
        orders: [{ lines: [{ seller_sku: 'TAS-01', quantity: 1 }], create_time: now, shipping_fee: 10_000 }],
      },
    },
    {
      method: 'POST',
      path: '/__sandbox/partner-brand/orders',
      body: { partner_id: partner.partner_id, seed: 3, count: 2, from: now - 3600, to: now },
    },
    {
      method: 'POST',
      path: '/__sandbox/partner-brand/orders',
      body: {
        partner_id: partner.partner_id,
        sales: [{ sku: 'BTK-01', quantity: 1, sold_at: now, unit_price_idr: 250_000 }],
      },
    },
    {
      method: 'POST',
      path: '/__sandbox/partner-brand/shops',
      body: { partner_id: partner.partner_id, code: 'OUT-1', kind: 'outlet' },
    },
    {
      method: 'POST',
      path: '/__sandbox/tiktok-shop/configure',
      body: { audit_delay_seconds: 60, max_skus_per_product: 100 },
    },
    {
      method: 'POST',
      path: '/__sandbox/shopee/configure',
      body: { reviewDelayMs: 1000, orderListMaxWindowSeconds: 86_400 },
    },
    { method: 'GET', path: '/__sandbox/calls', query: { platform: 'shopee', limit: 10 } },
  ];
  // Rate limits are real behaviour, not faults; lifted so the fuzz reaches the handlers.
  const shopeePlatform = sandbox.platforms.find((p) => p.name === 'shopee') as PlatformModule;
  shopeePlatform.control.configure({ rateLimitPerSecond: 0, dailyCallQuota: 0 });
  tiktok.control.configure({ rate_limit_per_second: 100_000 });
  partnerBrand.control.configure({ rate_limit_per_second: 100_000 });
}

beforeAll(async () => {
  sandbox = await buildSandbox({ seed: SEED });
  await setUp();
});
afterAll(async () => {
  await sandbox?.close();
});

interface Failure {
  count: number;
  status: number;
  example: string;
  answer: string;
}
type Failures = Map<string, Failure>;

function report(failures: Failures, sent: number): string {
  const total = [...failures.values()].reduce((sum, f) => sum + f.count, 0);
  return `${total} of ${sent} fuzzed calls failed`;
}

async function fuzz(target: Target, failures: Failures): Promise<number> {
  let sent = 0;
  const platform = target.platform === 'control' ? 'control' : target.platform.name;
  const bodies = bodiesForRoute();
  const queries = ['', ...Array.from({ length: RANDOM_QUERIES }, randomQuery)];
  const modes = platform === 'control' ? [false] : [false, true];
  for (const signed of modes) {
    const cases: Array<{ query: string; body: Body }> = [
      ...queries.map((query) => ({ query, body: STATIC_BODIES[0] as Body })),
      ...bodies.map((body) => ({ query: random() < 0.3 ? randomQuery() : '', body })),
    ];
    for (const { query, body } of cases) {
      // HEAD routes are Fastify's copies of the GET ones: their queries are enough. GETs take a sample
      // of the bodies (a client may send one; nothing reads it).
      if (
        body.payload !== undefined &&
        (target.method === 'HEAD' || (target.method === 'GET' && random() < 0.8))
      )
        continue;
      const path = fillPath(target.url, known);
      const request = buildRequest(sandbox, creds, target, path, query, body, signed);
      const response = await sandbox.app.inject({
        method: request.method as 'GET',
        url: request.url,
        headers: request.headers,
        ...(request.payload === undefined ? {} : { payload: request.payload }),
      });
      sent += 1;
      let verdict = judge(
        platform,
        request.method,
        response.statusCode,
        String(response.headers['content-type'] ?? ''),
        response.body,
        signed ? expectation(platform, request.method, path, body) : undefined,
        request.url,
      );
      // Signed with the clients' documented formulas, a call must never be refused as badly signed
      // (Fastify reads no body on GET or HEAD, so one sent there is not what the server hashes).
      const bodyIgnored = ['GET', 'HEAD'].includes(request.method) && request.payload !== undefined;
      if (verdict.ok && signed && !bodyIgnored && refusedAsBadlySigned(platform, response.body))
        verdict = { ok: false, why: 'a correctly signed call was refused as badly signed' };
      if (!verdict.ok) {
        // One entry per route, body kind and reason, with the first example, so a report stays short.
        const key = `${signed ? 'signed' : 'unsigned'} ${target.method} ${target.url} | ${body.name} | ${verdict.why}`;
        const seen = failures.get(key);
        if (seen) seen.count += 1;
        else
          failures.set(key, {
            count: 1,
            status: response.statusCode,
            example: request.url.slice(0, 160),
            answer: response.body.slice(0, 160),
          });
      }
      // Control calls may change state (reset, clock, faults): put back what the fuzz relies on.
      if (platform === 'control') {
        if (sandbox.ctx.faults.list().length > 0) sandbox.ctx.faults.clear();
        if (sandbox.ctx.clock.offsetMs() !== 0) sandbox.ctx.clock.restoreOffset(0);
      }
    }
  }
  return sent;
}

async function fuzzSeeds(selected: Seed[], failures: Failures): Promise<number> {
  let sent = 0;
  for (const seed of selected) {
    const control = seed.path.startsWith(CONTROL_PREFIX);
    const platform = control
      ? 'control'
      : (sandbox.platforms.find((p) => seed.path.startsWith(`${p.prefix}/`)) as PlatformModule);
    const target: Target = { platform, method: seed.method, url: seed.path };
    for (let i = 0; i <= MUTANTS; i += 1) {
      // The first call is the seed itself, unmutated: it shows the seed is valid enough to go deep.
      const body = seed.body === undefined ? undefined : i === 0 ? seed.body : mutate(seed.body);
      const query =
        seed.query === undefined ? {} : i === 0 || random() < 0.5 ? seed.query : mutate(seed.query);
      const request = buildRequest(
        sandbox,
        creds,
        target,
        seed.path,
        queryString(isRecord(query) ? query : { q: query }),
        body === undefined ? {} : { contentType: 'application/json', payload: JSON.stringify(body) },
        !control,
        { asShop: seed.public !== true, shopCipher: false },
      );
      const response = await sandbox.app.inject({
        method: request.method as 'GET',
        url: request.url,
        headers: request.headers,
        ...(request.payload === undefined ? {} : { payload: request.payload }),
      });
      sent += 1;
      const verdict = judge(
        control ? 'control' : (platform as PlatformModule).name,
        request.method,
        response.statusCode,
        String(response.headers['content-type'] ?? ''),
        response.body,
        undefined,
        request.url,
      );
      if (!verdict.ok) {
        const key = `mutated ${seed.method} ${seed.path} | ${verdict.why}`;
        const seen = failures.get(key);
        if (seen) seen.count += 1;
        else
          failures.set(key, {
            count: 1,
            status: response.statusCode,
            example: `${request.url.slice(0, 120)} ${String(request.payload ?? '').slice(0, 300)}`,
            answer: response.body.slice(0, 160),
          });
      }
      if (control) {
        if (sandbox.ctx.faults.list().length > 0) sandbox.ctx.faults.clear();
        if (sandbox.ctx.clock.offsetMs() !== 0) sandbox.ctx.clock.restoreOffset(0);
      }
    }
  }
  return sent;
}

describe('sandbox fuzz: no route answers 5xx or a non-platform error to malformed input', () => {
  it('enumerates routes of every platform and of the control API from Fastify', () => {
    const all = targets(sandbox);
    for (const prefix of ['/shopee/', '/tiktok-shop/', '/partner-brand/', '/__sandbox/']) {
      expect(all.filter((t) => t.url.startsWith(prefix)).length, prefix).toBeGreaterThan(0);
    }
    // TikTok routes every call through one dispatcher; its operations must be expanded, not skipped.
    expect(all.some((t) => t.url.includes('/product/202309/images/upload'))).toBe(true);
    expect(all.some((t) => t.url === '/shopee/api/v2/media_space/upload_image')).toBe(true);
  });

  it('answers every platform route with the platform envelope and never a 5xx', async () => {
    const failures: Failures = new Map();
    let sent = 0;
    for (const target of targets(sandbox).filter((t) => t.platform !== 'control')) {
      sent += await fuzz(target, failures);
    }
    expect(sent).toBeGreaterThan(1000);
    expect(sandbox.ctx.faults.list()).toEqual([]);
    expect(Object.fromEntries(failures), report(failures, sent)).toEqual({});
  });

  it('answers mutations of valid platform calls with the platform envelope and never a 5xx', async () => {
    const failures: Failures = new Map();
    const platformSeeds = seeds.filter((seed) => !seed.path.startsWith(CONTROL_PREFIX));
    expect(platformSeeds.length).toBeGreaterThan(20);
    const sent = await fuzzSeeds(platformSeeds, failures);
    expect(Object.fromEntries(failures), report(failures, sent)).toEqual({});
  });

  it('gives the partner brand only error codes docs/partner-brand-api.yaml lists, also for throttles and faults', () => {
    const partner = platformNamed('partner-brand');
    const answers = [
      partner.throttleResponse(),
      partner.serverErrorResponse(),
      partner.badRequestResponse('x'),
    ];
    for (const answer of answers) {
      expect(PARTNER_SPEC.codes).toContain((answer.body as { error: { code: string } }).error.code);
    }
  });

  it('hashes the exact bytes of a partner-brand body: non-UTF-8 JSON is a validation error, not a bad signature', async () => {
    const payload = Buffer.from('{"title":"Kain \xe9","price_idr":1,"quantity":1}', 'latin1');
    const ts = String(sandbox.ctx.clock.nowSeconds());
    const target = '/v1/assortment/items/LATIN-1';
    const response = await sandbox.app.inject({
      method: 'PUT',
      url: `/partner-brand${target}`,
      headers: {
        'content-type': 'application/json',
        'x-partner-key': creds.partner.key,
        'x-partner-timestamp': ts,
        'x-partner-signature': documentedPartnerSignature(creds.partner.secret, ts, 'PUT', target, payload),
      },
      payload,
    });
    expect([response.statusCode, response.json().error.code]).toEqual([400, 'validation_failed']);
  });

  it('answers a signed TikTok image upload with a malformed multipart body as an envelope error at HTTP 200', async () => {
    const t = creds.tiktok;
    const path = '/product/202309/images/upload';
    const query = { app_key: t.appKey, timestamp: String(sandbox.ctx.clock.nowSeconds()) };
    const url = `/tiktok-shop${path}?${new URLSearchParams({ ...query, sign: documentedSign(t.appSecret, path, query) })}`;
    const response = await sandbox.app.inject({
      method: 'POST',
      url,
      headers: { 'content-type': MULTIPART, 'x-tts-access-token': t.accessToken },
      payload: 'this is not multipart at all',
    });
    expect(response.statusCode).toBe(200);
    // The upload's own code for an unreadable file (TikTok Shop "Upload Product Image" error list).
    expect(response.json()).toMatchObject({
      code: 12038002,
      message: expect.stringContaining('Invalid upload file'),
    });
  });

  it('refuses what the fuzz once turned into control API 500s with a 400', async () => {
    const now = sandbox.ctx.clock.nowSeconds();
    const shopee = creds.shopee;
    const partnerId = known.shopId?.[2];
    const cases: Array<[string, unknown]> = [
      ['/clock', { advanceMs: 9_000_000_000_000_000 }],
      ['/clock', { epochMs: 9_000_000_000_000_000 }],
      ['/clock', { advanceMs: -9_000_000_000_000_000 }],
      [
        '/shopee/orders',
        { shopId: shopee.shopId, count: 2, seed: 3, from: now - 60, to: 9_000_000_000_000_000 },
      ],
      ['/partner-brand/orders', { partner_id: partnerId, seed: 3, count: 2, from: -9_000_000_000_000_000 }],
      [
        '/partner-brand/orders',
        { partner_id: partnerId, sales: [{ sku: 'BTK-01', quantity: 1, sold_at: 9e15 }] },
      ],
      ['/tiktok-shop/orders', 'batik'],
      ['/partner-brand/orders', 123],
    ];
    for (const [url, payload] of cases) {
      const response = await sandbox.app.inject({
        method: 'POST',
        url: `${CONTROL_PREFIX}${url}`,
        headers: { 'content-type': 'application/json' },
        payload: JSON.stringify(payload),
      });
      expect([url, response.statusCode, response.json().error]).toEqual([url, 400, 'bad_request']);
    }
    expect(sandbox.ctx.clock.offsetMs()).toBe(0);
  });

  // Last: the control API's fuzz may reset the sandbox (POST /reset) and so drop the set-up above.
  it('answers every control API route with its error shape and never a 5xx', async () => {
    const failures: Failures = new Map();
    // Mutated valid calls first: the generic fuzz below may reset the sandbox and drop their shops.
    let sent = await fuzzSeeds(
      seeds.filter((seed) => seed.path.startsWith(CONTROL_PREFIX)),
      failures,
    );
    for (const target of targets(sandbox).filter((t) => t.platform === 'control')) {
      sent += await fuzz(target, failures);
    }
    expect(sent).toBeGreaterThan(100);
    expect(Object.fromEntries(failures), report(failures, sent)).toEqual({});
  });
});

describe('core error handler of a platform mount', () => {
  // A platform whose routes fail on purpose: the handler must keep bugs visible, not paper over them.
  const fake: PlatformFactory = () => ({
    name: 'shopee',
    prefix: '/fake',
    async register(app) {
      app.get('/bug', async () => {
        throw new TypeError("Cannot read properties of undefined (reading 'x')");
      });
      app.post('/echo', async (request) => ({ got: request.body }));
    },
    throttleResponse: () => ({ status: 429, body: { error: 'throttled', message: '' } }),
    serverErrorResponse: () => ({ status: 503, body: { error: 'server', message: 'down' } }),
    badRequestResponse: (message) => ({ status: 400, body: { error: 'param', message } }),
    control: platformNamed('shopee').control,
  });

  it('answers a handler bug 500 with the platform 5xx body, and unreadable input with its parameter error', async () => {
    const local = await buildSandbox({ factories: [fake] });
    try {
      const bug = await local.app.inject({ method: 'GET', url: '/fake/bug' });
      expect(bug.statusCode).toBe(500);
      expect(bug.json()).toEqual({ error: 'server', message: 'down' });

      const broken = await local.app.inject({
        method: 'POST',
        url: '/fake/echo',
        headers: { 'content-type': 'application/json' },
        payload: '{"a":',
      });
      expect(broken.statusCode).toBe(400);
      expect(broken.json()).toMatchObject({ error: 'param' });

      const badUrl = await local.app.inject({ method: 'GET', url: '/fake/%E0%A4%A' });
      expect(badUrl.statusCode).toBe(400);
      expect(badUrl.json()).toMatchObject({ error: 'param' });

      const tooLarge = await local.app.inject({
        method: 'POST',
        url: '/fake/echo',
        headers: { 'content-type': 'application/json' },
        payload: `"${'x'.repeat(12 * 1024 * 1024)}"`,
      });
      expect([tooLarge.statusCode, tooLarge.json().error]).toEqual([400, 'param']);

      const fine = await local.app.inject({ method: 'POST', url: '/fake/echo', payload: { a: 1 } });
      expect(fine.json()).toEqual({ got: { a: 1 } });
      // The call log records the platform's code, so a bug also shows in /__sandbox/counters.
      expect(local.ctx.callLog.list().map((c) => [c.status, c.errorCode])).toEqual([
        [500, 'server'],
        [400, 'param'],
        [400, 'param'],
        [200, ''],
      ]);
    } finally {
      await local.close();
    }
  });
});
