import type { SandboxClock } from './contract.js';

/**
 * The latest instant the sandbox accepts as a time (9999-12-31T23:59:59.999Z): platforms write times as
 * RFC 3339 with a four-digit year, and beyond ±8.64e15 ms `Date` cannot represent a time at all.
 */
export const LATEST_TIME_MS = Date.UTC(9999, 11, 31, 23, 59, 59, 999);
export const LATEST_TIME_S = Math.floor(LATEST_TIME_MS / 1000);

/** A clock that runs with real time plus a settable offset, so clients using their own wall clock stay in the window. */
export interface OffsetClock extends SandboxClock {
  /** Difference between sandbox time and real time, for the state file. */
  offsetMs(): number;
  /** Restores a saved offset without notifying listeners. */
  restoreOffset(offsetMs: number): void;
}

export function createClock(now: () => number = Date.now): OffsetClock {
  let offset = 0;
  const listeners: Array<() => void> = [];
  const notify = (): void => {
    for (const listener of listeners) listener();
  };
  return {
    nowMs: () => now() + offset,
    nowSeconds: () => Math.floor((now() + offset) / 1000),
    set(epochMs) {
      offset = epochMs - now();
      notify();
    },
    advance(ms) {
      offset += ms;
      notify();
    },
    onChange(listener) {
      listeners.push(listener);
    },
    offsetMs: () => offset,
    restoreOffset(value) {
      offset = value;
    },
  };
}
