/**
 * Limits on password guesses, shared by every place that checks a password (`POST /v1/auth/login`
 * and HTTP Basic on `/admin/queues`) and counted in Redis, so they hold across API processes and a
 * guess costs the same budget whichever door it comes through. Two buckets per attempt:
 * - per username and client address (`LOGIN_RATE_LIMIT_MAX`): one noisy client cannot lock
 *   everybody out of an account;
 * - per username alone (`LOGIN_RATE_LIMIT_PER_USER_MAX`), whatever the address: rotating addresses,
 *   or a forged X-Forwarded-For behind a proxy that is trusted too far, buys no extra guesses.
 * While Redis is down the limits are skipped (logins keep working); the scrypt concurrency bound in
 * `lib/password.ts` still caps the cost.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { RateLimitedError } from '../lib/errors.js';

export interface LoginLimitOptions {
  /** Attempts per username and client address per window. */
  max: number;
  /** Attempts per username per window, from all addresses together. */
  perUserMax: number;
  windowSeconds: number;
}

/** Counts one password attempt for `username`; throws `RateLimitedError` (429) when over a limit. */
export type CountLoginAttempt = (request: FastifyRequest, username: string) => Promise<void>;

export function loginAttemptCounter(app: FastifyInstance, options: LoginLimitOptions): CountLoginAttempt {
  // The limiter's key generator only sees the request; the username comes from the body or a header.
  const usernames = new WeakMap<FastifyRequest, string>();
  const nameOf = (request: FastifyRequest) => usernames.get(request) ?? '';
  const timeWindow = options.windowSeconds * 1000;
  const byAddress = app.createRateLimit({
    max: options.max,
    timeWindow,
    keyGenerator: (request) => `login:${request.ip}:${nameOf(request)}`,
  });
  const byUser = app.createRateLimit({
    max: options.perUserMax,
    timeWindow,
    keyGenerator: (request) => `login-user:${nameOf(request)}`,
  });
  return async (request, username) => {
    usernames.set(request, username.normalize('NFKC').toLowerCase());
    const results = await Promise.all([byAddress(request), byUser(request)]);
    let retryAfterSeconds = 0;
    for (const result of results) {
      if (!result.isAllowed && result.isExceeded)
        retryAfterSeconds = Math.max(retryAfterSeconds, result.ttlInSeconds, 1);
    }
    if (retryAfterSeconds > 0) {
      throw new RateLimitedError('Too many login attempts for this account; try again later.', {
        detailId: 'Terlalu banyak percobaan masuk untuk akun ini; coba lagi nanti.',
        retryAfterMs: retryAfterSeconds * 1000,
      });
    }
  };
}
