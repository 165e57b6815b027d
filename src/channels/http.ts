/**
 * The one way channel code talks HTTP: axios with a bounded timeout and no status-based exceptions
 * (marketplaces signal failure in the body, often under HTTP 200, so callers decide from the envelope).
 */
import axios, { type AxiosInstance } from 'axios';
import { ChannelFailure } from './types.js';

export function createChannelHttp(baseURL: string, timeoutMs: number): AxiosInstance {
  return axios.create({
    baseURL,
    timeout: timeoutMs,
    validateStatus: () => true,
    // Redirects are never followed: a platform answering with one is a misconfiguration to report.
    maxRedirects: 0,
    // Some endpoints answer non-JSON on gateway errors; parse leniently and let the envelope check decide.
    transitional: { silentJSONParsing: true, forcedJSONParsing: true, clarifyTimeoutError: true },
    headers: { 'user-agent': 'kriya-sync' },
  });
}

/** Network-level failure (timeout, refused, reset): worth retrying later. */
export function isNetworkError(err: unknown): boolean {
  return axios.isAxiosError(err) && err.response === undefined;
}

/** How a client repeats a call that is safe to repeat after a transient failure, within one push. */
export interface RepeatPolicy {
  /** Further tries after the first (0: none). */
  times: number;
  /** Wait before the first repeat; doubled before each next one. */
  delayMs: number;
}

/**
 * Default: two more tries, 200 ms then 400 ms apart. A push makes several calls (a Shopee update is
 * update_item, get_model_list, update_price, update_stock), so one transient 5xx or timeout in any of
 * them would otherwise fail the whole push and start it over: at a 25 % transient failure rate an
 * eight-call push then succeeds one time in ten and exhausts its job's attempts. Repeated in place,
 * each call fails for good about one time in seventy.
 */
export const DEFAULT_REPEAT: RepeatPolicy = { times: 2, delayMs: 200 };

/**
 * Runs `call`, repeating it while it fails with a retryable `ChannelFailure` (a 5xx, a timeout, a
 * reset) and `repeatable` says the call may run twice (reads, absolute updates; never a create or a
 * token exchange, whose repeat would duplicate an item or spend a single-use token). Throttles and
 * refusals are not repeated here: a throttle delays the shop's work, a refusal stops it.
 */
export async function withRepeats<T>(
  repeatable: boolean,
  policy: RepeatPolicy,
  call: () => Promise<T>,
  sleep: (ms: number) => Promise<void> = (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await call();
    } catch (err) {
      // A retryable failure that names its own wait (a product in review) is left to the job's delay.
      const transient = err instanceof ChannelFailure && err.kind === 'retryable' && err.waitMs === undefined;
      if (!repeatable || !transient || attempt >= policy.times) throw err;
      await sleep(policy.delayMs * 2 ** attempt);
    }
  }
}
