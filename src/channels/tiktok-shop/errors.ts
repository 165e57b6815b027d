/**
 * TikTok Shop's error vocabulary mapped to our failure kinds. Success is `code: 0` in the body; most
 * business errors come with HTTP 200 and a non-zero code, throttling with HTTP 429 and 36009002, and
 * overload with HTTP 503. Sources: TikTok Shop partner guide "common errors" and "rate limits"; the API
 * reference's per-endpoint error lists (mirrored in lazykern/ecommerce-api-docs).
 */
import { ChannelFailure } from '../types.js';

const REAUTH_CODES = new Set([
  105001, // invalid access token
  105002, // access token expired
  105005, // a scope the app needs was not granted: the seller must authorise again
  36004001, // refresh token has expired
  36004004, // cannot find the related authorisation record
  36004005,
]);

const RETRYABLE_CODES = new Set([
  36009007, // gateway timeout
  12052999, // "internal error, try again later" family
]);

export const TIKTOK_THROTTLE_CODE = 36009002;
/** "Product status does not allow this" — price and stock updates wait for the audit to end (ACTIVATE). */
const PRODUCT_IN_AUDIT_CODE = 12052901;

/** Classifies one TikTok Shop error envelope (or a bare HTTP status when there is no envelope). */
export function tiktokFailure(code: number, message: string, httpStatus: number): ChannelFailure {
  const said = message || `code ${code}`;
  if (code === TIKTOK_THROTTLE_CODE || httpStatus === 429) {
    return new ChannelFailure(
      'throttled',
      String(code || 'HTTP 429'),
      {
        en: 'TikTok Shop asked us to slow down; the change will go out shortly.',
        id: 'TikTok Shop meminta kami memperlambat; perubahan akan segera dikirim.',
      },
      { waitMs: 1_000 },
    );
  }
  if (REAUTH_CODES.has(code)) {
    return new ChannelFailure('reauth', String(code), {
      en: `TikTok Shop no longer accepts this shop's authorisation (${said}); reconnect the shop.`,
      id: `TikTok Shop tidak lagi menerima otorisasi toko ini (${said}); hubungkan ulang toko.`,
    });
  }
  if (code === PRODUCT_IN_AUDIT_CODE) {
    return new ChannelFailure(
      'retryable',
      String(code),
      {
        en: 'TikTok Shop is still reviewing this product; prices and stock follow once the review ends.',
        id: 'TikTok Shop masih meninjau produk ini; harga dan stok dikirim setelah tinjauan selesai.',
      },
      { waitMs: 30_000 },
    );
  }
  if (RETRYABLE_CODES.has(code) || httpStatus >= 500) {
    return new ChannelFailure('retryable', code ? String(code) : `HTTP ${httpStatus}`, {
      en: `TikTok Shop had a temporary problem (${said}); we will try again.`,
      id: `TikTok Shop mengalami gangguan sementara (${said}); kami akan mencoba lagi.`,
    });
  }
  return new ChannelFailure('permanent', String(code), {
    en: `TikTok Shop refused the change: ${said}`,
    id: `TikTok Shop menolak perubahan: ${said}`,
  });
}
