import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fetchImage, isPublicAddress, sniffImageType } from '../../../src/channels/images.js';
import { ChannelFailure } from '../../../src/channels/types.js';

const png = Buffer.concat([
  Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
  Buffer.alloc(64, 1),
]);
let server: Server;
let origin: string;

beforeAll(async () => {
  server = createServer((req, res) => {
    if (req.url === '/batik.png') return res.writeHead(200, { 'content-type': 'image/png' }).end(png);
    if (req.url === '/big.png') return res.writeHead(200).end(Buffer.concat([png, Buffer.alloc(2_000_000)]));
    if (req.url === '/page.html')
      return res.writeHead(200, { 'content-type': 'image/png' }).end('<html></html>');
    if (req.url === '/to-internal') return res.writeHead(302, { location: `${origin}/batik.png` }).end();
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const policy = (allowed: string[]) => ({
  maxBytes: 1_048_576,
  timeoutMs: 2_000,
  allowedPrivateOrigins: allowed,
});

async function refusal(p: Promise<unknown>): Promise<ChannelFailure> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ChannelFailure);
  return err as ChannelFailure;
}

describe('image addresses', () => {
  it('knows public from internal addresses, including IPv4-mapped IPv6', () => {
    for (const ip of ['8.8.8.8', '203.0.112.9', '2606:4700::1111']) expect(isPublicAddress(ip)).toBe(true);
    for (const ip of [
      '127.0.0.1',
      '10.1.2.3',
      '172.20.0.1',
      '192.168.1.1',
      '169.254.169.254',
      '100.64.0.1',
      '::1',
    ])
      expect(isPublicAddress(ip)).toBe(false);
    for (const ip of ['fd00::1', 'fe80::1', '::ffff:127.0.0.1', '::ffff:10.0.0.1', 'not-an-ip'])
      expect(isPublicAddress(ip)).toBe(false);
  });

  it('recognises images by their bytes, not their headers', () => {
    expect(sniffImageType(png)).toBe('image/png');
    expect(sniffImageType(Buffer.from([0xff, 0xd8, 0xff, 0xe0]))).toBe('image/jpeg');
    expect(sniffImageType(Buffer.from('RIFF\0\0\0\0WEBPVP8 '))).toBe('image/webp');
    expect(sniffImageType(Buffer.from('<svg/>'))).toBeNull();
  });
});

describe('fetchImage', () => {
  it('fetches from an allowed origin and hashes the bytes', async () => {
    const image = await fetchImage(`${origin}/batik.png`, policy([origin]));
    expect(image.contentType).toBe('image/png');
    expect(image.bytes.equals(png)).toBe(true);
    expect(image.sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it('refuses loopback by literal address and by a name that resolves to it', async () => {
    expect((await refusal(fetchImage(`${origin}/batik.png`, policy([])))).platformCode).toBe(
      'image_address_refused',
    );
    const byName = origin.replace('127.0.0.1', 'localhost');
    expect((await refusal(fetchImage(`${byName}/batik.png`, policy([])))).platformCode).toBe(
      'image_address_refused',
    );
    expect((await refusal(fetchImage('file:///etc/passwd', policy([])))).platformCode).toBe(
      'image_address_refused',
    );
  });

  it('refuses oversized files, non-images and missing files, permanently and in plain words', async () => {
    const big = await refusal(fetchImage(`${origin}/big.png`, policy([origin])));
    expect(big).toMatchObject({ kind: 'permanent', platformCode: 'image_too_large' });
    expect(big.human.id).toContain('lebih besar dari 1 MB');
    expect((await refusal(fetchImage(`${origin}/page.html`, policy([origin])))).platformCode).toBe(
      'image_not_an_image',
    );
    expect((await refusal(fetchImage(`${origin}/missing.png`, policy([origin])))).platformCode).toBe(
      'image_http_404',
    );
  });
});
