/**
 * Authentication and role authorization, in one place. Every API route declares
 * `config.access`: `{ public: true }` or `{ roles: [...] }`. A route under /v1 or /health without
 * a rule fails at start-up (and the authorization matrix test, which reads `app.routeTable`).
 * Data scoping (which crafters and regions) is applied by the services from `request.principal`.
 */
import fastifyJwt from '@fastify/jwt';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { Principal, Role } from '../../domain/scope.js';
import { ForbiddenError, TokenExpiredError, UnauthenticatedError } from '../../lib/errors.js';

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
    issueToken(principal: Principal): { token: string; expiresAt: string };
  }
}

/** Routes that must declare an access rule. Docs and static assets are outside it. */
const GUARDED = /^\/(v1|health)(\/|$)/;

export const authPlugin = fp(
  async (app: FastifyInstance, opts: { secret: string; ttlSeconds: number }) => {
    // The verify cache remembers verified tokens until they expire: no HMAC per request for a token seen before.
    await app.register(fastifyJwt, {
      secret: opts.secret,
      sign: { expiresIn: opts.ttlSeconds },
      verify: { cache: 10_000 },
    });
    app.decorate('routeTable', [] as RouteTableEntry[]);
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

    app.decorate('issueToken', (principal: Principal) => {
      const claims: TokenClaims = {
        sub: principal.userId,
        role: principal.role,
        cid: principal.crafterId,
        rc: principal.regionCode,
      };
      const token = app.jwt.sign(claims);
      return { token, expiresAt: new Date(Date.now() + opts.ttlSeconds * 1000).toISOString() };
    });

    app.addHook('onRequest', async (request: FastifyRequest) => {
      const access = request.routeOptions.config?.access;
      if (!access || 'public' in access) return;
      request.principal = authenticate(app, request);
      if (!access.roles.includes(request.principal.role)) throw new ForbiddenError();
    });
  },
  { name: 'auth' },
);

function authenticate(app: FastifyInstance, request: FastifyRequest): Principal {
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
    userId: claims.sub,
    role: claims.role,
    crafterId: claims.cid ?? null,
    regionCode: claims.rc ?? null,
  };
}

/** For handlers of non-public routes: the principal is always there. */
export function principalOf(request: FastifyRequest): Principal {
  if (!request.principal) throw new UnauthenticatedError();
  return request.principal;
}
