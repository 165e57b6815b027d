/**
 * `npm start` prints its children's pino lines readably, while the processes keep writing JSON and
 * the stack still matches their raw lines (SANDBOX_READY).
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lineFormatter } from '../../src/dev/log-format.js';
import { loadDevOptions } from '../../src/dev/options.js';
import { Supervisor } from '../../src/dev/supervisor.js';
import { repoRoot } from '../helpers/clone.js';

let dir: string;
let entry: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kriya-log-format-'));
  entry = join(dir, 'child.ts');
  // A child that logs as the API does (src/lib/logger.ts), then prints a machine-readable line.
  await writeFile(
    entry,
    [
      `import { createLogger } from ${JSON.stringify(join(repoRoot, 'src/lib/logger.ts'))};`,
      `const log = createLogger('info', 'api');`,
      `log.info({ reqId: 'req-1', user: { password: 'hunter2' } }, 'request completed');`,
      `log.warn('slow query');`,
      `process.stdout.write('SANDBOX_READY {"control":"http://127.0.0.1:1"}\\n');`,
    ].join('\n'),
  );
});
afterAll(() => rm(dir, { recursive: true, force: true }));

async function runChild(format: 'pretty' | 'json'): Promise<{ shown: string[]; matched: string }> {
  const written: string[] = [];
  const supervisor = new Supervisor(repoRoot, (text) => written.push(text), lineFormatter(format, false));
  const child = supervisor.start('api', entry, { ...process.env });
  const match = await child.waitForLine(/^SANDBOX_READY (\{.*\})$/, 20_000);
  await child.exited;
  return { shown: written.join('').split('\n').filter(Boolean), matched: match[1] ?? '' };
}

describe('npm start log output', () => {
  it('is readable by default: no raw JSON lines, level and message shown, secrets still redacted', async () => {
    expect(loadDevOptions(repoRoot, {}).logFormat).toBe('pretty');
    const { shown, matched } = await runChild('pretty');
    expect(shown.every((line) => line.startsWith('[api] '))).toBe(true);
    expect(shown.some((line) => line.startsWith('[api] {'))).toBe(false);
    expect(shown).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^\[api\] \[\d\d:\d\d:\d\d\.\d{3}\] INFO \(api\): request completed$/),
        expect.stringMatching(/^\[api\] \[\d\d:\d\d:\d\d\.\d{3}\] WARN \(api\): slow query$/),
        '[api]     reqId: "req-1"',
        '[api] SANDBOX_READY {"control":"http://127.0.0.1:1"}',
      ]),
    );
    expect(shown.join('\n')).not.toContain('hunter2');
    // The stack still reads the raw line.
    expect(JSON.parse(matched)).toEqual({ control: 'http://127.0.0.1:1' });
  }, 30_000);

  it('shows the raw JSON lines with DEV_LOG_FORMAT=json', async () => {
    expect(loadDevOptions(repoRoot, { DEV_LOG_FORMAT: 'json' }).logFormat).toBe('json');
    const { shown } = await runChild('json');
    const record = shown.find((line) => line.includes('request completed'));
    expect(JSON.parse(record?.replace(/^\[api\] /, '') ?? 'null')).toMatchObject({
      level: 30,
      name: 'api',
      msg: 'request completed',
    });
  }, 30_000);
});
