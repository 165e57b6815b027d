/**
 * The real entry points refuse to start on a bad environment: exit code 78 (EX_CONFIG) and one
 * message naming every bad variable, before touching Postgres or Redis.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));

function run(entry: string, env: Record<string, string>): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    // A clean environment: only what the test passes (plus PATH to find node).
    const child = spawn(process.execPath, ['--import', 'tsx', entry], {
      cwd: root,
      env: { PATH: process.env.PATH ?? '', ...env },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
    });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${entry} did not exit within 20 s`));
    }, 20_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stderr });
    });
  });
}

describe('boot with a bad environment', () => {
  for (const entry of ['src/server.ts', 'workers/main.ts', 'src/db/migrate.ts']) {
    it(`${entry} exits 78 naming every bad variable`, async () => {
      const { code, stderr } = await run(entry, {
        PORT: 'abc',
        REDIS_URL: 'http://not-redis',
        LOG_LEVEL: 'loud',
      });
      expect(code).toBe(78);
      for (const name of ['PORT', 'REDIS_URL', 'LOG_LEVEL', 'DATABASE_URL', 'AUTH_TOKEN_SECRET']) {
        expect(stderr).toContain(name);
      }
    });
  }
});
