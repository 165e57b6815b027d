import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../..', import.meta.url));

describe('sandbox entry point', () => {
  it('prints SANDBOX_READY with every base URL, serves them, and saves state on SIGTERM', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sandbox-main-'));
    const stateFile = join(dir, 'state.json');
    const child = spawn(process.execPath, ['--import', 'tsx', 'sandbox/main.ts'], {
      cwd: root,
      env: {
        ...process.env,
        SANDBOX_PORT: '0',
        SANDBOX_STATE_FILE: stateFile,
        SANDBOX_SEED: '9',
        SANDBOX_PLATFORM_PORTS: 'tiktok-shop=0',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    try {
      let output = '';
      const ready = await new Promise<Record<string, unknown>>((resolve, reject) => {
        child.once('exit', (code) => reject(new Error(`exited early (${code}): ${output}`)));
        child.stdout.on('data', (chunk: Buffer) => {
          output += chunk.toString();
          const line = output.split('\n').find((l) => l.startsWith('SANDBOX_READY '));
          if (line) resolve(JSON.parse(line.slice('SANDBOX_READY '.length)) as Record<string, unknown>);
        });
      });
      const { ownPorts, ...rest } = ready as { ownPorts: Record<string, string> } & Record<string, string>;
      const urls = rest as Record<string, string>;
      expect(urls.control).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/__sandbox$/);
      expect(urls.shopee).toBe(urls.control?.replace('/__sandbox', '/shopee'));

      const health = await fetch(`${urls.control}/health`);
      expect(health.status).toBe(200);
      const created = await fetch(`${urls.control}/shopee/apps`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ partnerId: 4242, partnerKey: 'saved-on-shutdown' }),
      });
      expect(created.status).toBe(201);
      const unsigned = await fetch(`${urls.shopee}/api/v2/product/get_category`);
      expect(((await unsigned.json()) as { error: string }).error).toBe('error_param');
      // TikTok Shop also on a port of its own, its paths at the root.
      expect(ownPorts['tiktok-shop']).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const ownPort = await fetch(`${ownPorts['tiktok-shop']}/authorization/202309/shops`);
      // Unsigned, so refused — but as a known path (36009004 missing sign), not an unknown one (36009009).
      expect(((await ownPort.json()) as { code: number }).code).toBe(36009004);
      expect(ownPort.headers.get('content-type')).toContain('application/json');

      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      const saved = JSON.parse(await readFile(stateFile, 'utf8')) as {
        platforms: { shopee: { store: { apps: Array<{ partnerId: number }> } } };
      };
      expect(saved.platforms.shopee.store.apps.map((a) => a.partnerId)).toContain(4242);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
      await rm(dir, { recursive: true, force: true });
    }
  });
});
