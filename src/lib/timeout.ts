import { DependencyUnavailableError } from './errors.js';

/**
 * Settles with `promise`, or rejects with DependencyUnavailableError after `ms`. The operation itself
 * is not cancelled (ioredis keeps a queued command until it reconnects), so callers use it only for
 * operations that are harmless when they complete late.
 */
export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(
      () => reject(new DependencyUnavailableError(`${what} did not answer within ${ms} ms.`)),
      ms,
    );
  });
  // A late rejection of the abandoned operation must not become an unhandled rejection.
  promise.catch(() => {});
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
