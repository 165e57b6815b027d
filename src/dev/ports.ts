/** Small TCP helpers for the dev stack: free ports and "does something listen here". */
import { createServer, Socket } from 'node:net';

/** Asks the kernel for a free TCP port on `host`. Another process may take it before we use it; good enough for dev. */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen({ host, port: 0 }, () => {
      const address = server.address();
      server.close(() => {
        if (address && typeof address === 'object') resolve(address.port);
        else reject(new Error('could not read the port of a probe socket'));
      });
    });
  });
}

/** True when nothing listens on `host:port` (we can bind it ourselves). */
export function isPortFree(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen({ host, port }, () => server.close(() => resolve(true)));
  });
}

/** `preferred` when it is free, else any free port: fixed ports are nicer to remember, but never worth a crash. */
export async function preferredOrFreePort(preferred: number, host = '127.0.0.1'): Promise<number> {
  return (await isPortFree(preferred, host)) ? preferred : freePort(host);
}

/**
 * Opens a TCP connection, writes `payload` and resolves with the first bytes answered, or `null` when
 * nothing answers within `timeoutMs` (refused, unreachable or silent). Never throws.
 */
export function tcpExchange(
  host: string,
  port: number,
  payload: string,
  timeoutMs: number,
): Promise<string | null> {
  return new Promise((resolve) => {
    const socket = new Socket();
    let settled = false;
    const finish = (answer: string | null) => {
      if (settled) return;
      settled = true;
      socket.destroy();
      resolve(answer);
    };
    socket.setTimeout(timeoutMs, () => finish(null));
    socket.once('error', () => finish(null));
    socket.once('data', (chunk) => finish(chunk.toString('utf8')));
    socket.connect({ host, port }, () => socket.write(payload));
  });
}

/** Polls `check` every `intervalMs` until it resolves true or `timeoutMs` passes. */
export async function waitFor(
  what: string,
  check: () => Promise<boolean>,
  { timeoutMs, intervalMs = 200 }: { timeoutMs: number; intervalMs?: number },
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() >= deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
