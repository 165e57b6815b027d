import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  generateKeySpec,
  open,
  openJson,
  parseKeyring,
  reseal,
  SecretUnavailableError,
  seal,
  sealedKeyId,
  sealJson,
} from '../../src/lib/secrets.js';

const k1 = generateKeySpec('k1');
const k2 = generateKeySpec('k2');

function failure(fn: () => unknown): SecretUnavailableError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(SecretUnavailableError);
    return err as SecretUnavailableError;
  }
  throw new Error('expected a SecretUnavailableError');
}

describe('secrets (AES-256-GCM with key ids)', () => {
  it('round-trips and records the active key id; the plaintext is not in the sealed text', () => {
    const ring = parseKeyring(k1, 'k1');
    const sealed = sealJson(ring, { accessToken: 'tok-very-secret' }, 'channel_connections:a');
    expect(sealedKeyId(sealed)).toBe('k1');
    expect(sealed).not.toContain('tok-very-secret');
    expect(openJson(ring, sealed, 'channel_connections:a')).toEqual({ accessToken: 'tok-very-secret' });
    // A fresh IV each time: sealing the same value twice gives different text.
    expect(seal(ring, 'x', 'c')).not.toBe(seal(ring, 'x', 'c'));
  });

  it('detects tampering with the ciphertext, the tag, the IV or the key id', () => {
    const ring = parseKeyring(`${k1},${k2}`, 'k1');
    const sealed = seal(ring, 'refresh-token-value', 'ctx');
    const parts = sealed.split('.');
    for (const index of [2, 3, 4]) {
      const copy = [...parts];
      const bytes = Buffer.from(copy[index] as string, 'base64url');
      bytes[0] = (bytes[0] ?? 0) ^ 1;
      copy[index] = bytes.toString('base64url');
      expect(failure(() => open(ring, copy.join('.'), 'ctx')).reason).toBe('tampered');
    }
    // Relabelled to the other key id: authenticated as data, so it fails rather than mis-decrypting.
    expect(failure(() => open(ring, ['v1', 'k2', ...parts.slice(2)].join('.'), 'ctx')).reason).toBe(
      'tampered',
    );
    expect(failure(() => open(ring, 'garbage', 'ctx')).reason).toBe('malformed');
  });

  it('refuses a value moved to another row (context is authenticated)', () => {
    const ring = parseKeyring(k1, 'k1');
    const sealed = seal(ring, 'api-key', 'channel_connections:a');
    expect(failure(() => open(ring, sealed, 'channel_connections:b')).reason).toBe('tampered');
  });

  it('a wrong key with the same id fails authentication; an unknown key id is named', () => {
    const sealed = seal(parseKeyring(k1, 'k1'), 'v', 'ctx');
    const other = parseKeyring(`k1:${randomBytes(32).toString('base64')}`, 'k1');
    expect(failure(() => open(other, sealed, 'ctx')).reason).toBe('tampered');
    const noK1 = parseKeyring(k2, 'k2');
    const err = failure(() => open(noK1, sealed, 'ctx'));
    expect(err.reason).toBe('unknown_key');
    expect(err.message).toContain('"k1"');
  });

  it('rotation: reseal moves a value to the active key and is a no-op when already there', () => {
    const old = parseKeyring(k1, 'k1');
    const sealed = seal(old, 'token', 'ctx');
    const both = parseKeyring(`${k1},${k2}`, 'k2');
    const moved = reseal(both, sealed, 'ctx');
    expect(moved).not.toBeNull();
    expect(sealedKeyId(moved as string)).toBe('k2');
    expect(open(parseKeyring(k2, 'k2'), moved as string, 'ctx')).toBe('token');
    expect(reseal(both, moved as string, 'ctx')).toBeNull();
  });

  it('parseKeyring rejects bad specs without echoing key material', () => {
    expect(() => parseKeyring('k1:c2hvcnQ=', 'k1')).toThrow(/32 bytes/);
    expect(() => parseKeyring(k1, 'k9')).toThrow(/active key id "k9"/);
    expect(() => parseKeyring(`${k1},${k1}`, 'k1')).toThrow(/twice/);
    expect(() => parseKeyring('nocolon', 'k1')).toThrow(/<id>:<base64 key>/);
    try {
      parseKeyring(`${k1.slice(0, 20)}`, 'k1');
    } catch (err) {
      expect((err as Error).message).not.toContain(k1.slice(3, 20));
    }
  });
});
