/**
 * bull-board at /admin/queues for operators. A browser cannot attach bearer tokens to the board's
 * own requests, so the board uses HTTP Basic with an operator's username and password; a verified
 * credential is remembered (by hash) for a minute so the board's polling does not run scrypt each time,
 * but only while the operator stays enabled with the same password (checked like a bearer token).
 * Every credential not remembered is a password guess: it counts against the login limits
 * (`login-limits.ts`) before scrypt runs.
 */
import { createHash } from 'node:crypto';
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter } from '@bull-board/fastify';
import type { Queue } from 'bullmq';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Database } from '../../db/client.js';
import { authenticateUser } from '../../services/users.js';
import type { CountLoginAttempt } from '../login-limits.js';
import { toProblem } from '../problem.js';

export const QUEUE_DASHBOARD_PATH = '/admin/queues';
const REMEMBER_MS = 60_000;

export async function queueDashboard(
  app: FastifyInstance,
  opts: { db: Database; queues: Queue[]; countLoginAttempt: CountLoginAttempt },
): Promise<void> {
  const serverAdapter = new FastifyAdapter();
  serverAdapter.setBasePath(QUEUE_DASHBOARD_PATH);
  createBullBoard({ queues: opts.queues.map((q) => new BullMQAdapter(q)), serverAdapter });

  const verified = new Map<string, { until: number; userId: string; tokenVersion: number }>();
  const challenge = (reply: FastifyReply) =>
    reply
      .code(401)
      .header('www-authenticate', 'Basic realm="kriya-sync queues", charset="UTF-8"')
      .type('application/problem+json; charset=utf-8')
      .send(
        JSON.stringify({
          type: 'urn:kriya-sync:problem:unauthenticated',
          title: 'Unauthorized',
          status: 401,
          code: 'unauthenticated',
          detail: 'The queue dashboard needs an operator username and password.',
        }),
      );

  app.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
    const header = request.headers.authorization ?? '';
    const match = /^Basic\s+([A-Za-z0-9+/=]+)$/i.exec(header);
    if (!match?.[1]) return challenge(reply);
    const key = createHash('sha256').update(match[1]).digest('hex');
    const remembered = verified.get(key);
    // Remembered, and the operator is still enabled with the same password: no scrypt, no attempt.
    if (
      remembered &&
      remembered.until > Date.now() &&
      (await app.tokenHolders.accepts(remembered.userId, remembered.tokenVersion))
    )
      return;
    verified.delete(key);
    const decoded = Buffer.from(match[1], 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 1) return challenge(reply);
    const username = decoded.slice(0, colon);
    // Every guess that would run scrypt counts against the same limits as POST /v1/auth/login (429).
    // Answered here: errors thrown on the board's routes would reach bull-board's error handler.
    try {
      await opts.countLoginAttempt(request, username);
    } catch (err) {
      const { problem, headers } = toProblem(err, request.id);
      return reply
        .code(problem.status)
        .headers(headers)
        .type('application/problem+json; charset=utf-8')
        .send(JSON.stringify(problem));
    }
    let user: Awaited<ReturnType<typeof authenticateUser>>;
    try {
      user = await authenticateUser(opts.db, username, decoded.slice(colon + 1));
    } catch {
      return challenge(reply);
    }
    if (user.role !== 'operator') return challenge(reply);
    verified.set(key, {
      until: Date.now() + REMEMBER_MS,
      userId: user.userId,
      tokenVersion: user.tokenVersion,
    });
    return;
  });
  await app.register(serverAdapter.registerPlugin(), { prefix: QUEUE_DASHBOARD_PATH });
}
