/**
 * Shopee Open Platform v2 request signature (reference §1.3): lower-case hex HMAC-SHA256 keyed with the
 * partner key over `partner_id + api_path + timestamp [+ access_token + shop_id]`. Query and body
 * parameters are not signed.
 */
import { createHmac } from 'node:crypto';

export function shopeeSign(
  partnerKey: string,
  parts: {
    partnerId: number;
    path: string;
    timestamp: number;
    accessToken?: string;
    shopId?: string | number;
  },
): string {
  const base = `${parts.partnerId}${parts.path}${parts.timestamp}${parts.accessToken ?? ''}${parts.shopId ?? ''}`;
  return createHmac('sha256', partnerKey).update(base, 'utf8').digest('hex');
}
