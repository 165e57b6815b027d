import type { RateLimiter } from './contract.js';

/** Fixed one-second windows of real time per key; stale keys are swept so long runs do not grow memory. */
export function createRateLimiter(now: () => number = Date.now): RateLimiter {
  const windows = new Map<string, { second: number; count: number }>();
  let lastSweep = 0;
  return {
    take(key, perSecond) {
      const second = Math.floor(now() / 1000);
      if (second - lastSweep > 10) {
        for (const [k, w] of windows) if (w.second < second) windows.delete(k);
        lastSweep = second;
      }
      const current = windows.get(key);
      if (!current || current.second !== second) {
        windows.set(key, { second, count: 1 });
        return perSecond >= 1;
      }
      current.count += 1;
      return current.count <= perSecond;
    },
    reset() {
      windows.clear();
    },
  };
}
