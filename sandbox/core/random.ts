import type { SandboxRandom } from './contract.js';

/**
 * mulberry32: tiny, fast and good enough for test data. Not cryptographic on purpose: the same seed
 * must give the same orders and the same fault pattern on every machine.
 */
export function createRandom(seed: number): SandboxRandom {
  let state = seed >>> 0;
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (min: number, max: number): number => min + Math.floor(next() * (max - min + 1));
  const alphabet = '0123456789abcdefghijklmnopqrstuvwxyz';
  return {
    next,
    int,
    pick<T>(items: readonly T[]): T {
      if (items.length === 0) throw new Error('pick from an empty list');
      return items[int(0, items.length - 1)] as T;
    },
    numericId(length) {
      let id = String(int(1, 9));
      while (id.length < length) id += String(int(0, 9));
      return id;
    },
    token(length) {
      let out = '';
      while (out.length < length) out += alphabet[int(0, alphabet.length - 1)];
      return out;
    },
  };
}

/** Turns any seed text or number into a 32-bit seed. */
export function seedFrom(value: string | number): number {
  if (typeof value === 'number' && Number.isInteger(value)) return value >>> 0;
  let hash = 2166136261;
  for (const char of String(value)) {
    hash ^= char.charCodeAt(0);
    hash = Math.imul(hash, 16777619);
  }
  return hash >>> 0;
}
