/** Is there a usable Postgres / Redis already? Answers without throwing, so the stack can fall back. */
import postgres from 'postgres';
import { tcpExchange } from './ports.js';

export type PostgresProbe = { ok: true } | { ok: false; reason: string };

/** Connects to the server's maintenance database (`postgres`) and runs `select 1`. */
export async function probePostgres(serverUrl: string, timeoutSeconds = 2): Promise<PostgresProbe> {
  const sql = postgres(withDatabase(serverUrl, 'postgres'), {
    max: 1,
    connect_timeout: timeoutSeconds,
    idle_timeout: 1,
    onnotice: () => {},
  });
  try {
    await sql`select 1`;
    return { ok: true };
  } catch (err) {
    return { ok: false, reason: describeError(err) };
  } finally {
    await sql.end({ timeout: 1 }).catch(() => {});
  }
}

/** Creates `database` on the server of `serverUrl` unless it exists. Returns true when it was created. */
export async function ensureDatabase(serverUrl: string, database: string): Promise<boolean> {
  const sql = postgres(withDatabase(serverUrl, 'postgres'), {
    max: 1,
    connect_timeout: 5,
    onnotice: () => {},
  });
  try {
    const [exists] = await sql`select 1 from pg_database where datname = ${database}`;
    if (exists) return false;
    try {
      await sql.unsafe(`create database "${database.replaceAll('"', '""')}"`);
    } catch (err) {
      // Two stacks starting at once: the other one won the race, which is fine.
      if (errorCode(err) !== '42P04') throw err;
      return false;
    }
    return true;
  } finally {
    await sql.end({ timeout: 1 }).catch(() => {});
  }
}

/** True when `database` exists on the server of `serverUrl`. */
export async function databaseExists(serverUrl: string, database: string): Promise<boolean> {
  const sql = postgres(withDatabase(serverUrl, 'postgres'), {
    max: 1,
    connect_timeout: 5,
    onnotice: () => {},
  });
  try {
    const [exists] = await sql`select 1 from pg_database where datname = ${database}`;
    return exists !== undefined;
  } finally {
    await sql.end({ timeout: 1 }).catch(() => {});
  }
}

/** True when `host:port` answers a Redis `PING` with `+PONG`. */
export async function probeRedis(host: string, port: number, timeoutMs = 1500): Promise<boolean> {
  const answer = await tcpExchange(host, port, 'PING\r\n', timeoutMs);
  return answer?.startsWith('+PONG') ?? false;
}

/** The same server URL pointing at another database. */
export function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${encodeURIComponent(database)}`;
  return parsed.toString();
}

/** Database name of a postgres URL (`kriya` when the URL names none). */
export function databaseName(url: string): string {
  const name = decodeURIComponent(new URL(url).pathname.replace(/^\//, ''));
  return name === '' ? 'kriya' : name;
}

function errorCode(err: unknown): string | undefined {
  if (typeof err === 'object' && err !== null && 'code' in err && typeof err.code === 'string')
    return err.code;
  return undefined;
}

function describeError(err: unknown): string {
  const code = errorCode(err);
  const message = err instanceof Error ? err.message : String(err);
  return code && !message.includes(code) ? `${code}: ${message}` : message;
}
