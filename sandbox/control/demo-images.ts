/**
 * Product photos for the demo: `GET /__sandbox/demo-images/<name>.png` answers a 400×400 PNG whose
 * colours follow the name, so demo products have images the adapters can fetch and upload as files
 * (Shopee needs at least one image; TikTok Shop's main image must be at least 300×300 px). The
 * sandbox stands in for the crafter's image host here; nothing else uses these.
 */
import { createHash } from 'node:crypto';
import { deflateSync } from 'node:zlib';

const SIZE = 400;
const cache = new Map<string, Buffer>();

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(bytes: Buffer): number {
  let c = 0xffffffff;
  for (const b of bytes) c = (CRC_TABLE[(c ^ b) & 0xff] as number) ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}

/** A diagonal two-colour stripe pattern; the colours come from a hash of the name. */
export function demoImagePng(name: string): Buffer {
  const cached = cache.get(name);
  if (cached) return cached;
  const h = createHash('sha256').update(name).digest();
  const a = [h[0] as number, h[1] as number, h[2] as number];
  const b = [255 - (h[0] as number), 200, h[3] as number];
  const rowBytes = 1 + SIZE * 3;
  const raw = Buffer.alloc(rowBytes * SIZE);
  for (let y = 0; y < SIZE; y++) {
    raw[y * rowBytes] = 0; // filter: none
    for (let x = 0; x < SIZE; x++) {
      const colour = Math.floor((x + y) / 40) % 2 === 0 ? a : b;
      raw.set(colour, y * rowBytes + 1 + x * 3);
    }
  }
  const header = Buffer.alloc(13);
  header.writeUInt32BE(SIZE, 0);
  header.writeUInt32BE(SIZE, 4);
  header.set([8, 2, 0, 0, 0], 8); // 8-bit RGB, no interlace
  const png = Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(raw)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
  if (cache.size < 100) cache.set(name, png);
  return png;
}
