/**
 * TikTok Shop request signature (reference §2.3): HMAC-SHA256 keyed with the app secret over
 * `app_secret + path + sorted(key + value, excluding sign and access_token) + raw body + app_secret`,
 * lower-case hex. Multipart bodies are not signed.
 */
import { createHmac } from 'node:crypto';

const UNSIGNED = new Set(['sign', 'access_token']);

export function tiktokSign(
  appSecret: string,
  path: string,
  query: Record<string, string>,
  rawBody?: string,
): string {
  let base = path;
  for (const key of Object.keys(query)
    .filter((k) => !UNSIGNED.has(k))
    .sort()) {
    base += `${key}${query[key]}`;
  }
  if (rawBody !== undefined) base += rawBody;
  return createHmac('sha256', appSecret).update(`${appSecret}${base}${appSecret}`, 'utf8').digest('hex');
}
