/**
 * Fetches a crafter's product image so an adapter can upload it as a file (Shopee and TikTok Shop
 * take files, not URLs). Image URLs are crafter input, so the fetch is guarded:
 * - only http(s);
 * - every address a host name resolves to must be public: loopback, private, link-local, CGNAT,
 *   multicast and reserved ranges are refused at connect time (so DNS rebinding and redirects to an
 *   internal host are refused too), except origins the operator allows explicitly (the sandbox in
 *   demo and test mode);
 * - a size limit, enforced while streaming, and a content check by magic bytes (JPEG, PNG, WebP).
 */
import { createHash } from 'node:crypto';
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import { BlockList, isIP, type LookupFunction } from 'node:net';
import axios from 'axios';
import { ChannelFailure, type ImageUploadCache } from './types.js';

export type ImageType = 'image/jpeg' | 'image/png' | 'image/webp';

export interface FetchedImage {
  bytes: Buffer;
  contentType: ImageType;
  /** Hex SHA-256 of the bytes: the key of the per-shop upload cache. */
  sha256: string;
}

export interface ImageFetchPolicy {
  maxBytes: number;
  timeoutMs: number;
  /** Origins (`http://127.0.0.1:4010`) reachable even though they are not public. Empty in production. */
  allowedPrivateOrigins: readonly string[];
}

const blocked = new BlockList();
for (const [net, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const) {
  blocked.addSubnet(net, prefix, 'ipv4');
}
for (const [net, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['64:ff9b::', 96],
  ['100::', 64],
  ['2001:db8::', 32],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
] as const) {
  blocked.addSubnet(net, prefix, 'ipv6');
}

/** Whether an IP address is on the public internet (IPv4-mapped IPv6 is judged as IPv4). */
export function isPublicAddress(address: string): boolean {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  const ip = mapped?.[1] ?? address;
  const family = isIP(ip);
  if (family === 0) return false;
  return !blocked.check(ip, family === 4 ? 'ipv4' : 'ipv6');
}

const refusedAddress = (host: string): ChannelFailure =>
  new ChannelFailure('permanent', 'image_address_refused', {
    en: `The image address ${host} is not on the public internet; use a public image URL.`,
    id: `Alamat gambar ${host} bukan alamat internet publik; gunakan URL gambar publik.`,
  });

/** A DNS lookup that fails unless every resolved address is public. Runs on every connection. */
const publicOnlyLookup: LookupFunction = (hostname, options, callback) => {
  dnsLookup(hostname, { ...options, all: true }, (err, addresses) => {
    if (err) return callback(err, '', 0);
    const list = addresses as unknown as LookupAddress[];
    if (list.length === 0 || list.some((a) => !isPublicAddress(a.address))) {
      return callback(
        Object.assign(new Error(`refused address for ${hostname}`), { code: 'EADDRREFUSED' }),
        '',
        0,
      );
    }
    if ((options as { all?: boolean }).all)
      return (callback as (e: null, a: LookupAddress[]) => void)(null, list);
    const first = list[0] as LookupAddress;
    return callback(null, first.address, first.family);
  });
};

const guardedAgents = {
  http: new http.Agent({ lookup: publicOnlyLookup }),
  https: new https.Agent({ lookup: publicOnlyLookup }),
};

/** Image type from the first bytes; the Content-Type header is not trusted. */
export function sniffImageType(bytes: Buffer): ImageType | null {
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'image/jpeg';
  if (
    bytes.length >= 8 &&
    bytes.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))
  )
    return 'image/png';
  if (
    bytes.length >= 12 &&
    bytes.toString('latin1', 0, 4) === 'RIFF' &&
    bytes.toString('latin1', 8, 12) === 'WEBP'
  )
    return 'image/webp';
  return null;
}

export async function fetchImage(url: string, policy: ImageFetchPolicy): Promise<FetchedImage> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ChannelFailure('permanent', 'image_url_invalid', {
      en: `The image address "${url}" is not a valid URL.`,
      id: `Alamat gambar "${url}" bukan URL yang valid.`,
    });
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw refusedAddress(parsed.host);
  const allowed = policy.allowedPrivateOrigins.includes(parsed.origin);
  // A literal IP needs no lookup, so the connect-time guard would not see it: check it here.
  const literal = parsed.hostname.replace(/^\[|\]$/g, '');
  if (!allowed && isIP(literal) !== 0 && !isPublicAddress(literal)) throw refusedAddress(parsed.host);

  let bytes: Buffer;
  try {
    const res = await axios.get<ArrayBuffer>(url, {
      responseType: 'arraybuffer',
      timeout: policy.timeoutMs,
      maxContentLength: policy.maxBytes,
      maxRedirects: allowed ? 0 : 3,
      ...(allowed ? {} : { httpAgent: guardedAgents.http, httpsAgent: guardedAgents.https }),
      validateStatus: (s) => s === 200,
    });
    bytes = Buffer.from(res.data);
  } catch (err) {
    const code = axios.isAxiosError(err) ? err.code : undefined;
    const cause = axios.isAxiosError(err) ? (err.cause as { code?: string } | undefined)?.code : undefined;
    if (code === 'EADDRREFUSED' || cause === 'EADDRREFUSED') throw refusedAddress(parsed.host);
    if (axios.isAxiosError(err) && /maxContentLength/.test(err.message)) {
      throw new ChannelFailure('permanent', 'image_too_large', {
        en: `The image at ${url} is larger than ${Math.round(policy.maxBytes / 1_048_576)} MB.`,
        id: `Gambar di ${url} lebih besar dari ${Math.round(policy.maxBytes / 1_048_576)} MB.`,
      });
    }
    const status = axios.isAxiosError(err) ? err.response?.status : undefined;
    if (status !== undefined && status >= 400 && status < 500) {
      throw new ChannelFailure('permanent', `image_http_${status}`, {
        en: `The image at ${url} could not be downloaded (HTTP ${status}).`,
        id: `Gambar di ${url} tidak dapat diunduh (HTTP ${status}).`,
      });
    }
    throw new ChannelFailure('retryable', code ?? 'image_fetch_failed', {
      en: `The image at ${url} could not be downloaded right now; we will try again.`,
      id: `Gambar di ${url} belum dapat diunduh; kami akan mencoba lagi.`,
    });
  }
  const contentType = sniffImageType(bytes);
  if (!contentType) {
    throw new ChannelFailure('permanent', 'image_not_an_image', {
      en: `The file at ${url} is not a JPEG, PNG or WebP image.`,
      id: `Berkas di ${url} bukan gambar JPEG, PNG, atau WebP.`,
    });
  }
  return { bytes, contentType, sha256: createHash('sha256').update(bytes).digest('hex') };
}

/**
 * The shop's remote id of each photo, in order: every photo is fetched (its content may have changed
 * behind the same URL), and only content this shop has not received before is uploaded.
 */
export async function remoteImageIds(
  connectionId: string,
  urls: readonly string[],
  deps: { imageCache: ImageUploadCache; imagePolicy: ImageFetchPolicy },
  upload: (image: FetchedImage, url: string) => Promise<string>,
): Promise<string[]> {
  const ids: string[] = [];
  for (const url of urls) {
    const image = await fetchImage(url, deps.imagePolicy);
    let id = await deps.imageCache.get(connectionId, image.sha256);
    if (!id) {
      id = await upload(image, url);
      await deps.imageCache.put(connectionId, image.sha256, id);
    }
    ids.push(id);
  }
  return ids;
}
