/**
 * The API process dies between committing a create made with an Idempotency-Key and answering it.
 * The client retries the same request with the same key against a fresh API process: exactly one
 * product exists, and the retry is answered with the stored response of the first attempt.
 *
 * Real processes (`src/server.ts`), real Postgres and Redis. `TEST_CRASH_AFTER_IDEMPOTENT_COMMIT`
 * (accepted only with APP_MODE=test) makes the first process SIGKILL itself right after the commit.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabase, type DatabaseHandle } from '../../src/db/client.js';
import { makeCrafter, makeUser } from '../factories/index.js';
import { productBody } from '../factories/products.js';
import { createTestDatabase } from '../helpers/db-template.js';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
// Two API start-ups through tsx on a busy CI machine.
const START_TIMEOUT_MS = 60_000;

interface ApiProcess {
  child: ChildProcess;
  url: string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

let database: DatabaseHandle;
let drop: () => Promise<void>;
let databaseUrl: string;
const running: ApiProcess[] = [];
const secret = randomBytes(32).toString('hex');
const prefix = `t_idemcrash_${randomBytes(3).toString('hex')}`;

beforeAll(async () => {
  const testDb = await createTestDatabase('idem_crash');
  databaseUrl = testDb.url;
  drop = testDb.drop;
  database = createDatabase(databaseUrl, { max: 2 });
});
afterAll(async () => {
  for (const api of running) {
    if (api.child.exitCode === null && api.child.signalCode === null) api.child.kill('SIGKILL');
    await api.exited;
  }
  await database?.close();
  await drop?.();
});

/** Starts `src/server.ts` on a free port and resolves once it listens. */
function startApi(extraEnv: Record<string, string> = {}): Promise<ApiProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
    cwd: repoRoot,
    env: {
      PATH: process.env.PATH ?? '',
      APP_MODE: 'test',
      HOST: '127.0.0.1',
      PORT: '0',
      LOG_LEVEL: 'info',
      DATABASE_URL: databaseUrl,
      REDIS_URL: process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379',
      QUEUE_PREFIX: prefix,
      // Both processes must accept the same bearer token.
      AUTH_TOKEN_SECRET: secret,
      LIST_CACHE_MAX_MB: '0',
      ...extraEnv,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  const output: string[] = [];
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the API did not listen within ${START_TIMEOUT_MS} ms:\n${output.join('')}`));
    }, START_TIMEOUT_MS);
    const onData = (chunk: Buffer) => {
      const text = chunk.toString('utf8');
      output.push(text);
      const match = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(text);
      if (match?.[1]) {
        clearTimeout(timer);
        const api = { child, url: match[1], exited };
        running.push(api);
        resolve(api);
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', (chunk: Buffer) => output.push(chunk.toString('utf8')));
    void exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`the API exited (${code ?? signal}) before listening:\n${output.join('')}`));
    });
  });
}

describe('Idempotency-Key across a crash between commit and response', () => {
  it('a retry on a fresh API process gets the original response, and exactly one product exists', {
    timeout: 150_000,
  }, async () => {
    const crafter = await makeCrafter(database.db);
    const operator = await makeUser(database.db, 'operator');
    const body = JSON.stringify({ ...productBody(), crafterId: crafter.id });
    const key = `crash-${randomBytes(4).toString('hex')}`;

    const doomed = await startApi({ TEST_CRASH_AFTER_IDEMPOTENT_COMMIT: 'true' });
    const login = await fetch(`${doomed.url}/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: operator.username, password: operator.password }),
    });
    expect(login.status).toBe(200);
    const { token } = (await login.json()) as { token: string };
    const create = (url: string) =>
      fetch(`${url}/v1/products`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          authorization: `Bearer ${token}`,
          'idempotency-key': key,
        },
        body,
      });

    // The process dies after the commit: the client sees the connection drop, not an answer.
    await expect(create(doomed.url)).rejects.toThrow();
    expect(await doomed.exited).toEqual({ code: null, signal: 'SIGKILL' });
    const written = await database.sql<
      { id: string }[]
    >`select id from products where crafter_id = ${crafter.id}`;
    expect(written).toHaveLength(1);

    const fresh = await startApi();
    const retry = await create(fresh.url);
    expect(retry.status).toBe(201);
    expect(retry.headers.get('idempotent-replayed')).toBe('true');
    const replayed = (await retry.json()) as { id: string; version: number };
    expect(replayed.id).toBe(written[0]?.id);
    expect(retry.headers.get('location')).toBe(`/v1/products/${replayed.id}`);
    // The stored response is the product as it was created.
    const current = await fetch(`${fresh.url}/v1/products/${replayed.id}`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(replayed).toEqual(await current.json());
    expect(retry.headers.get('etag')).toBe(current.headers.get('etag'));
    const after = await database.sql<{ n: number }[]>`
      select count(*)::int as n from products where crafter_id = ${crafter.id}`;
    expect(after[0]?.n).toBe(1);
  });
});
