/**
 * Counts the remote calls that actually left this process during one operation, across the adapter
 * code it runs: the shop's budget gate notes each call it admits (it is the last step before the
 * request is sent). A create refused by our own gate before anything was sent can then drop its
 * create intent, so its retry creates directly instead of first looking the item up by SKU (a lookup
 * pages through the shop's items and spends the very budget that was short).
 */
import { AsyncLocalStorage } from 'node:async_hooks';

const current = new AsyncLocalStorage<{ sent: number }>();

/** Runs `operation`, returning its result and how many calls the gate admitted during it. */
export async function countSentCalls<T>(
  operation: () => Promise<T>,
): Promise<{ ok: true; value: T; sent: number } | { ok: false; error: unknown; sent: number }> {
  const counter = { sent: 0 };
  try {
    const value = await current.run(counter, operation);
    return { ok: true, value, sent: counter.sent };
  } catch (error) {
    return { ok: false, error, sent: counter.sent };
  }
}

/** Called by the budget gate for each call it admits. */
export function noteCallSent(): void {
  const counter = current.getStore();
  if (counter) counter.sent += 1;
}
