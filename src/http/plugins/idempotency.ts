/**
 * `Idempotency-Key` on POST: the first response for (caller, key) is stored; the same key with the
 * same request returns that response again (header `Idempotent-Replayed: true`) and creates nothing;
 * the same key with a different request gets 422. While the first request is still running a
 * duplicate gets 409 and may retry. An error (4xx/5xx) is not stored: it created nothing, and the client
 * can fix or retry the request with the same key.
 * If the process dies mid-request the key's lock lapses after `lockMs` and a retry runs afresh.
 */
import { createHash } from 'node:crypto';
import { and, eq, lt, sql } from 'drizzle-orm';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { Database } from '../../db/client.js';
import { idempotencyKeys } from '../../db/schema/index.js';
import { IdempotencyInProgressError, IdempotencyKeyReusedError, ValidationError } from '../../lib/errors.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Set false on POST routes where replaying makes no sense (login). */
    idempotent?: boolean;
  }
  interface FastifyRequest {
    idempotency: { principal: string; key: string } | null;
  }
}

const KEY_PATTERN = /^[\x21-\x7e]{1,200}$/;
const REPLAYED_HEADERS = ['content-type', 'etag', 'location'];

export const idempotencyPlugin = fp(
  async (app: FastifyInstance, opts: { db: Database; ttlHours: number; lockMs?: number }) => {
    const lockMs = opts.lockMs ?? 60_000;
    app.decorateRequest('idempotency', null);

    app.addHook('preHandler', async (request: FastifyRequest, reply: FastifyReply) => {
      if (request.method !== 'POST' || request.routeOptions.config?.idempotent === false) return;
      const raw = request.headers['idempotency-key'];
      if (raw === undefined) return;
      const key = Array.isArray(raw) ? raw[0] : raw;
      if (typeof key !== 'string' || !KEY_PATTERN.test(key)) {
        throw new ValidationError('Idempotency-Key must be 1-200 visible ASCII characters.', {
          issues: [{ path: 'headers.idempotency-key', message: 'invalid' }],
        });
      }
      const principal = request.principal?.userId ?? 'anonymous';
      const requestHash = createHash('sha256')
        .update(`${request.method} ${request.url}\n`)
        .update(typeof request.body === 'string' ? request.body : JSON.stringify(request.body ?? null))
        .digest('hex');
      const now = Date.now();
      const [claimed] = await opts.db
        .insert(idempotencyKeys)
        .values({
          principal,
          key,
          method: request.method,
          path: request.url,
          requestHash,
          state: 'pending',
          lockedUntil: new Date(now + lockMs),
          expiresAt: new Date(now + opts.ttlHours * 3_600_000),
          userId: request.principal?.userId ?? null,
        })
        .onConflictDoNothing()
        .returning({ key: idempotencyKeys.key });
      if (claimed) {
        request.idempotency = { principal, key };
        return;
      }
      const [existing] = await opts.db
        .select()
        .from(idempotencyKeys)
        .where(and(eq(idempotencyKeys.principal, principal), eq(idempotencyKeys.key, key)));
      if (!existing) throw new IdempotencyInProgressError(); // expired and swept between the two statements
      if (existing.requestHash !== requestHash) throw new IdempotencyKeyReusedError();
      if (existing.state === 'completed' && existing.responseStatus !== null) {
        reply
          .code(existing.responseStatus)
          .headers({ ...(existing.responseHeaders ?? {}), 'idempotent-replayed': 'true' })
          .serializer((p: unknown) => (typeof p === 'string' ? p : JSON.stringify(p)))
          .send(existing.responseBody ?? '');
        return reply;
      }
      // Pending: take over only if the first attempt's lock has lapsed (its process died).
      const [takenOver] = await opts.db
        .update(idempotencyKeys)
        .set({ lockedUntil: new Date(now + lockMs) })
        .where(
          and(
            eq(idempotencyKeys.principal, principal),
            eq(idempotencyKeys.key, key),
            eq(idempotencyKeys.state, 'pending'),
            lt(idempotencyKeys.lockedUntil, sql`now()`),
          ),
        )
        .returning({ key: idempotencyKeys.key });
      if (!takenOver) throw new IdempotencyInProgressError();
      request.idempotency = { principal, key };
      return;
    });

    app.addHook('onSend', async (request: FastifyRequest, reply: FastifyReply, payload: unknown) => {
      const claim = request.idempotency;
      if (!claim) return payload;
      request.idempotency = null;
      const where = and(eq(idempotencyKeys.principal, claim.principal), eq(idempotencyKeys.key, claim.key));
      // Errors created nothing, so there is nothing to protect from a repeat; keeping their key
      // would be a write caused by bad input (a rejected CSV import stored one).
      if (reply.statusCode >= 400 || (typeof payload !== 'string' && !Buffer.isBuffer(payload))) {
        await opts.db.delete(idempotencyKeys).where(where);
        return payload;
      }
      const headers: Record<string, string> = {};
      for (const name of REPLAYED_HEADERS) {
        const value = reply.getHeader(name);
        if (value !== undefined) headers[name] = String(value);
      }
      await opts.db
        .update(idempotencyKeys)
        .set({
          state: 'completed',
          responseStatus: reply.statusCode,
          responseHeaders: headers,
          responseBody: Buffer.isBuffer(payload) ? payload.toString('utf8') : payload,
        })
        .where(where);
      return payload;
    });
  },
  { name: 'idempotency' },
);
