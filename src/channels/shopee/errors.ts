/**
 * Shopee's error vocabulary mapped to our failure kinds. Shopee answers business errors in the JSON
 * envelope (`error` non-empty), with HTTP statuses it does not document, so the envelope decides.
 * Codes are reused across meanings (`error_auth` also carries business refusals), so the message is
 * read together with the code. Source: Shopee Open Platform v2 `common_error_list` and per-API error
 * lists (mirrored as `schemas/v2.*.json` in congminh1254/shopee-sdk).
 */
import { ChannelFailure } from '../types.js';

/** Daily quota (`error_limit`) resets at 00:00 UTC+8. */
export function msUntilShopeeQuotaReset(now: Date): number {
  const utc8 = now.getTime() + 8 * 3600_000;
  const nextMidnightUtc8 = Math.floor(utc8 / 86_400_000 + 1) * 86_400_000;
  return nextMidnightUtc8 - utc8;
}

const REAUTH_CODES = new Set([
  'invalid_acceess_token', // sic: the platform's own spelling
  'invalid_access_token',
  'error_shop_refresh_token',
  'refresh_token_expired',
  'invalid_code',
  'partner_shop_no_link',
  'shop_no_linked',
]);

const RETRYABLE_CODES = new Set([
  'error_server',
  'error_inner',
  'error_busy',
  'error_system_busy',
  'error_network',
  'error_timeout',
]);

/** Classifies one Shopee error envelope. */
export function shopeeFailure(error: string, message: string, now: Date = new Date()): ChannelFailure {
  const said = message || error;
  if (error === 'error_rate_limit') {
    return new ChannelFailure(
      'throttled',
      error,
      {
        en: 'Shopee asked us to slow down; the change will go out shortly.',
        id: 'Shopee meminta kami memperlambat; perubahan akan segera dikirim.',
      },
      { waitMs: 1_000 },
    );
  }
  if (error === 'error_limit') {
    return new ChannelFailure(
      'throttled',
      error,
      {
        en: "The shop reached Shopee's daily call quota; changes resume after midnight (UTC+8).",
        id: 'Kuota panggilan harian Shopee habis; perubahan dilanjutkan setelah tengah malam (UTC+8).',
      },
      { waitMs: msUntilShopeeQuotaReset(now) },
    );
  }
  if (
    REAUTH_CODES.has(error) ||
    (error === 'error_auth' && /access_token|refresh_token|partner_id or shopid/i.test(said))
  ) {
    return new ChannelFailure('reauth', error, {
      en: `Shopee no longer accepts this shop's authorisation (${said}); reconnect the shop.`,
      id: `Shopee tidak lagi menerima otorisasi toko ini (${said}); hubungkan ulang toko.`,
    });
  }
  if (RETRYABLE_CODES.has(error)) {
    return new ChannelFailure('retryable', error, {
      en: `Shopee had a temporary problem (${said}); we will try again.`,
      id: `Shopee mengalami gangguan sementara (${said}); kami akan mencoba lagi.`,
    });
  }
  return new ChannelFailure('permanent', error, {
    en: `Shopee refused the change: ${said}`,
    id: `Shopee menolak perubahan: ${said}`,
  });
}
