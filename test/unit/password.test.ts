import { describe, expect, it } from 'vitest';
import {
  dummyPasswordHash,
  generatePassword,
  hashingLoad,
  hashPassword,
  verifyPassword,
} from '../../src/lib/password.js';

describe('password hashing', () => {
  it('hashes with scrypt and a random salt, and verifies', async () => {
    const a = await hashPassword('correct horse battery');
    const b = await hashPassword('correct horse battery');
    expect(a).toMatch(/^scrypt\$32768\$8\$1\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/);
    expect(a).not.toBe(b);
    expect(a).not.toContain('correct horse battery');
    expect(await verifyPassword('correct horse battery', a)).toBe(true);
    expect(await verifyPassword('correct horse batterY', a)).toBe(false);
    expect(await verifyPassword('', a)).toBe(false);
  });

  it('normalises Unicode so the same password typed differently verifies', async () => {
    const composed = 'caf\u00e9-password';
    const decomposed = 'cafe\u0301-password';
    expect(await verifyPassword(decomposed, await hashPassword(composed))).toBe(true);
  });

  it('runs at most two hashes at once; the others wait their turn and all complete', async () => {
    const hashes = Array.from({ length: 6 }, (_, i) => hashPassword(`password ${i}`));
    expect(hashingLoad()).toEqual({ running: 2, waiting: 4 });
    const done = await Promise.all(hashes);
    expect(new Set(done).size).toBe(6);
    expect(hashingLoad()).toEqual({ running: 0, waiting: 0 });
  });

  it('rejects stored values that are not scrypt hashes', async () => {
    expect(await verifyPassword('x', 'plain-text')).toBe(false);
    expect(await verifyPassword('x', 'bcrypt$10$abc$def$ghi$jkl')).toBe(false);
    expect(await verifyPassword('x', 'scrypt$$$$$')).toBe(false);
  });

  it('keeps one dummy hash for unknown users, which no guess matches', async () => {
    const dummy = await dummyPasswordHash();
    expect(await dummyPasswordHash()).toBe(dummy);
    expect(await verifyPassword('', dummy)).toBe(false);
  });

  it('generates readable, distinct passwords', () => {
    const a = generatePassword();
    expect(a).toMatch(/^[A-Za-z0-9_-]{16}$/);
    expect(generatePassword()).not.toBe(a);
  });
});
