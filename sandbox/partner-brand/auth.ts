/**
 * Authentication of partner-brand calls: key lookup, timestamp window, HMAC signature over the raw
 * body, then the per-partner throttle. Runs as a preHandler so the raw body string is available.
 */
import type { FastifyRequest } from 'fastify';
import { annotateCall } from '../core/call-log.js';
import type { SandboxContext } from '../core/contract.js';
import { PartnerError, PartnerErrorCode, unauthorized } from './errors.js';
import { signatureMatches, signPartnerRequest } from './signing.js';
import type { Partner, PartnerStore } from './store.js';

const partners = new WeakMap<FastifyRequest, Partner>();

function header(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** Request target below the base URL, exactly as sent (path + `?` + raw query). */
export function requestTarget(url: string, prefix: string): string {
  return url.startsWith(prefix) ? url.slice(prefix.length) || '/' : url;
}

export function authenticatePartner(
  ctx: SandboxContext,
  store: PartnerStore,
  prefix: string,
  request: FastifyRequest,
): Partner {
  const key = header(request, 'x-partner-key');
  const timestamp = header(request, 'x-partner-timestamp');
  const signature = header(request, 'x-partner-signature');
  if (!key || !timestamp || !signature) {
    throw unauthorized(
      PartnerErrorCode.missingCredentials,
      'X-Partner-Key, X-Partner-Timestamp and X-Partner-Signature headers are required',
    );
  }
  const partner = store.partnerByKey(key);
  if (!partner) throw unauthorized(PartnerErrorCode.unknownKey, 'Unknown X-Partner-Key');
  const tolerance = store.state.settings.timestampToleranceSeconds;
  if (!/^\d{1,12}$/.test(timestamp) || Math.abs(Number(timestamp) - ctx.clock.nowSeconds()) > tolerance) {
    throw unauthorized(
      PartnerErrorCode.staleTimestamp,
      `X-Partner-Timestamp must be Unix seconds within ${tolerance} s of the server clock`,
    );
  }
  const rawBody = Buffer.isBuffer(request.body) ? request.body : '';
  const expected = signPartnerRequest(
    partner.secret,
    timestamp,
    request.method,
    requestTarget(request.url, prefix),
    rawBody,
  );
  if (!signatureMatches(expected, signature.toLowerCase())) {
    throw unauthorized(PartnerErrorCode.invalidSignature, 'X-Partner-Signature does not match the request');
  }
  annotateCall(request, { shopId: partner.id });
  if (!ctx.rateLimiter.take(`partner-brand|${partner.id}`, store.state.settings.rateLimitPerSecond)) {
    annotateCall(request, { throttled: true });
    throw new PartnerError(
      PartnerErrorCode.rateLimited,
      'Too many requests; retry after the Retry-After delay',
      429,
      1,
    );
  }
  partners.set(request, partner);
  return partner;
}

/** The partner authenticated for this request (set by the preHandler). */
export function partnerOf(request: FastifyRequest): Partner {
  const partner = partners.get(request);
  if (!partner) throw new PartnerError(PartnerErrorCode.internal, 'request was not authenticated', 500);
  return partner;
}
