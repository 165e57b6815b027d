/**
 * Optimistic concurrency over HTTP, shared by every resource with a version: responses carry
 * `ETag: "<version>"`, and a change must send it back in `If-Match` (missing → 428, stale → 412).
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { etagOf, parseIfMatch } from '../domain/catalogue.js';
import { PreconditionRequiredError } from '../lib/errors.js';

/** Loose: Fastify replaces request.headers with the validated value, so no header may be stripped. */
export const ifMatchHeaders = z.looseObject({
  'if-match': z
    .string()
    .optional()
    .describe(
      'The ETag you loaded, e.g. "3". Required: missing → 428, stale → 412 and nothing changes. "*" is not accepted: it would skip the version check',
    ),
});

/** The versions `If-Match` names; throws 428 when the header is absent. */
export function requiredIfMatch(request: FastifyRequest): number[] {
  const raw = request.headers['if-match'];
  const versions = parseIfMatch(Array.isArray(raw) ? raw.join(',') : raw);
  if (versions === null) throw new PreconditionRequiredError();
  return versions;
}

export function setEtag(reply: FastifyReply, version: number): void {
  reply.header('etag', etagOf(version));
}
