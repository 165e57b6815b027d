/**
 * `Idempotency-Key` on POST: the first response for (caller, key) is stored; the same key with the
 * same request returns that response again (header `Idempotent-Replayed: true`) and creates nothing;
 * the same key with a different request gets 422. While the first request is still running a
 * duplicate gets 409 and may retry.
 *
 * The outcome is as durable as the write, because it is recorded in the write's own transaction: a
 * request with a key runs inside one transaction that this plugin opens before the handler and commits
 * in `onSend`, once it has stored the response about to be sent. Services receive that transaction as
 * `ctx.db` (see http/context.ts), so their own transactions become savepoints inside it. Hence:
 * - a crash before the commit leaves neither the write nor the key: a retry runs afresh;
 * - a crash after the commit leaves both: a retry gets the stored response, never a second write;
 * - an error response (4xx/5xx) rolls everything back, a write made before the error included: the
 *   key stays free for the corrected or retried request, and nothing was written;
 * - a duplicate is refused for as long as the first request runs, however long (a CSV import of
 *   minutes included): the key is held by a transaction-scoped advisory lock, which ends only with
 *   the commit, the rollback, or the death of the process holding it. There is no lease to lapse.
 * - a key past its expiry is forgotten: never replayed, its next use runs afresh.
 *
 * Only the API's own routes (those declaring `config.access`) take part, not the queue dashboard's.
 * Their handlers must do all their database work through `ctx.db` (a second pooled connection taken
 * while this one is held could wait forever when the pool is exhausted) and must not call Redis
 * (work for the queues goes through the outbox).
 */
import { createHash } from 'node:crypto';
import { and, eq, sql } from 'drizzle-orm';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { Database, Tx } from '../../db/client.js';
import { idempotencyKeys } from '../../db/schema/index.js';
import { IdempotencyInProgressError, IdempotencyKeyReusedError, ValidationError } from '../../lib/errors.js';

/** A transaction kept open across Fastify hooks, ended by `commit` or `rollback`. */
interface HeldTransaction {
  tx: Tx;
  commit(): Promise<void>;
  rollback(): Promise<void>;
}

interface IdempotencyClaim {
  principal: string;
  key: string;
  requestHash: string;
  held: HeldTransaction;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Set false on POST routes where replaying makes no sense (login). */
    idempotent?: boolean;
  }
  interface FastifyRequest {
    /** Set while a request with an Idempotency-Key runs: its transaction, for the services. */
    idempotency: IdempotencyClaim | null;
  }
}

const KEY_PATTERN = /^[\x21-\x7e]{1,200}$/;
const REPLAYED_HEADERS = ['content-type', 'etag', 'location'];
/** First half of the advisory lock key, so these locks cannot meet other advisory locks. */
const LOCK_NAMESPACE = 0x6b726964; // "krid"

const ROLLBACK = Symbol('rollback');

/** Opens a transaction whose end is decided later, from another hook. */
function holdTransaction(db: Database): Promise<HeldTransaction> {
  return new Promise((resolveOpen, rejectOpen) => {
    let decide: (commit: boolean) => void = () => {};
    const decision = new Promise<boolean>((resolve) => {
      decide = resolve;
    });
    let opened = false;
    const finished = db.transaction(async (tx) => {
      opened = true;
      resolveOpen({
        tx,
        commit: async () => {
          decide(true);
          await finished;
        },
        rollback: async () => {
          decide(false);
          await finished.catch(() => {});
        },
      });
      if (!(await decision)) throw ROLLBACK;
    });
    finished.catch((err: unknown) => {
      if (!opened) rejectOpen(err);
    });
  });
}

export const idempotencyPlugin = fp(
  async (
    app: FastifyInstance,
    opts: {
      db: Database;
      ttlHours: number;
      /** Tests only: SIGKILL this process right after a commit, before answering. */
      crashAfterCommit?: boolean;
    },
  ) => {
    app.decorateRequest('idempotency', null);

    app.addHook('preHandler', async (request: FastifyRequest, reply: FastifyReply) => {
      const config = request.routeOptions.config;
      if (request.method !== 'POST' || config?.access === undefined || config.idempotent === false) return;
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
      const where = and(eq(idempotencyKeys.principal, principal), eq(idempotencyKeys.key, key));

      const held = await holdTransaction(opts.db);
      try {
        const [lock] = await held.tx.execute<{ locked: boolean }>(
          sql`select pg_try_advisory_xact_lock(${LOCK_NAMESPACE}, hashtext(${`${principal}\n${key}`})) as locked`,
        );
        if (!lock?.locked) throw new IdempotencyInProgressError();
        const [existing] = await held.tx
          .select({
            requestHash: idempotencyKeys.requestHash,
            responseStatus: idempotencyKeys.responseStatus,
            responseHeaders: idempotencyKeys.responseHeaders,
            responseBody: idempotencyKeys.responseBody,
            live: sql<boolean>`${idempotencyKeys.expiresAt} > now()`,
          })
          .from(idempotencyKeys)
          .where(where);
        if (existing?.live) {
          if (existing.requestHash !== requestHash) throw new IdempotencyKeyReusedError();
          await held.rollback();
          reply
            .code(existing.responseStatus)
            .headers({ ...existing.responseHeaders, 'idempotent-replayed': 'true' })
            .serializer((p: unknown) => (typeof p === 'string' ? p : JSON.stringify(p)))
            .send(existing.responseBody);
          return reply;
        }
        // Expired (the nightly purge has not run yet): forgotten, so this request runs afresh.
        if (existing) await held.tx.delete(idempotencyKeys).where(where);
      } catch (err) {
        await held.rollback();
        throw err;
      }
      request.idempotency = { principal, key, requestHash, held };
      return;
    });

    app.addHook('onSend', async (request: FastifyRequest, reply: FastifyReply, payload: unknown) => {
      const claim = request.idempotency;
      if (!claim) return payload;
      request.idempotency = null;
      // An error answer: whatever the handler wrote before failing is undone with the key, so the
      // request can be corrected or retried with the same key.
      if (reply.statusCode >= 400) {
        await claim.held.rollback();
        return payload;
      }
      try {
        if (typeof payload !== 'string' && !Buffer.isBuffer(payload)) {
          throw new Error(
            'an idempotent POST route answered with a stream, which cannot be stored for replay',
          );
        }
        const headers: Record<string, string> = {};
        for (const name of REPLAYED_HEADERS) {
          const value = reply.getHeader(name);
          if (value !== undefined) headers[name] = String(value);
        }
        await claim.held.tx.insert(idempotencyKeys).values({
          principal: claim.principal,
          key: claim.key,
          method: request.method,
          path: request.url,
          requestHash: claim.requestHash,
          responseStatus: reply.statusCode,
          responseHeaders: headers,
          responseBody: Buffer.isBuffer(payload) ? payload.toString('utf8') : payload,
          expiresAt: sql`now() + make_interval(hours => ${opts.ttlHours})`,
          userId: request.principal?.userId ?? null,
        });
      } catch (err) {
        await claim.held.rollback();
        throw err;
      }
      // From here on the write and its outcome are one: a failure to send the answer changes nothing.
      await claim.held.commit();
      if (opts.crashAfterCommit) process.kill(process.pid, 'SIGKILL');
      return payload;
    });

    // A request that ends without passing onSend with its claim must not leave the transaction open.
    app.addHook('onResponse', async (request: FastifyRequest) => {
      const claim = request.idempotency;
      if (!claim) return;
      request.idempotency = null;
      await claim.held.rollback();
    });
  },
  { name: 'idempotency' },
);
