import { describe, expect, it } from 'vitest';
import { canonicalString, sha256Hex, signPartnerRequest } from '../../../sandbox/partner-brand/signing.js';
import { documentedPartnerSignature } from './client.js';

// The example vectors published in docs/partner-brand-api.yaml (x-signing-examples).
const SECRET = 'ps_example_secret_0123456789';
const TS = '1767225600';
const PUT_BODY = '{"title":"Tas Anyaman Pandan","price_idr":150000,"quantity":5}';
const REPORT_TARGET = '/v1/sales-reports?from=2026-01-01T00%3A00%3A00Z&to=2026-01-08T00%3A00%3A00Z';

describe('partner-brand signing', () => {
  it('PUT example: canonical string and signature', () => {
    expect(sha256Hex(PUT_BODY)).toBe('d39d45b785c2151f5e0d04dd20799ebfbe0865961323fb4d412ce1d4d80c23ea');
    expect(canonicalString(TS, 'put', '/v1/assortment/items/TAS-01', PUT_BODY)).toBe(
      `${TS}\nPUT\n/v1/assortment/items/TAS-01\nd39d45b785c2151f5e0d04dd20799ebfbe0865961323fb4d412ce1d4d80c23ea`,
    );
    const expected = '9602c3e235ce5a41c6d9e4444a28c2aa121b69ddcb8ae35bae0d09fae3551c20';
    expect(signPartnerRequest(SECRET, TS, 'PUT', '/v1/assortment/items/TAS-01', PUT_BODY)).toBe(expected);
    expect(documentedPartnerSignature(SECRET, TS, 'PUT', '/v1/assortment/items/TAS-01', PUT_BODY)).toBe(
      expected,
    );
  });

  it('GET example: empty body hashes as the empty string; the query is part of the target', () => {
    const expected = 'd70a83785864ef0832ee0429048c4bb9e919fcfa43136c5e4ce670b91f39edd3';
    expect(signPartnerRequest(SECRET, TS, 'GET', REPORT_TARGET, '')).toBe(expected);
    expect(signPartnerRequest(SECRET, TS, 'GET', '/v1/sales-reports', '')).not.toBe(expected);
  });
});

describe('docs/partner-brand-api.yaml', () => {
  it('publishes the same signing vectors the sandbox computes', async () => {
    const { readFile } = await import('node:fs/promises');
    const spec = await readFile(new URL('../../../docs/partner-brand-api.yaml', import.meta.url), 'utf8');
    const published = [...spec.matchAll(/^\s+signature: ([0-9a-f]{64})$/gm)].map((match) => match[1]);
    expect(published).toEqual([
      signPartnerRequest(SECRET, TS, 'PUT', '/v1/assortment/items/TAS-01', PUT_BODY),
      signPartnerRequest(SECRET, TS, 'GET', REPORT_TARGET, ''),
    ]);
  });
});
