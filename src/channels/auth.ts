/**
 * What connection management needs from a channel's authorization service, independent of its wire
 * format: exchange an authorization code, refresh a token pair. Adapters for listings and orders live
 * beside these in each channel's folder and share the same credentials shape.
 */

/** A token pair as stored (sealed) on a connection. Times are absolute. */
export interface TokenGrant {
  accessToken: string;
  refreshToken: string;
  accessExpiresAt: Date;
  /** `null` when the platform does not say (then the refresh job simply tries). */
  refreshExpiresAt: Date | null;
}

/** The sealed JSON of an OAuth connection (Shopee, TikTok Shop). */
export interface OAuthSecrets {
  kind: 'oauth';
  accessToken: string;
  refreshToken: string;
}

/** The sealed JSON of a partner-brand enrolment. */
export interface ApiKeySecrets {
  kind: 'api_key';
  apiKey: string;
  apiSecret: string;
}

export type ConnectionSecrets = OAuthSecrets | ApiKeySecrets;

/**
 * Why a call to an authorization service failed:
 * - `revoked`: the grant is gone (refresh token used, expired or revoked; shop unlinked) — the seller
 *   must authorize again;
 * - `rejected`: the platform refused this request for good (bad code, bad signature, bad config);
 * - `transient`: network, timeout, 5xx or throttling — try again later.
 */
export type ChannelAuthFailureKind = 'revoked' | 'rejected' | 'transient';

export class ChannelAuthError extends Error {
  constructor(
    readonly kind: ChannelAuthFailureKind,
    /** The platform's own error code, when it gave one (e.g. `error_auth`, `36004001`). */
    readonly platformCode: string | undefined,
    message: string,
  ) {
    super(message);
    this.name = 'ChannelAuthError';
  }
}
