/** A throwaway `redis-server` for `npm start` when no Redis answers on 127.0.0.1:6379. */
import { type ChildProcess, spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { freePort, waitFor } from './ports.js';
import { probeRedis } from './probes.js';

export interface RunningRedis {
  url: string;
  pid: number | undefined;
  stop(): Promise<void>;
}

/** Absolute path of an executable found on PATH, or undefined. */
export function findOnPath(command: string, pathEnv = process.env.PATH ?? ''): string | undefined {
  for (const dir of pathEnv.split(delimiter)) {
    if (dir === '') continue;
    const candidate = join(dir, command);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** Starts `redisServer` on a free loopback port with persistence off, and waits for PONG. */
export async function startRedisServer(
  redisServer: string,
  log: (line: string) => void,
): Promise<RunningRedis> {
  const port = await freePort();
  // Nothing on disk: Redis is transport only (Postgres is the truth), so losing it on exit is fine.
  const child = spawn(
    redisServer,
    [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
      '--loglevel',
      'warning',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let exited = false;
  const exitedPromise = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.once('exit', () => {
    exited = true;
  });
  // Its start-up banner and warnings (memory overcommit) are noise here; shown only if it fails.
  const output: string[] = [];
  for (const stream of [child.stdout, child.stderr]) {
    stream?.setEncoding('utf8');
    stream?.on('data', (chunk: string) => {
      output.push(...chunk.split('\n').filter((line) => line.trim() !== ''));
      output.splice(0, Math.max(0, output.length - 20));
    });
  }
  child.once('error', (err) => output.push(`could not run ${redisServer}: ${err.message}`));
  try {
    await waitFor(
      `redis-server on port ${port}`,
      async () => {
        if (exited) throw new Error(`redis-server (${redisServer}) exited before answering PING`);
        return probeRedis('127.0.0.1', port, 500);
      },
      { timeoutMs: 10_000, intervalMs: 100 },
    );
  } catch (err) {
    for (const line of output) log(`redis: ${line}`);
    await stopChild(child, exitedPromise);
    throw err;
  }
  return {
    url: `redis://127.0.0.1:${port}`,
    pid: child.pid,
    stop: () => stopChild(child, exitedPromise),
  };
}

async function stopChild(child: ChildProcess, exited: Promise<void>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
}
