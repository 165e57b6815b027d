/**
 * Connections against the real sandbox: Shopee and TikTok Shop authorization (state signed, expiring,
 * single-use), partner-brand enrolment, list / inspect / disconnect, and no credential in any answer
 * or log line.
 */
import { eq } from 'drizzle-orm';
import type { InjectOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConnectionSecrets, OAuthSecrets } from '../../src/channels/auth.js';
import { channelConnections, connectionAuthStates } from '../../src/db/schema/index.js';
import type { Principal } from '../../src/domain/scope.js';
import { openJson } from '../../src/lib/secrets.js';
import { secretsContext, signState } from '../../src/services/connections.js';
import { KELURAHAN, makeCrafter, makeUser } from '../factories/index.js';
import { startTestApi, type TestApi } from '../helpers/api.js';
import { type ChannelSandbox, captureLogs, startChannelSandbox } from '../helpers/channel-sandbox.js';

let channels: ChannelSandbox;
let api: TestApi;
const logs = captureLogs();
/** Every response body the tests saw, searched for credentials at the end. */
const bodies: string[] = [];
let crafter: { id: string };
let otherCrafter: { id: string };
let crafterUser: Principal;
let admin: Principal;
let adminOut: Principal;

async function inject(options: InjectOptions) {
  const res = await api.app.inject(options);
  bodies.push(res.body);
  return res;
}

async function authorize(channel: 'shopee' | 'tiktok-shop', crafterId = crafter.id, who = crafterUser) {
  const res = await inject({
    method: 'POST',
    url: `/v1/crafters/${crafterId}/connections/${channel}/authorize`,
    headers: api.auth(who),
  });
  expect(res.statusCode, res.body).toBe(200);
  return res.json() as { authorizationUrl: string; callbackUrl: string; expiresAt: string };
}

/** Follows the Shopee link as a seller's browser would; the sandbox approves and redirects back. */
async function shopeeCallbackPath(authorizationUrl: string, shopId?: number): Promise<string> {
  const url = new URL(authorizationUrl);
  if (shopId !== undefined) url.searchParams.set('shop_id', String(shopId));
  const res = await fetch(url, { redirect: 'manual' });
  expect(res.status).toBe(302);
  const location = new URL(res.headers.get('location') as string);
  return `${location.pathname}${location.search}`;
}

async function storedSecrets(id: string): Promise<ConnectionSecrets> {
  const [row] = await api.database.db.select().from(channelConnections).where(eq(channelConnections.id, id));
  return openJson<ConnectionSecrets>(
    api.config.credentialsKeyring,
    row?.secretsSealed as string,
    secretsContext(id),
  );
}

const countRows = async () => ({
  connections: (await api.database.db.select().from(channelConnections)).length,
  consumed: (await api.database.db.select().from(connectionAuthStates)).filter((s) => s.consumedAt).length,
});

beforeAll(async () => {
  channels = await startChannelSandbox();
  api = await startTestApi(
    'h8_connections',
    { ...channels.env, LOG_LEVEL: 'info' },
    {
      logDestination: logs.stream,
    },
  );
  const db = api.database.db;
  crafter = await makeCrafter(db, { kelurahanCode: KELURAHAN.ciater });
  otherCrafter = await makeCrafter(db, { kelurahanCode: KELURAHAN.ciater });
  crafterUser = await makeUser(db, 'crafter', { crafterId: crafter.id });
  admin = await makeUser(db, 'admin', { regionCode: KELURAHAN.ciater });
  adminOut = await makeUser(db, 'admin', { regionCode: KELURAHAN.pakulonan });
});

afterAll(async () => {
  await api?.close();
  await channels?.close();
});

describe('Shopee authorization', () => {
  it('requires a token, and hides crafters outside the caller’s scope', async () => {
    const none = await inject({
      method: 'POST',
      url: `/v1/crafters/${crafter.id}/connections/shopee/authorize`,
    });
    expect(none.statusCode).toBe(401);
    const out = await inject({
      method: 'POST',
      url: `/v1/crafters/${crafter.id}/connections/shopee/authorize`,
      headers: api.auth(adminOut),
    });
    expect(out.statusCode).toBe(404);
    const otherCrafterOwn = await inject({
      method: 'POST',
      url: `/v1/crafters/${otherCrafter.id}/connections/shopee/authorize`,
      headers: api.auth(crafterUser),
    });
    expect(otherCrafterOwn.statusCode).toBe(404);
  });

  it('returns a signed auth_partner link; the callback stores sealed tokens and the shop id', async () => {
    const link = await authorize('shopee');
    const url = new URL(link.authorizationUrl);
    expect(url.pathname).toBe('/shopee/api/v2/shop/auth_partner');
    expect(url.searchParams.get('partner_id')).toBe(String(channels.shopeePartner.partnerId));
    expect(url.searchParams.get('sign')).toMatch(/^[0-9a-f]{64}$/);
    expect(url.searchParams.get('redirect')).toContain('/v1/connections/callback/shopee?state=');

    const path = await shopeeCallbackPath(link.authorizationUrl);
    const res = await inject({ method: 'GET', url: path });
    expect(res.statusCode, res.body).toBe(200);
    const connection = res.json();
    expect(connection).toMatchObject({
      crafterId: crafter.id,
      channel: 'shopee',
      status: 'active',
      health: { state: 'healthy' },
    });
    expect(connection.externalShopId).toBe(new URL(path, 'http://x').searchParams.get('shop_id'));
    expect(Date.parse(connection.tokenExpiresAt)).toBeGreaterThan(Date.now() + 3 * 3600_000);

    const [row] = await api.database.db
      .select()
      .from(channelConnections)
      .where(eq(channelConnections.id, connection.id));
    expect(row?.secretsKeyId).toBe(api.config.credentialsKeyring.activeKeyId);
    const secrets = (await storedSecrets(connection.id)) as OAuthSecrets;
    expect(secrets.kind).toBe('oauth');
    expect(row?.secretsSealed).not.toContain(secrets.accessToken);
    // The stored access token really works at the platform.
    const callsBefore = channels.sandbox.ctx.callLog.list({
      platform: 'shopee',
      endpoint: '/api/v2/auth/token/get',
    });
    expect(callsBefore.length).toBeGreaterThanOrEqual(1);
  });

  it('refuses a replayed callback (same state twice) and writes nothing', async () => {
    const link = await authorize('shopee');
    const path = await shopeeCallbackPath(link.authorizationUrl);
    expect((await inject({ method: 'GET', url: path })).statusCode).toBe(200);
    const before = await countRows();
    const replay = await inject({ method: 'GET', url: path });
    expect(replay.statusCode).toBe(409);
    expect(replay.headers['content-type']).toContain('application/problem+json');
    expect(replay.json().code).toBe('oauth_state_used');
    expect(await countRows()).toEqual(before);
  });

  it('refuses a forged state, an expired one and one meant for another channel, writing nothing', async () => {
    const link = await authorize('shopee');
    const path = await shopeeCallbackPath(link.authorizationUrl);
    const callback = new URL(path, 'http://x');
    const state = callback.searchParams.get('state') as string;
    const before = await countRows();

    const forged = new URL(callback);
    const [body] = state.split('.');
    const payload = JSON.parse(Buffer.from(body as string, 'base64url').toString('utf8'));
    payload.c = otherCrafter.id;
    forged.searchParams.set(
      'state',
      `${Buffer.from(JSON.stringify(payload)).toString('base64url')}.${state.split('.')[1]}`,
    );
    const forgedRes = await inject({ method: 'GET', url: `${forged.pathname}${forged.search}` });
    expect(forgedRes.statusCode).toBe(400);
    expect(forgedRes.json().code).toBe('oauth_state_invalid');

    const expired = new URL(callback);
    expired.searchParams.set(
      'state',
      signState(api.config.authTokenSecret, {
        ...payload,
        c: crafter.id,
        e: Math.floor(Date.now() / 1000) - 1,
      }),
    );
    const expiredRes = await inject({ method: 'GET', url: `${expired.pathname}${expired.search}` });
    expect(expiredRes.statusCode).toBe(400);
    expect(expiredRes.json().detail).toMatch(/expired/);

    const wrongChannel = await inject({
      method: 'GET',
      url: `/v1/connections/callback/tiktok-shop${callback.search}`,
    });
    expect(wrongChannel.statusCode).toBe(400);

    const garbage = await inject({
      method: 'GET',
      url: '/v1/connections/callback/shopee?state=abc&code=x&shop_id=1',
    });
    expect(garbage.statusCode).toBe(400);
    expect(await countRows()).toEqual(before);
  });

  it('a code the platform refuses is a 400, and the shop stays unconnected', async () => {
    const link = await authorize('shopee');
    const path = await shopeeCallbackPath(link.authorizationUrl);
    const callback = new URL(path, 'http://x');
    callback.searchParams.set('code', 'not-a-real-code');
    const before = await countRows();
    const res = await inject({ method: 'GET', url: `${callback.pathname}${callback.search}` });
    expect(res.statusCode).toBe(400);
    expect(res.json().code).toBe('authorization_code_rejected');
    expect((await countRows()).connections).toBe(before.connections);
  });
});

describe('TikTok Shop (Tokopedia) authorization', () => {
  it('links with app_key and state; the callback stores tokens, shop id, shop cipher and sales warehouse', async () => {
    const link = await authorize('tiktok-shop');
    const url = new URL(link.authorizationUrl);
    expect(url.searchParams.get('app_key')).toBe(channels.tiktokApp.appKey);
    const state = url.searchParams.get('state') as string;
    expect(state).toBeTruthy();

    const shop = channels.tiktok.control.createShop({ name: 'Toko Anyaman', tokopedia: true }) as {
      shop_id: string;
      cipher: string;
      warehouse_id: string;
    };
    const { auth_code } = channels.tiktok.control.authorizeShop({
      app_key: channels.tiktokApp.appKey,
      shop_id: shop.shop_id,
    }) as { auth_code: string };
    const res = await inject({
      method: 'GET',
      url: `/v1/connections/callback/tiktok-shop?code=${encodeURIComponent(auth_code)}&state=${encodeURIComponent(state)}`,
    });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({
      channel: 'tiktok_shop',
      externalShopId: shop.shop_id,
      shopName: 'Toko Anyaman',
      status: 'active',
    });
    const [row] = await api.database.db
      .select()
      .from(channelConnections)
      .where(eq(channelConnections.id, res.json().id));
    expect(row?.shopCipher).toBe(shop.cipher);
    // The shop's default sales warehouse (not its return warehouse), which every SKU's stock names.
    expect(row?.warehouseId).toBe(shop.warehouse_id);
    const secrets = (await storedSecrets(res.json().id)) as OAuthSecrets;
    expect(secrets.accessToken).toMatch(/^ROW_/);
    // The authorized-shops call was signed correctly and carried the token in the header.
    const shopsCalls = channels.sandbox.ctx.callLog
      .list({ platform: 'tiktok-shop' })
      .filter((c) => c.endpoint.includes('/authorization/'));
    expect(shopsCalls.at(-1)?.status).toBe(200);
  });
});

describe('partner-brand enrolment, list, inspect, disconnect', () => {
  let partnerConnectionId: string;

  it('an admin in scope enrols; a crafter may not; an admin out of scope gets 404; twice is 409', async () => {
    const body = {
      partnerProgrammeId: 'ikea-id',
      apiKey: 'pk_live_h8_ABCDEFGH',
      apiSecret: 'ps_h8_secret_XYZ12345',
    };
    const url = `/v1/crafters/${crafter.id}/connections/partner-brand`;
    expect(
      (await inject({ method: 'POST', url, headers: api.auth(crafterUser), payload: body })).statusCode,
    ).toBe(403);
    expect(
      (await inject({ method: 'POST', url, headers: api.auth(adminOut), payload: body })).statusCode,
    ).toBe(404);
    const res = await inject({ method: 'POST', url, headers: api.auth(admin), payload: body });
    expect(res.statusCode, res.body).toBe(201);
    expect(res.json()).toMatchObject({
      channel: 'partner_brand',
      partnerProgrammeId: 'ikea-id',
      status: 'active',
    });
    partnerConnectionId = res.json().id;
    expect(await storedSecrets(partnerConnectionId)).toEqual({
      kind: 'api_key',
      ...body,
      partnerProgrammeId: undefined,
    });
    const again = await inject({ method: 'POST', url, headers: api.auth(admin), payload: body });
    expect(again.statusCode).toBe(409);
    expect(again.json().code).toBe('already_enrolled');
    const bad = await inject({
      method: 'POST',
      url,
      headers: api.auth(admin),
      payload: { ...body, apiKey: 'x' },
    });
    expect(bad.statusCode).toBe(400);
  });

  it('lists and inspects connections with health and expiry, in scope only', async () => {
    const list = await inject({
      method: 'GET',
      url: `/v1/crafters/${crafter.id}/connections`,
      headers: api.auth(crafterUser),
    });
    expect(list.statusCode).toBe(200);
    const items = list.json().items as Array<{ id: string; channel: string }>;
    expect(new Set(items.map((i) => i.channel))).toEqual(new Set(['shopee', 'tiktok_shop', 'partner_brand']));
    const one = await inject({
      method: 'GET',
      url: `/v1/connections/${partnerConnectionId}`,
      headers: api.auth(admin),
    });
    expect(one.statusCode).toBe(200);
    expect(one.json().health).toMatchObject({ state: 'healthy', consecutiveFailures: 0 });
    const hidden = await inject({
      method: 'GET',
      url: `/v1/connections/${partnerConnectionId}`,
      headers: api.auth(adminOut),
    });
    expect(hidden.statusCode).toBe(404);
  });

  it('the shop’s price rule and stock buffer can be changed, with their rules checked', async () => {
    const url = `/v1/connections/${partnerConnectionId}`;
    const res = await inject({
      method: 'PATCH',
      url,
      headers: api.auth(crafterUser),
      payload: {
        priceRule: { kind: 'percent', value: 1250, roundingStepIdr: 500 },
        stockBuffer: { percent: 10, maxUnits: 25 },
      },
    });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({
      priceRule: { kind: 'percent', value: 1250, roundingStepIdr: 500 },
      stockBuffer: { percent: 10, maxUnits: 25 },
      version: 2,
    });
    const none = await inject({
      method: 'PATCH',
      url,
      headers: api.auth(crafterUser),
      payload: { priceRule: { kind: 'none', value: 5, roundingStepIdr: 1 } },
    });
    expect(none.statusCode).toBe(400);
    const tooMuch = await inject({
      method: 'PATCH',
      url,
      headers: api.auth(crafterUser),
      payload: { stockBuffer: { percent: 101, maxUnits: null } },
    });
    expect(tooMuch.statusCode).toBe(400);
    expect(
      (
        await inject({
          method: 'PATCH',
          url,
          headers: api.auth(adminOut),
          payload: { stockBuffer: { percent: 1, maxUnits: null } },
        })
      ).statusCode,
    ).toBe(404);
  });

  it('disconnect wipes the stored credentials, is idempotent and drops out of the default list', async () => {
    const first = await inject({
      method: 'DELETE',
      url: `/v1/connections/${partnerConnectionId}`,
      headers: api.auth(crafterUser),
    });
    expect(first.statusCode, first.body).toBe(200);
    expect(first.json()).toMatchObject({ status: 'disconnected', health: { state: 'disconnected' } });
    const [row] = await api.database.db
      .select()
      .from(channelConnections)
      .where(eq(channelConnections.id, partnerConnectionId));
    expect(row?.secretsSealed).toBeNull();
    expect(row?.secretsKeyId).toBeNull();
    const second = await inject({
      method: 'DELETE',
      url: `/v1/connections/${partnerConnectionId}`,
      headers: api.auth(crafterUser),
    });
    expect(second.statusCode).toBe(200);
    const patchDisconnected = await inject({
      method: 'PATCH',
      url: `/v1/connections/${partnerConnectionId}`,
      headers: api.auth(crafterUser),
      payload: { stockBuffer: { percent: 1, maxUnits: null } },
    });
    expect(patchDisconnected.statusCode).toBe(409);
    expect(patchDisconnected.json().code).toBe('connection_disconnected');
    const list = await inject({
      method: 'GET',
      url: `/v1/crafters/${crafter.id}/connections`,
      headers: api.auth(crafterUser),
    });
    expect((list.json().items as Array<{ id: string }>).map((i) => i.id)).not.toContain(partnerConnectionId);
    // Enrolling again after a disconnect is allowed.
    const again = await inject({
      method: 'POST',
      url: `/v1/crafters/${crafter.id}/connections/partner-brand`,
      headers: api.auth(admin),
      payload: {
        partnerProgrammeId: 'ikea-id',
        apiKey: 'pk_live_h8_ABCDEFGH',
        apiSecret: 'ps_h8_secret_XYZ12345',
      },
    });
    expect(again.statusCode).toBe(201);
  });
});

describe('credentials never leave in clear', () => {
  it('no token, API key or secret appears in any API answer or log line', async () => {
    const rows = await api.database.db.select().from(channelConnections);
    const secrets: string[] = [
      'pk_live_h8_ABCDEFGH',
      'ps_h8_secret_XYZ12345',
      channels.shopeePartner.partnerKey,
    ];
    for (const row of rows) {
      if (!row.secretsSealed) continue;
      const s = openJson<ConnectionSecrets>(
        api.config.credentialsKeyring,
        row.secretsSealed,
        secretsContext(row.id),
      );
      if (s.kind === 'oauth') secrets.push(s.accessToken, s.refreshToken);
    }
    expect(secrets.length).toBeGreaterThan(6);
    const logText = logs.text();
    expect(logText.length).toBeGreaterThan(0);
    // The callback URLs were logged, with their code and state masked.
    expect(logText).toContain('/v1/connections/callback/shopee?state=[redacted]');
    for (const secret of secrets) {
      expect(logText.includes(secret), 'secret found in logs').toBe(false);
      expect(
        bodies.some((b) => b.includes(secret)),
        'secret found in an API answer',
      ).toBe(false);
    }
  });
});
