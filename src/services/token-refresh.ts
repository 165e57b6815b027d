/**
 * Refreshing a connection's access token before it expires.
 *
 * Shopee refresh tokens are single-use: two refreshes racing with the same token leave one of them
 * holding a dead token and the shop locked out. So one refresh per connection at a time, across every
 * worker process, through a lease on the row:
 *
 * 1. a conditional UPDATE takes the lease (only if the row is active, due and not leased) and returns
 *    the sealed credentials — the row is re-checked under the lease, so a second worker that arrives
 *    after the first finished sees a fresh expiry and does nothing;
 * 2. the platform is called with a bounded timeout, outside any transaction (no pooled connection
 *    or row lock is held across the network call; the lease outlives the timeout several times over);
 * 3. the new pair is committed with a conditional UPDATE on the lease id, before anything uses it.
 *
 * A refresh the platform refuses for good marks the connection and its listings `reauth_required`
 * with a plain-language reason; a transient failure is recorded and retried by the job.
 */
import { randomUUID } from 'node:crypto';
import { and, eq, inArray, isNull, lt, notInArray, or, sql } from 'drizzle-orm';
import { ChannelAuthError, type ConnectionSecrets, type TokenGrant } from '../channels/auth.js';
import { createChannelHttp } from '../channels/http.js';
import { shopeeRefreshToken } from '../channels/shopee/auth.js';
import { tiktokRefreshToken } from '../channels/tiktok-shop/auth.js';
import type { ChannelsConfig } from '../config/env.js';
import type { Database } from '../db/client.js';
import { channelConnections, channelListings } from '../db/schema/index.js';
import type { Logger } from '../lib/logger.js';
import { type Keyring, openJson, SecretUnavailableError } from '../lib/secrets.js';
import { alertKey, raiseAlert } from './alerts.js';
import { type ConnectionRow, sealSecrets, secretsContext } from './connections.js';

export interface TokenRefreshDeps {
  db: Database;
  channels: ChannelsConfig;
  keyring: Keyring;
  /** Refresh when the access token expires within this many minutes. */
  leadMinutes: number;
  log?: Logger | undefined;
}

export type RefreshOutcome =
  /** New pair committed. */
  | 'refreshed'
  /** Not due (already refreshed by someone else), leased by another worker, or not refreshable. */
  | 'skipped'
  /** The platform no longer accepts the grant: connection and listings now `reauth_required`. */
  | 'reauth_required';

/** Platform refused for good but not because the grant is gone (bad config, signature…). */
export class TokenRefreshRejectedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TokenRefreshRejectedError';
  }
}

const REFRESHABLE = ['shopee', 'tiktok_shop'] as const;

function leaseMs(deps: TokenRefreshDeps): number {
  return deps.channels.httpTimeoutMs * 3 + 5_000;
}

async function callPlatform(
  deps: TokenRefreshDeps,
  row: ConnectionRow,
  refreshToken: string,
): Promise<TokenGrant> {
  const timeout = deps.channels.httpTimeoutMs;
  if (row.channel === 'shopee') {
    const config = deps.channels.shopee;
    if (!config)
      throw new ChannelAuthError('rejected', undefined, 'Shopee is not configured on this server.');
    return shopeeRefreshToken(
      createChannelHttp(config.baseUrl, timeout),
      config,
      refreshToken,
      row.externalShopId,
    );
  }
  const config = deps.channels.tiktokShop;
  if (!config)
    throw new ChannelAuthError('rejected', undefined, 'TikTok Shop is not configured on this server.');
  return tiktokRefreshToken(createChannelHttp(config.authBaseUrl, timeout), config, refreshToken);
}

/**
 * Refreshes one connection's token pair if it is due (or `force`). Safe to call concurrently from any
 * number of processes: at most one of them calls the platform. Throws `ChannelAuthError` (transient)
 * for the job to retry, `TokenRefreshRejectedError` for a permanent, non-reauth failure.
 */
export async function refreshConnectionToken(
  deps: TokenRefreshDeps,
  connectionId: string,
  options: { force?: boolean } = {},
): Promise<RefreshOutcome> {
  const { db } = deps;
  const leaseId = randomUUID();
  const due = options.force
    ? sql`true`
    : sql`${channelConnections.tokenExpiresAt} < now() + make_interval(mins => ${deps.leadMinutes})`;
  const [row] = await db
    .update(channelConnections)
    .set({
      refreshLeaseId: leaseId,
      refreshLeaseUntil: sql`now() + make_interval(secs => ${leaseMs(deps) / 1000})`,
    })
    .where(
      and(
        eq(channelConnections.id, connectionId),
        eq(channelConnections.status, 'active'),
        inArray(channelConnections.channel, [...REFRESHABLE]),
        sql`${channelConnections.secretsSealed} is not null`,
        or(
          isNull(channelConnections.refreshLeaseUntil),
          lt(channelConnections.refreshLeaseUntil, sql`now()`),
        ),
        due,
      ),
    )
    .returning();
  if (!row) return 'skipped';

  const ownLease = and(
    eq(channelConnections.id, connectionId),
    eq(channelConnections.refreshLeaseId, leaseId),
  );
  const releaseWithError = async (err: ChannelAuthError | Error, code: string) =>
    db
      .update(channelConnections)
      .set({
        refreshLeaseId: null,
        refreshLeaseUntil: null,
        lastErrorAt: sql`now()`,
        lastErrorCode: code,
        lastError: err.message,
        consecutiveFailures: sql`${channelConnections.consecutiveFailures} + 1`,
        updatedAt: sql`now()`,
      })
      .where(ownLease);

  let grant: TokenGrant;
  try {
    const secrets = openJson<ConnectionSecrets>(
      deps.keyring,
      row.secretsSealed as string,
      secretsContext(row.id),
    );
    if (secrets.kind !== 'oauth') throw new TokenRefreshRejectedError('connection has no OAuth tokens');
    grant = await callPlatform(deps, row, secrets.refreshToken);
  } catch (err) {
    if (err instanceof ChannelAuthError && err.kind === 'revoked') {
      await markReauthRequired(db, row, leaseId, err);
      deps.log?.warn(
        { connectionId: row.id, channel: row.channel, platformCode: err.platformCode },
        'token refresh refused: connection needs re-authorization',
      );
      return 'reauth_required';
    }
    if (err instanceof ChannelAuthError) {
      await releaseWithError(err, `refresh_${err.kind}${err.platformCode ? `:${err.platformCode}` : ''}`);
      if (err.kind === 'transient') throw err;
      throw new TokenRefreshRejectedError(err.message);
    }
    if (err instanceof SecretUnavailableError) {
      // The stored credentials cannot be opened here (key missing from CREDENTIALS_KEYS): retrying
      // will not help; an operator must add the key.
      await releaseWithError(
        new Error(`stored credentials cannot be opened (${err.reason})`),
        'secrets_unavailable',
      );
      throw new TokenRefreshRejectedError(`stored credentials cannot be opened (${err.reason})`);
    }
    await releaseWithError(err as Error, 'refresh_failed');
    throw err;
  }

  // Commit the new pair before anyone uses it; only while we still hold the lease.
  const [saved] = await db
    .update(channelConnections)
    .set({
      ...sealSecrets(deps.keyring, row.id, {
        kind: 'oauth',
        accessToken: grant.accessToken,
        refreshToken: grant.refreshToken,
      }),
      tokenExpiresAt: grant.accessExpiresAt,
      refreshExpiresAt: grant.refreshExpiresAt ?? row.refreshExpiresAt,
      refreshLeaseId: null,
      refreshLeaseUntil: null,
      lastRefreshedAt: sql`now()`,
      lastSuccessAt: sql`now()`,
      consecutiveFailures: 0,
      lastErrorCode: null,
      lastError: null,
      version: sql`${channelConnections.version} + 1`,
      updatedAt: sql`now()`,
    })
    .where(ownLease)
    .returning({ id: channelConnections.id });
  if (!saved) {
    // Only possible if this process stalled past the lease (several HTTP timeouts long).
    deps.log?.error({ connectionId: row.id }, 'token refresh lease lost before the new tokens were stored');
    throw new Error('token refresh lease lost before the new tokens were stored');
  }
  deps.log?.info({ connectionId: row.id, channel: row.channel }, 'token refreshed');
  return 'refreshed';
}

async function markReauthRequired(
  db: Database,
  row: ConnectionRow,
  leaseId: string,
  err: ChannelAuthError,
): Promise<void> {
  await markConnectionReauthRequired(db, row, {
    code: `refresh_revoked${err.platformCode ? `:${err.platformCode}` : ''}`,
    detail: err.message,
    leaseId,
  });
}

/**
 * Marks a connection `reauth_required` with a plain-language reason, and every listing of it that is
 * not delisted, and raises the `connection_reauth_required` alert (resolved by the reconnect), in one
 * transaction. Used by the refresh (holding its lease: `leaseId`) and by the push
 * pipeline when a platform refuses the shop's token on a listing call (no lease: only an active
 * connection changes). Returns whether the connection changed.
 */
export async function markConnectionReauthRequired(
  db: Database,
  row: Pick<ConnectionRow, 'id' | 'channel'>,
  failure: { code: string; detail: string; leaseId?: string },
): Promise<boolean> {
  const label =
    row.channel === 'shopee'
      ? 'Shopee'
      : row.channel === 'tiktok_shop'
        ? 'Tokopedia (TikTok Shop)'
        : 'The partner brand';
  const reason = `${label} no longer accepts this shop's authorization; connect the shop again.`;
  const reasonId = `${label} tidak lagi menerima otorisasi toko ini; hubungkan toko lagi.`;
  return db.transaction(async (tx) => {
    const [updated] = await tx
      .update(channelConnections)
      .set({
        status: 'reauth_required',
        statusReason: reason,
        statusReasonId: reasonId,
        refreshLeaseId: null,
        refreshLeaseUntil: null,
        lastErrorAt: sql`now()`,
        lastErrorCode: failure.code,
        lastError: failure.detail,
        consecutiveFailures: sql`${channelConnections.consecutiveFailures} + 1`,
        version: sql`${channelConnections.version} + 1`,
        updatedAt: sql`now()`,
      })
      .where(
        and(
          eq(channelConnections.id, row.id),
          failure.leaseId !== undefined
            ? eq(channelConnections.refreshLeaseId, failure.leaseId)
            : eq(channelConnections.status, 'active'),
        ),
      )
      .returning({ id: channelConnections.id, crafterId: channelConnections.crafterId });
    if (!updated) return false;
    await raiseAlert(tx, {
      kind: 'connection_reauth_required',
      crafterId: updated.crafterId,
      dedupeKey: alertKey.connectionReauth(row.id),
      message: { en: reason, id: reasonId },
      subject: { connectionId: row.id, channel: row.channel },
    });
    await tx
      .update(channelListings)
      .set({
        state: 'reauth_required',
        lastErrorCode: 'reauth_required',
        lastError: reason,
        lastErrorId: reasonId,
        lastErrorAt: sql`now()`,
        version: sql`${channelListings.version} + 1`,
        updatedAt: sql`now()`,
      })
      .where(and(eq(channelListings.connectionId, row.id), notInArray(channelListings.state, ['delisted'])));
    return true;
  });
}

/** Connections whose access token expires within the lead time and that nobody is refreshing. */
export async function connectionsDueForRefresh(
  deps: Pick<TokenRefreshDeps, 'db' | 'leadMinutes'>,
  limit = 1000,
): Promise<Array<{ id: string; tokenExpiresAt: Date | null }>> {
  return deps.db
    .select({ id: channelConnections.id, tokenExpiresAt: channelConnections.tokenExpiresAt })
    .from(channelConnections)
    .where(
      and(
        eq(channelConnections.status, 'active'),
        inArray(channelConnections.channel, [...REFRESHABLE]),
        sql`${channelConnections.tokenExpiresAt} < now() + make_interval(mins => ${deps.leadMinutes})`,
        or(
          isNull(channelConnections.refreshLeaseUntil),
          lt(channelConnections.refreshLeaseUntil, sql`now()`),
        ),
      ),
    )
    .orderBy(channelConnections.tokenExpiresAt)
    .limit(limit);
}
