import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { annotateCall } from '../../core/call-log.js';
import { publicApi, type Query, queryValue, sendShopeeError, verifyPublic } from '../api.js';
import { ShopeeError, shopeeErrors } from '../errors.js';
import type { ShopeeRuntime } from '../runtime.js';
import type { Grant } from '../store.js';
import { parseInput } from '../validation.js';

/** Issues a single-use authorization code for an authorized (partner, shop) pair. */
export function issueAuthCode(rt: ShopeeRuntime, partnerId: number, shopId: number): Grant {
  rt.store.link(partnerId, shopId);
  const grant: Grant = {
    token: rt.store.token(),
    partnerId,
    shopId,
    expiresAt: rt.nowMs() + rt.config.authCodeTtlSeconds * 1000,
    used: false,
  };
  rt.store.codes.set(grant.token, grant);
  return grant;
}

function issueTokens(rt: ShopeeRuntime, partnerId: number, shopId: number) {
  const now = rt.nowMs();
  const access: Grant = {
    token: rt.store.token(),
    partnerId,
    shopId,
    expiresAt: now + rt.config.accessTokenTtlSeconds * 1000,
    used: false,
  };
  const refresh: Grant = {
    token: rt.store.token(),
    partnerId,
    shopId,
    expiresAt: now + rt.config.refreshTokenTtlSeconds * 1000,
    used: false,
  };
  rt.store.accessTokens.set(access.token, access);
  rt.store.refreshTokens.set(refresh.token, refresh);
  return {
    access_token: access.token,
    refresh_token: refresh.token,
    expire_in: rt.config.accessTokenTtlSeconds,
  };
}

const tokenGetBody = z.object({
  code: z.string().min(1),
  partner_id: z.number().int(),
  shop_id: z.number().int().optional(),
  main_account_id: z.number().int().optional(),
});

const refreshBody = z.object({
  refresh_token: z.string().min(1),
  partner_id: z.number().int(),
  shop_id: z.number().int().optional(),
  merchant_id: z.number().int().optional(),
});

export function registerAuthRoutes(app: FastifyInstance, rt: ShopeeRuntime): void {
  /**
   * The seller approves: `shop_id` (sandbox extension) picks the approving shop, otherwise a new shop is
   * opened; the browser goes back to the redirect URL with `code` and `shop_id`.
   */
  const approve = (
    request: FastifyRequest,
    reply: FastifyReply,
    partnerId: number,
    redirect: string,
    query: Query,
    extra: Record<string, string> = {},
  ) => {
    const wanted = queryValue(query, 'shop_id');
    let shop = wanted !== undefined ? rt.store.shops.get(Number(wanted)) : undefined;
    if (wanted !== undefined && !shop) throw shopeeErrors.invalidPartnerOrShop();
    if (!rt.config.autoApproveAuthorization) {
      return reply
        .code(202)
        .type('text/plain')
        .send('Authorization is waiting for the seller: approve it with POST /__sandbox/shopee/authorize.');
    }
    if (!shop) {
      const shopId = Number(rt.ctx.random.numericId(9));
      shop = { shopId, name: `Sandbox Shop ${shopId}`, region: 'ID' as const };
      rt.store.shops.set(shopId, shop);
    }
    const code = issueAuthCode(rt, partnerId, shop.shopId);
    annotateCall(request, { shopId: String(shop.shopId) });
    const target = new URL(redirect);
    target.searchParams.set('code', code.token);
    target.searchParams.set('shop_id', String(shop.shopId));
    for (const [key, value] of Object.entries(extra)) target.searchParams.set(key, value);
    return reply.redirect(target.toString(), 302);
  };

  // The current authorization page (what SDKs build): `/auth?partner_id&auth_type&redirect_uri&
  // response_type=code[&state]`, unsigned. The sandbox seller approves at once; `state` is handed back.
  app.get('/auth', async (request, reply) => {
    const query = request.query as Query;
    try {
      const partnerId = queryValue(query, 'partner_id');
      if (partnerId === undefined || partnerId === '') throw shopeeErrors.noPartnerId();
      const partner = /^\d+$/.test(partnerId) ? rt.store.apps.get(Number(partnerId)) : undefined;
      if (!partner) throw new ShopeeError('invalid_partner_id', 'Invalid partner_id, please have a check.');
      if (queryValue(query, 'response_type') !== 'code')
        throw shopeeErrors.param('Wrong parameters, detail: response_type should be code.');
      const authType = queryValue(query, 'auth_type') ?? 'seller';
      if (authType !== 'seller')
        throw shopeeErrors.param('Wrong parameters, detail: the sandbox authorizes seller shops only.');
      const redirect = queryValue(query, 'redirect_uri');
      if (redirect === undefined || !/^https?:\/\//.test(redirect) || !URL.canParse(redirect))
        throw shopeeErrors.param('Wrong parameters, detail: redirect_uri is required.');
      const state = queryValue(query, 'state');
      return approve(
        request,
        reply,
        partner.partnerId,
        redirect,
        query,
        state === undefined ? {} : { state },
      );
    } catch (err) {
      return sendShopeeError(rt, request, reply, err);
    }
  });

  // v2.shop.auth_partner — the classic signed authorization link.
  app.get('/api/v2/shop/auth_partner', async (request, reply) => {
    const query = request.query as Query;
    try {
      const partner = verifyPublic(rt, query, '/api/v2/shop/auth_partner');
      const redirect = queryValue(query, 'redirect');
      if (redirect === undefined || !/^https?:\/\//.test(redirect) || !URL.canParse(redirect))
        throw shopeeErrors.param('Wrong parameters, detail: redirect is required.');
      return approve(request, reply, partner.partnerId, redirect, query);
    } catch (err) {
      return sendShopeeError(rt, request, reply, err);
    }
  });

  // v2.public.get_access_token — exchange a single-use code (10 minutes) for tokens.
  publicApi(rt, app, {
    method: 'POST',
    path: '/api/v2/auth/token/get',
    topLevel: true,
    handler: ({ body, partner }) => {
      const input = parseInput(tokenGetBody, body);
      const grant = rt.store.codes.get(input.code);
      if (!grant || grant.used || grant.expiresAt <= rt.nowMs()) throw shopeeErrors.invalidCode();
      if (input.partner_id !== partner.partnerId || grant.partnerId !== partner.partnerId)
        throw shopeeErrors.invalidCode();
      if (input.shop_id === undefined) throw shopeeErrors.required('shop_id');
      if (input.shop_id !== grant.shopId) throw shopeeErrors.invalidShopId();
      grant.used = true;
      return {
        ...issueTokens(rt, grant.partnerId, grant.shopId),
        shop_id_list: [grant.shopId],
        merchant_id_list: [],
      };
    },
  });

  // v2.public.refresh_access_token — the refresh token is single use and rotated on every refresh.
  publicApi(rt, app, {
    method: 'POST',
    path: '/api/v2/auth/access_token/get',
    topLevel: true,
    handler: ({ body, partner }) => {
      const input = parseInput(refreshBody, body);
      const grant = rt.store.refreshTokens.get(input.refresh_token);
      if (
        !grant ||
        grant.used ||
        grant.partnerId !== partner.partnerId ||
        input.partner_id !== partner.partnerId
      ) {
        throw shopeeErrors.invalidRefreshToken();
      }
      if (grant.expiresAt <= rt.nowMs()) throw shopeeErrors.expiredRefreshToken();
      if (input.shop_id === undefined) throw shopeeErrors.required('shop_id');
      // A refresh token of another shop is the same error as an unknown one ("check refresh token or shopid").
      if (input.shop_id !== grant.shopId) throw shopeeErrors.invalidRefreshToken();
      if (!rt.store.isLinked(grant.partnerId, grant.shopId)) throw shopeeErrors.shopNotLinked();
      grant.used = true;
      return {
        ...issueTokens(rt, grant.partnerId, grant.shopId),
        partner_id: grant.partnerId,
        shop_id: grant.shopId,
      };
    },
  });
}
