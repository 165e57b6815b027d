/**
 * Authentication and role authorization, in one place. Every API route declares
 * `config.access`: `{ public: true }` or `{ roles: [...] }`. A route under /v1 or /health without
 * a rule fails at start-up (and the authorization matrix test, which reads `app.routeTable`).
 * Data scoping (which crafters and regions) is applied by the services from `request.principal`.
 *
 * Revocation: a token carries its user's `token_version` (`tv`), which Postgres bumps when the
 * password, `disabled`, the role or its binding changes. Each request checks the user still exists,
 * is enabled and has that version. What was read is remembered per user for `userCacheSeconds` (a
 * few seconds: the longest a change made by another process or by SQL stays unnoticed here); a
 * change made through this process's services drops it at once. The JWT verify cache only skips
 * re-checking the signature, never this.
 */
import fastifyJwt from '@fastify/jwt';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { LRUCache } from 'lru-cache';
import type { DbOrTx } from '../../db/client.js';
import type { Principal, Role } from '../../domain/scope.js';
import { ForbiddenError, TokenExpiredError, UnauthenticatedError } from '../../lib/errors.js';
import {
  type AuthenticatedUser,
  onTokensRevoked,
  type TokenHolderState,
  tokenHolderState,
} from '../../services/users.js';

export type AccessRule = { public: true } | { roles: readonly Role[] };

export interface RouteTableEntry {
  method: string;
  url: string;
  access: AccessRule;
}

interface TokenClaims {
  sub: string;
  role: Role;
  cid: string | null;
  rc: string | null;
  /** The user's token version when the token was issued. */
  tv: number;
}

/**
 * What this process last read about users whose tokens it checks, for a few seconds. A read that
 * raced a revocation in this process is used by its own request but not remembered.
 */
export class TokenHolders {
  private readonly entries: LRUCache<string, { state: TokenHolderState | null }>;
  private readonly caching: boolean;
  private generation = 0;

  /** `ttlSeconds` 0: read the user on every request. */
  constructor(
    private readonly db: DbOrTx,
    ttlSeconds: number,
  ) {
    this.caching = ttlSeconds > 0;
    this.entries = new LRUCache({ max: 50_000, ttl: Math.max(1, ttlSeconds * 1000) });
  }

  async state(userId: string): Promise<TokenHolderState | null> {
    const hit = this.entries.get(userId);
    if (hit) return hit.state;
    const generation = this.generation;
    const state = await tokenHolderState(this.db, userId);
    if (this.caching && generation === this.generation) this.entries.set(userId, { state });
    return state;
  }

  /** True when a token of `userId` issued at `tokenVersion` is still good. */
  async accepts(userId: string, tokenVersion: unknown): Promise<boolean> {
    const state = await this.state(userId);
    return state !== null && !state.disabled && state.tokenVersion === tokenVersion;
  }

  forget(userId: string): void {
    this.generation += 1;
    this.entries.delete(userId);
  }
}

declare module 'fastify' {
  interface FastifyContextConfig {
    access?: AccessRule;
  }
  interface FastifyRequest {
    /** Set for every non-public route before the handler runs. */
    principal: Principal | null;
  }
  interface FastifyInstance {
    routeTable: RouteTableEntry[];
    issueToken(user: AuthenticatedUser): { token: string; expiresAt: string };
    /** Whether a user's tokens (and remembered dashboard logins) still hold. */
    tokenHolders: TokenHolders;
  }
}

/** Routes that must declare an access rule. Docs and static assets are outside it. */
const GUARDED = /^\/(v1|health)(\/|$)/;

export const authPlugin = fp(
  async (
    app: FastifyInstance,
    opts: { secret: string; ttlSeconds: number; db: DbOrTx; userCacheSeconds: number },
  ) => {
    // The verify cache remembers verified tokens until they expire: no HMAC per request for a token
    // seen before. It says nothing about revocation, which is checked on every request below.
    await app.register(fastifyJwt, {
      secret: opts.secret,
      sign: { expiresIn: opts.ttlSeconds },
      verify: { cache: 10_000 },
    });
    app.decorate('routeTable', [] as RouteTableEntry[]);
    const holders = new TokenHolders(opts.db, opts.userCacheSeconds);
    app.decorate('tokenHolders', holders);
    const unsubscribe = onTokensRevoked((userId) => holders.forget(userId));
    app.addHook('onClose', async () => {
      unsubscribe();
    });
    app.decorateRequest('principal', null);

    app.addHook('onRoute', (route) => {
      if (!GUARDED.test(route.url)) return;
      const access = route.config?.access;
      if (!access)
        throw new Error(`Route ${String(route.method)} ${route.url} declares no access rule (config.access)`);
      const methods = Array.isArray(route.method) ? route.method : [route.method];
      for (const method of methods) {
        if (method === 'HEAD') continue;
        app.routeTable.push({ method: String(method), url: route.url, access });
      }
    });

    app.decorate('issueToken', (user: AuthenticatedUser) => {
      const claims: TokenClaims = {
        sub: user.userId,
        role: user.role,
        cid: user.crafterId,
        rc: user.regionCode,
        tv: user.tokenVersion,
      };
      const token = app.jwt.sign(claims);
      return { token, expiresAt: new Date(Date.now() + opts.ttlSeconds * 1000).toISOString() };
    });

    app.addHook('onRequest', async (request: FastifyRequest) => {
      const access = request.routeOptions.config?.access;
      if (!access || 'public' in access) return;
      const { principal, tokenVersion } = authenticate(app, request);
      if (!(await holders.accepts(principal.userId, tokenVersion))) {
        throw new UnauthenticatedError(
          'The bearer token is no longer valid (the account was changed or disabled); log in again.',
        );
      }
      request.principal = principal;
      if (!access.roles.includes(request.principal.role)) throw new ForbiddenError();
    });
  },
  { name: 'auth' },
);

function authenticate(
  app: FastifyInstance,
  request: FastifyRequest,
): { principal: Principal; tokenVersion: unknown } {
  const header = request.headers.authorization;
  const match = typeof header === 'string' ? /^Bearer\s+([A-Za-z0-9._~+/-]+=*)$/i.exec(header.trim()) : null;
  if (!match?.[1]) throw new UnauthenticatedError();
  let claims: TokenClaims;
  try {
    claims = app.jwt.verify<TokenClaims>(match[1]);
  } catch (err) {
    const code = String((err as { code?: unknown }).code ?? '');
    if (code.includes('EXPIRED')) throw new TokenExpiredError();
    throw new UnauthenticatedError('The bearer token is not valid.');
  }
  if (typeof claims.sub !== 'string' || !['crafter', 'admin', 'operator'].includes(claims.role)) {
    throw new UnauthenticatedError('The bearer token is not valid.');
  }
  return {
    principal: {
      userId: claims.sub,
      role: claims.role,
      crafterId: claims.cid ?? null,
      regionCode: claims.rc ?? null,
    },
    tokenVersion: claims.tv,
  };
}

/** For handlers of non-public routes: the principal is always there. */
export function principalOf(request: FastifyRequest): Principal {
  if (!request.principal) throw new UnauthenticatedError();
  return request.principal;
}
