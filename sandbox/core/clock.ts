import type { SandboxClock } from './contract.js';

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
