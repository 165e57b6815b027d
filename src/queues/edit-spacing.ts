/**
 * Spacing of edit pushes per listing, held in Redis so every worker process sees it: the first
 * edit after a quiet spell is pushed at once (leading edge), and edits that follow within
 * EDIT_COALESCE_MS of that push wait for the window to end, coalescing into one push (trailing
 * edge). With one push per listing at a time (`keepLastIfActive`), a burst of edits becomes one push
 * at its start and one per window after it: 100 edits within a second are at most three pushes
 * with the default one-second window, while an isolated edit waits for nothing.
 *
 * The key holds nothing but a marker with an expiry. Lost (Redis flushed), the next edit is simply
 * pushed at once: spacing is an optimisation, never needed for correctness, because every push sends
 * the listing's current state.
 */
import type { Redis } from 'ioredis';

// KEYS[1] = the listing's marker; ARGV = window ms, '1' if this run may wait. Returns 0 (push now,
// marker set for the window) or the ms left of the window.
const CLAIM = `
if ARGV[2] == '1' then
  local left = redis.call('PTTL', KEYS[1])
  if left > 0 then return left end
end
redis.call('SET', KEYS[1], '1', 'PX', tonumber(ARGV[1]))
return 0
`;

export interface EditSpacing {
  /**
   * Called when an edit's push is about to run. Returns 0 when it may push now (and opens the
   * window), or how long to wait. `mayWait` false (a run after a wait or a retry) always pushes.
   */
  claim(listingId: string, mayWait: boolean): Promise<number>;
}

export function createEditSpacing(redis: Redis, prefix: string, windowMs: number): EditSpacing {
  return {
    async claim(listingId, mayWait) {
      if (windowMs <= 0) return 0;
      const key = `${prefix}:edit-spacing:${listingId}`;
      return Number(await redis.eval(CLAIM, 1, key, windowMs, mayWait ? '1' : '0'));
    },
  };
}
