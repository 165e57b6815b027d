/**
 * Channel connections: connecting a crafter's Shopee and Tokopedia (TikTok Shop) shops through each
 * platform's authorization flow, enrolling a crafter in a partner-brand programme, and listing,
 * inspecting and disconnecting them. Credentials are sealed before they touch the database and never
 * leave this module in clear, except to the channel call that needs them.
 */
import { createHmac, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import type { AxiosInstance } from 'axios';
import { and, asc, eq, gt, ne, sql } from 'drizzle-orm';
import { ChannelAuthError, type ConnectionSecrets, type TokenGrant } from '../channels/auth.js';
import { createChannelHttp } from '../channels/http.js';
import { shopeeAuthorizeUrl, shopeeExchangeCode } from '../channels/shopee/auth.js';
import {
  tiktokAuthorizedShops,
  tiktokAuthorizeUrl,
  tiktokExchangeCode,
} from '../channels/tiktok-shop/auth.js';
import { tiktokSign } from '../channels/tiktok-shop/signing.js';
import type { ChannelsConfig, TiktokShopChannelConfig } from '../config/env.js';
import type { Database, DbOrTx } from '../db/client.js';
import { crafterScopeCondition } from '../db/repositories/scope-sql.js';
import { channelConnections, channelListings, connectionAuthStates, crafters } from '../db/schema/index.js';
import { scopeOf } from '../domain/scope.js';
import {
  AuthorizationCodeRejectedError,
  AuthorizationStateError,
  ChannelNotConfiguredError,
  ConflictError,
  DependencyUnavailableError,
  NotFoundError,
  ValidationError,
} from '../lib/errors.js';
import { type Keyring, sealJson } from '../lib/secrets.js';
import { enqueueOutbox } from '../outbox/enqueue.js';
import { alertKey, resolveAlert } from './alerts.js';
import { recordAudit } from './audit.js';
import type { ServiceContext } from './context.js';
import { findCrafterInScope } from './crafters.js';
import { requestPushesWhere } from './listing-outbox.js';

export type ConnectionRow = typeof channelConnections.$inferSelect;
export type Channel = ConnectionRow['channel'];
export type OAuthChannel = Extract<Channel, 'shopee' | 'tiktok_shop'>;

/** What connection use cases need besides the caller: where channels are and how to seal secrets. */
export interface ConnectionDeps {
  channels: ChannelsConfig;
  keyring: Keyring;
  /** Origin of this API, for the callback URL handed to the platform. */
  publicBaseUrl: string;
  /** Secret the OAuth `state` is signed with. */
  stateSecret: string;
}

/** How long a seller has to approve in the marketplace before the link's state expires. */
export const AUTH_STATE_TTL_SECONDS = 15 * 60;

const CHANNEL_LABEL: Record<Channel, string> = {
  shopee: 'Shopee',
  tiktok_shop: 'Tokopedia (TikTok Shop)',
  partner_brand: 'Partner brand',
};

/** Path segment of each OAuth channel in the API (`/connections/callback/tiktok-shop`). */
export const CHANNEL_SLUG: Record<OAuthChannel, string> = { shopee: 'shopee', tiktok_shop: 'tiktok-shop' };

export function secretsContext(connectionId: string): string {
  return `channel_connections:${connectionId}`;
}

/** Seals a connection's credentials, bound to its id so the blob cannot be moved to another row. */
export function sealSecrets(keyring: Keyring, connectionId: string, secrets: ConnectionSecrets) {
  return {
    secretsSealed: sealJson(keyring, secrets, secretsContext(connectionId)),
    secretsKeyId: keyring.activeKeyId,
  };
}

// ---------------------------------------------------------------------------------------------------
// OAuth state: HMAC-signed, expiring, bound to crafter and channel, single-use through its nonce row.
// ---------------------------------------------------------------------------------------------------

interface StatePayload {
  v: 1;
  /** crafter id */
  c: string;
  ch: OAuthChannel;
  n: string;
  /** expiry, epoch seconds */
  e: number;
}

function stateKey(secret: string): Buffer {
  // A key of its own, derived from the token secret, so a state can never pass as a bearer token.
  return createHmac('sha256', secret).update('kriya-sync:connection-oauth-state').digest();
}

export function signState(secret: string, payload: StatePayload): string {
  const body = Buffer.from(JSON.stringify(payload), 'utf8').toString('base64url');
  const mac = createHmac('sha256', stateKey(secret)).update(body).digest('base64url');
  return `${body}.${mac}`;
}

export function verifyState(
  secret: string,
  state: string,
  channelName: OAuthChannel,
  nowMs = Date.now(),
): StatePayload {
  const [body, mac, extra] = state.split('.');
  if (!body || !mac || extra !== undefined) throw new AuthorizationStateError('invalid');
  const expected = createHmac('sha256', stateKey(secret)).update(body).digest();
  const given = Buffer.from(mac, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected))
    throw new AuthorizationStateError('invalid');
  let payload: StatePayload;
  try {
    payload = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as StatePayload;
  } catch {
    throw new AuthorizationStateError('invalid');
  }
  if (
    payload.v !== 1 ||
    payload.ch !== channelName ||
    typeof payload.c !== 'string' ||
    typeof payload.n !== 'string'
  )
    throw new AuthorizationStateError('invalid');
  if (typeof payload.e !== 'number' || payload.e * 1000 <= nowMs)
    throw new AuthorizationStateError('expired');
  return payload;
}

// ---------------------------------------------------------------------------------------------------
// Views: what the API may show. Never secrets.
// ---------------------------------------------------------------------------------------------------

export type ConnectionHealth = 'healthy' | 'degraded' | 'reauth_required' | 'disconnected';

export interface ConnectionView {
  id: string;
  crafterId: string;
  channel: Channel;
  externalShopId: string;
  shopName: string | null;
  partnerProgrammeId: string | null;
  status: ConnectionRow['status'];
  statusReason: string | null;
  statusReasonId: string | null;
  health: {
    state: ConnectionHealth;
    lastSuccessAt: Date | null;
    lastErrorAt: Date | null;
    lastErrorCode: string | null;
    lastError: string | null;
    consecutiveFailures: number;
  };
  tokenExpiresAt: Date | null;
  refreshExpiresAt: Date | null;
  lastRefreshedAt: Date | null;
  priceRule: { kind: ConnectionRow['priceMarkupKind']; value: number; roundingStepIdr: number };
  stockBuffer: { percent: number; maxUnits: number | null };
  version: number;
  createdAt: Date;
  updatedAt: Date;
  disconnectedAt: Date | null;
}

function healthOf(row: ConnectionRow): ConnectionHealth {
  if (row.status === 'disconnected') return 'disconnected';
  if (row.status === 'reauth_required') return 'reauth_required';
  return row.consecutiveFailures > 0 ? 'degraded' : 'healthy';
}

export function toConnectionView(row: ConnectionRow): ConnectionView {
  return {
    id: row.id,
    crafterId: row.crafterId,
    channel: row.channel,
    externalShopId: row.externalShopId,
    shopName: row.shopName,
    partnerProgrammeId: row.partnerProgrammeId,
    status: row.status,
    statusReason: row.statusReason,
    statusReasonId: row.statusReasonId,
    health: {
      state: healthOf(row),
      lastSuccessAt: row.lastSuccessAt,
      lastErrorAt: row.lastErrorAt,
      lastErrorCode: row.lastErrorCode,
      lastError: row.lastError,
      consecutiveFailures: row.consecutiveFailures,
    },
    tokenExpiresAt: row.tokenExpiresAt,
    refreshExpiresAt: row.refreshExpiresAt,
    lastRefreshedAt: row.lastRefreshedAt,
    priceRule: {
      kind: row.priceMarkupKind,
      value: row.priceMarkupValue,
      roundingStepIdr: row.priceRoundingStepIdr,
    },
    stockBuffer: { percent: row.stockBufferPercent, maxUnits: row.stockBufferMaxUnits },
    version: row.version,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
    disconnectedAt: row.disconnectedAt,
  };
}

/** The audit log keeps what changed, never the sealed blob. */
function auditView(row: ConnectionRow) {
  const { secretsSealed: _s, refreshLeaseId: _l, ...rest } = row;
  return rest;
}

// ---------------------------------------------------------------------------------------------------
// Use cases
// ---------------------------------------------------------------------------------------------------

export interface AuthorizationLink {
  authorizationUrl: string;
  /** Where the platform sends the seller back (register it in the platform's console). */
  callbackUrl: string;
  expiresAt: Date;
}

export function callbackUrl(deps: ConnectionDeps, channelName: OAuthChannel): string {
  return `${deps.publicBaseUrl}/v1/connections/callback/${CHANNEL_SLUG[channelName]}`;
}

/** Starts connecting a crafter's shop: records a single-use state and returns the platform's link. */
export async function startAuthorization(
  ctx: ServiceContext,
  deps: ConnectionDeps,
  crafterId: string,
  channelName: OAuthChannel,
): Promise<AuthorizationLink> {
  await findCrafterInScope(ctx.db, scopeOf(ctx.principal), crafterId);
  const shopee = deps.channels.shopee;
  const tiktok = deps.channels.tiktokShop;
  if (channelName === 'shopee' ? !shopee : !tiktok)
    throw new ChannelNotConfiguredError(CHANNEL_LABEL[channelName]);
  const nonce = randomBytes(18).toString('base64url');
  const expiresAt = new Date(Date.now() + AUTH_STATE_TTL_SECONDS * 1000);
  const state = signState(deps.stateSecret, {
    v: 1,
    c: crafterId,
    ch: channelName,
    n: nonce,
    e: Math.floor(expiresAt.getTime() / 1000),
  });
  await ctx.db.insert(connectionAuthStates).values({
    nonce,
    crafterId,
    channel: channelName,
    createdByUserId: ctx.principal.userId,
    expiresAt,
  });
  const back = callbackUrl(deps, channelName);
  // Shopee's classic link carries no state of its own: it goes into our redirect URL, which Shopee
  // returns to with `code` and `shop_id` appended. TikTok Shop passes `state` through itself.
  const authorizationUrl =
    channelName === 'shopee' && shopee
      ? shopeeAuthorizeUrl(shopee, `${back}?state=${encodeURIComponent(state)}`)
      : tiktokAuthorizeUrl(tiktok as NonNullable<typeof tiktok>, state);
  return { authorizationUrl, callbackUrl: back, expiresAt };
}

export interface CallbackInput {
  state: string;
  code: string;
  /** Shopee only: the shop that approved. */
  shopId?: string | undefined;
}

interface ExchangedShop {
  grant: TokenGrant;
  externalShopId: string;
  shopCipher: string | null;
  shopName: string | null;
  /** TikTok Shop: the shop's default sales warehouse, where listed stock lives (null: not found). */
  warehouseId: string | null;
}

/**
 * The shop's default sales warehouse (Get Warehouse List), read once at connect time so listings
 * can name it on every SKU. Best effort: a shop whose warehouse cannot be read is still connected,
 * and its listings say what is missing (see placementFor).
 */
async function tiktokSalesWarehouse(
  apiHttp: AxiosInstance,
  config: TiktokShopChannelConfig,
  accessToken: string,
  shopCipher: string,
): Promise<string | null> {
  const path = '/logistics/202309/warehouses';
  const query: Record<string, string> = {
    app_key: config.appKey,
    shop_cipher: shopCipher,
    timestamp: String(Math.floor(Date.now() / 1000)),
  };
  try {
    const res = await apiHttp.get(path, {
      params: { ...query, sign: tiktokSign(config.appSecret, path, query) },
      headers: { 'x-tts-access-token': accessToken, 'content-type': 'application/json' },
    });
    const body = res.data as {
      code?: number;
      data?: {
        warehouses?: Array<{ id?: string; type?: string; is_default?: boolean; effect_status?: string }>;
      };
    };
    if (res.status !== 200 || body.code !== 0) return null;
    const sales = (body.data?.warehouses ?? []).filter(
      (w) => w.id && w.type === 'SALES_WAREHOUSE' && w.effect_status !== 'DISABLED',
    );
    return (sales.find((w) => w.is_default) ?? sales[0])?.id ?? null;
  } catch {
    return null;
  }
}

function mapAuthFailure(err: unknown, channelName: Channel): never {
  if (err instanceof ChannelAuthError) {
    if (err.kind === 'transient')
      throw new DependencyUnavailableError(
        `${CHANNEL_LABEL[channelName]} is not reachable right now; try again.`,
        {
          detailId: `${CHANNEL_LABEL[channelName]} sedang tidak dapat dihubungi; coba lagi.`,
          retryAfterMs: 5_000,
        },
      );
    throw new AuthorizationCodeRejectedError(
      `${CHANNEL_LABEL[channelName]} refused the authorization (${err.platformCode ?? 'no code'}); start connecting the shop again.`,
      { detailId: `${CHANNEL_LABEL[channelName]} menolak otorisasi; mulai hubungkan toko lagi.` },
    );
  }
  throw err;
}

async function exchange(
  deps: ConnectionDeps,
  channelName: OAuthChannel,
  input: CallbackInput,
  http: { shopee?: AxiosInstance; tiktokAuth?: AxiosInstance; tiktokApi?: AxiosInstance },
): Promise<ExchangedShop> {
  const timeout = deps.channels.httpTimeoutMs;
  try {
    if (channelName === 'shopee') {
      const config = deps.channels.shopee;
      if (!config) throw new ChannelNotConfiguredError(CHANNEL_LABEL.shopee);
      const grant = await shopeeExchangeCode(
        http.shopee ?? createChannelHttp(config.baseUrl, timeout),
        config,
        input.code,
        input.shopId as string,
      );
      return {
        grant,
        externalShopId: input.shopId as string,
        shopCipher: null,
        shopName: null,
        warehouseId: null,
      };
    }
    const config = deps.channels.tiktokShop;
    if (!config) throw new ChannelNotConfiguredError(CHANNEL_LABEL.tiktok_shop);
    const grant = await tiktokExchangeCode(
      http.tiktokAuth ?? createChannelHttp(config.authBaseUrl, timeout),
      config,
      input.code,
    );
    const shops = await tiktokAuthorizedShops(
      http.tiktokApi ?? createChannelHttp(config.apiBaseUrl, timeout),
      config,
      grant.accessToken,
    );
    // One connection per Indonesian shop; a seller authorizing several shops connects the first here.
    const shop = shops.find((s) => s.region === 'ID') ?? shops[0];
    if (!shop) {
      throw new AuthorizationCodeRejectedError(
        'The authorization names no shop; authorize a Tokopedia shop.',
        {
          detailId: 'Otorisasi tidak menyebut toko; otorisasi toko Tokopedia Anda.',
        },
      );
    }
    const warehouseId = await tiktokSalesWarehouse(
      http.tiktokApi ?? createChannelHttp(config.apiBaseUrl, timeout),
      config,
      grant.accessToken,
      shop.cipher,
    );
    return {
      grant,
      externalShopId: shop.id,
      shopCipher: shop.cipher,
      shopName: shop.name || null,
      warehouseId,
    };
  } catch (err) {
    return mapAuthFailure(err, channelName);
  }
}

function isUniqueViolation(err: unknown, constraint: string): boolean {
  for (let e: unknown = err, depth = 0; e && depth < 4; e = (e as { cause?: unknown }).cause, depth++) {
    const pg = e as { code?: unknown; constraint_name?: unknown };
    if (pg.code === '23505' && pg.constraint_name === constraint) return true;
  }
  return false;
}

/**
 * The platform's redirect back to us. The state is checked (signature, expiry, channel) and its nonce
 * consumed before the code is exchanged, so a replayed callback is refused even while the first one
 * is still running; a forged, expired or replayed one writes nothing.
 */
export async function completeAuthorization(
  db: Database,
  deps: ConnectionDeps,
  channelName: OAuthChannel,
  input: CallbackInput,
  requestId: string | null,
  http: { shopee?: AxiosInstance; tiktokAuth?: AxiosInstance; tiktokApi?: AxiosInstance } = {},
): Promise<ConnectionView> {
  const payload = verifyState(deps.stateSecret, input.state, channelName);
  if (channelName === 'shopee' && !input.shopId) {
    throw new ValidationError('Shopee did not name the shop (shop_id is missing).', {
      issues: [{ path: 'query.shop_id', message: 'required' }],
    });
  }
  const [consumed] = await db
    .update(connectionAuthStates)
    .set({ consumedAt: sql`now()` })
    .where(
      and(
        eq(connectionAuthStates.nonce, payload.n),
        eq(connectionAuthStates.crafterId, payload.c),
        eq(connectionAuthStates.channel, channelName),
        sql`${connectionAuthStates.consumedAt} is null`,
        gt(connectionAuthStates.expiresAt, sql`now()`),
      ),
    )
    .returning();
  if (!consumed) {
    // Signed by us but not consumable: already used (or its row was purged after expiry).
    throw new AuthorizationStateError('used');
  }

  const shop = await exchange(deps, channelName, input, http);
  const secrets: ConnectionSecrets = {
    kind: 'oauth',
    accessToken: shop.grant.accessToken,
    refreshToken: shop.grant.refreshToken,
  };

  try {
    return await db.transaction(async (tx) => {
      const [existing] = await tx
        .select()
        .from(channelConnections)
        .where(
          and(
            eq(channelConnections.channel, channelName),
            eq(channelConnections.externalShopId, shop.externalShopId),
            ne(channelConnections.status, 'disconnected'),
          ),
        )
        .for('update');
      if (existing && existing.crafterId !== payload.c) {
        throw new ConflictError(
          'shop_connected_elsewhere',
          'This shop is already connected to another crafter; disconnect it there first.',
          { detailId: 'Toko ini sudah terhubung ke pengrajin lain; putuskan dulu di sana.' },
        );
      }
      const id = existing?.id ?? randomUUID();
      const fields = {
        ...sealSecrets(deps.keyring, id, secrets),
        shopCipher: shop.shopCipher,
        ...(shop.shopName ? { shopName: shop.shopName } : {}),
        ...(shop.warehouseId ? { warehouseId: shop.warehouseId } : {}),
        status: 'active' as const,
        statusReason: null,
        statusReasonId: null,
        tokenExpiresAt: shop.grant.accessExpiresAt,
        refreshExpiresAt: shop.grant.refreshExpiresAt,
        refreshLeaseId: null,
        refreshLeaseUntil: null,
        lastRefreshedAt: sql`now()`,
        lastSuccessAt: sql`now()`,
        consecutiveFailures: 0,
        lastError: null,
        lastErrorCode: null,
      };
      let row: ConnectionRow | undefined;
      if (existing) {
        [row] = await tx
          .update(channelConnections)
          .set({ ...fields, version: sql`${channelConnections.version} + 1`, updatedAt: sql`now()` })
          .where(eq(channelConnections.id, id))
          .returning();
        // After a reconnect, the work that waited goes out: a push per waiting listing, relayed in
        // this transaction's outbox rows (and the reconciler picks up pending listings regardless).
        const waiting = await tx
          .update(channelListings)
          .set({
            state: 'pending',
            queuedAt: null,
            nextAttemptAt: null,
            updatedAt: sql`now()`,
            version: sql`${channelListings.version} + 1`,
          })
          .where(and(eq(channelListings.connectionId, id), eq(channelListings.state, 'reauth_required')))
          .returning({ id: channelListings.id });
        for (const listing of waiting) {
          await enqueueOutbox(tx, {
            topic: 'listing.push_requested',
            aggregateType: 'listing',
            aggregateId: listing.id,
            payload: { listingId: listing.id },
          });
        }
        await resolveAlert(tx, alertKey.connectionReauth(id));
      } else {
        [row] = await tx
          .insert(channelConnections)
          .values({
            id,
            crafterId: payload.c,
            channel: channelName,
            externalShopId: shop.externalShopId,
            createdByUserId: consumed.createdByUserId,
            ...fields,
          })
          .returning();
      }
      if (!row) throw new Error('connection write returned nothing');
      // The shop's orders come in at once, not at the next scheduled pull.
      await enqueueOutbox(tx, {
        topic: 'connection.pull_requested',
        aggregateType: 'connection',
        aggregateId: row.id,
        payload: { connectionId: row.id },
      });
      await recordAudit(tx, {
        actorUserId: consumed.createdByUserId,
        action: existing ? 'connection.reauthorize' : 'connection.connect',
        entityType: 'connection',
        entityId: row.id,
        after: auditView(row),
        requestId,
      });
      return toConnectionView(row);
    });
  } catch (err) {
    if (isUniqueViolation(err, 'channel_connections_shop_idx')) {
      throw new ConflictError(
        'shop_connected_elsewhere',
        'This shop was connected by a concurrent request.',
        {
          detailId: 'Toko ini baru saja dihubungkan oleh permintaan lain.',
        },
      );
    }
    throw err;
  }
}

export interface PartnerEnrolmentInput {
  partnerProgrammeId: string;
  apiKey: string;
  apiSecret: string;
  shopName?: string | undefined;
}

/** An admin enrols a crafter in a partner-brand programme with that partner's API key. */
export async function enrolPartnerBrand(
  ctx: ServiceContext,
  deps: ConnectionDeps,
  crafterId: string,
  input: PartnerEnrolmentInput,
): Promise<ConnectionView> {
  if (!deps.channels.partnerBrand) throw new ChannelNotConfiguredError(CHANNEL_LABEL.partner_brand);
  try {
    return await ctx.db.transaction(async (tx) => {
      await findCrafterInScope(tx, scopeOf(ctx.principal), crafterId, true);
      const id = randomUUID();
      const [row] = await tx
        .insert(channelConnections)
        .values({
          id,
          crafterId,
          channel: 'partner_brand',
          externalShopId: input.partnerProgrammeId,
          partnerProgrammeId: input.partnerProgrammeId,
          shopName: input.shopName ?? null,
          status: 'active',
          createdByUserId: ctx.principal.userId,
          ...sealSecrets(deps.keyring, id, {
            kind: 'api_key',
            apiKey: input.apiKey,
            apiSecret: input.apiSecret,
          }),
        })
        .returning();
      if (!row) throw new Error('insert returned nothing');
      await enqueueOutbox(tx, {
        topic: 'connection.pull_requested',
        aggregateType: 'connection',
        aggregateId: row.id,
        payload: { connectionId: row.id },
      });
      await recordAudit(tx, {
        actorUserId: ctx.principal.userId,
        action: 'connection.enrol',
        entityType: 'connection',
        entityId: row.id,
        after: auditView(row),
        requestId: ctx.requestId,
      });
      return toConnectionView(row);
    });
  } catch (err) {
    if (isUniqueViolation(err, 'channel_connections_partner_idx')) {
      throw new ConflictError(
        'already_enrolled',
        'This crafter is already enrolled in that partner programme.',
        {
          detailId: 'Pengrajin ini sudah terdaftar di program mitra tersebut.',
        },
      );
    }
    throw err;
  }
}

/** Connections of one crafter (in scope), oldest first. */
export async function listConnections(
  ctx: ServiceContext,
  crafterId: string,
  query: { limit: number; after?: string | undefined; includeDisconnected?: boolean | undefined },
): Promise<ConnectionView[]> {
  await findCrafterInScope(ctx.db, scopeOf(ctx.principal), crafterId);
  const rows = await ctx.db
    .select()
    .from(channelConnections)
    .where(
      and(
        eq(channelConnections.crafterId, crafterId),
        query.includeDisconnected ? undefined : ne(channelConnections.status, 'disconnected'),
        query.after ? gt(channelConnections.id, query.after) : undefined,
      ),
    )
    .orderBy(asc(channelConnections.id))
    .limit(query.limit);
  return rows.map(toConnectionView);
}

export async function findConnectionInScope(
  tx: DbOrTx,
  ctx: ServiceContext,
  id: string,
  lock = false,
): Promise<ConnectionRow> {
  const query = tx
    .select({ connection: channelConnections })
    .from(channelConnections)
    .innerJoin(crafters, eq(crafters.id, channelConnections.crafterId))
    .where(and(eq(channelConnections.id, id), crafterScopeCondition(scopeOf(ctx.principal))));
  const [row] = lock ? await query.for('update', { of: channelConnections }) : await query;
  if (!row) throw new NotFoundError('Connection');
  return row.connection;
}

export async function getConnection(ctx: ServiceContext, id: string): Promise<ConnectionView> {
  return toConnectionView(await findConnectionInScope(ctx.db, ctx, id));
}

/**
 * Disconnects: nothing is revoked at the platform (the seller can do that there), but the stored
 * credentials are wiped at once and the connection is marked disconnected. Idempotent.
 */
export async function disconnectConnection(ctx: ServiceContext, id: string): Promise<ConnectionView> {
  return ctx.db.transaction(async (tx) => {
    const before = await findConnectionInScope(tx, ctx, id, true);
    if (before.status === 'disconnected') return toConnectionView(before);
    const [row] = await tx
      .update(channelConnections)
      .set({
        status: 'disconnected',
        statusReason: 'Disconnected by a user.',
        statusReasonId: 'Diputuskan oleh pengguna.',
        secretsSealed: null,
        secretsKeyId: null,
        tokenExpiresAt: null,
        refreshExpiresAt: null,
        refreshLeaseId: null,
        refreshLeaseUntil: null,
        disconnectedAt: sql`now()`,
        version: sql`${channelConnections.version} + 1`,
        updatedAt: sql`now()`,
      })
      .where(eq(channelConnections.id, id))
      .returning();
    if (!row) throw new Error('update returned nothing');
    // A disconnected shop needs no re-authorization any more.
    await resolveAlert(tx, alertKey.connectionReauth(id));
    await recordAudit(tx, {
      actorUserId: ctx.principal.userId,
      action: 'connection.disconnect',
      entityType: 'connection',
      entityId: id,
      before: auditView(before),
      after: auditView(row),
      requestId: ctx.requestId,
    });
    return toConnectionView(row);
  });
}

export interface ConnectionSettingsInput {
  priceRule?: { kind: ConnectionRow['priceMarkupKind']; value: number; roundingStepIdr: number } | undefined;
  stockBuffer?: { percent: number; maxUnits: number | null } | undefined;
}

/**
 * Changes a connection's price rule and stock buffer. Listings whose shop settings change get a new
 * push from the pipeline (their pushed offer no longer matches); the settings themselves are not
 * credentials and may be changed while the connection waits for re-authorization.
 */
export async function updateConnectionSettings(
  ctx: ServiceContext,
  id: string,
  input: ConnectionSettingsInput,
): Promise<ConnectionView> {
  if (input.priceRule?.kind === 'none' && input.priceRule.value !== 0) {
    throw new ValidationError('A price rule of kind "none" takes no value.', {
      issues: [{ path: 'body.priceRule.value', message: 'must be 0 when kind is none' }],
    });
  }
  return ctx.db.transaction(async (tx) => {
    const before = await findConnectionInScope(tx, ctx, id, true);
    if (before.status === 'disconnected') {
      throw new ConflictError(
        'connection_disconnected',
        'This connection is disconnected; connect the shop again.',
        {
          detailId: 'Koneksi ini sudah diputus; hubungkan toko lagi.',
        },
      );
    }
    const [row] = await tx
      .update(channelConnections)
      .set({
        ...(input.priceRule
          ? {
              priceMarkupKind: input.priceRule.kind,
              priceMarkupValue: input.priceRule.value,
              priceRoundingStepIdr: input.priceRule.roundingStepIdr,
            }
          : {}),
        ...(input.stockBuffer
          ? { stockBufferPercent: input.stockBuffer.percent, stockBufferMaxUnits: input.stockBuffer.maxUnits }
          : {}),
        version: sql`${channelConnections.version} + 1`,
        updatedAt: sql`now()`,
      })
      .where(eq(channelConnections.id, id))
      .returning();
    if (!row) throw new Error('update returned nothing');
    await recordAudit(tx, {
      actorUserId: ctx.principal.userId,
      action: 'connection.settings',
      entityType: 'connection',
      entityId: id,
      before: auditView(before),
      after: auditView(row),
      requestId: ctx.requestId,
    });
    // The shop's listings show prices and stock through these settings: a change goes out to them.
    const settingsChanged =
      row.priceMarkupKind !== before.priceMarkupKind ||
      row.priceMarkupValue !== before.priceMarkupValue ||
      row.priceRoundingStepIdr !== before.priceRoundingStepIdr ||
      row.stockBufferPercent !== before.stockBufferPercent ||
      row.stockBufferMaxUnits !== before.stockBufferMaxUnits;
    if (settingsChanged) await requestPushesWhere(tx, sql`l.connection_id = ${id}`);
    return toConnectionView(row);
  });
}
