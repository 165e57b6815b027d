/**
 * `npm run credentials:rotate` against a real database: every stored credential moves to the active
 * key, running it again changes nothing, a refresh committing during the rotation is not lost, and a
 * credential under a key that is not configured is reported (exit 1) without stopping the others.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabase, type DatabaseHandle } from '../../src/db/client.js';
import { channelConnections } from '../../src/db/schema/index.js';
import { generateKeySpec, openJson, parseKeyring, sealedKeyId } from '../../src/lib/secrets.js';
import { sealSecrets, secretsContext } from '../../src/services/connections.js';
import { rotateCredentials } from '../../src/services/credentials-rotation.js';
import { makeCrafter } from '../factories/index.js';
import { createTestDatabase } from '../helpers/db-template.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const k1 = generateKeySpec('k1');
const k2 = generateKeySpec('k2');
const oldRing = parseKeyring(k1, 'k1');
const newRing = parseKeyring(`${k1},${k2}`, 'k2');

let testDb: { url: string; drop: () => Promise<void> };
let handle: DatabaseHandle;
let crafterId: string;

function runCli(
  env: Record<string, string>,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/rotate-credentials.ts'], {
      cwd: root,
      env: {
        PATH: process.env.PATH ?? '',
        APP_MODE: 'test',
        LOG_LEVEL: 'silent',
        DATABASE_URL: testDb.url,
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => {
      stdout += c.toString('utf8');
    });
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString('utf8');
    });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error('rotation CLI did not exit within 60 s'));
    }, 60_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

async function insertConnection(
  ring = oldRing,
  token = `tok-${randomUUID()}`,
): Promise<{ id: string; token: string }> {
  const id = randomUUID();
  await handle.db.insert(channelConnections).values({
    id,
    crafterId,
    channel: 'shopee',
    externalShopId: String(Math.floor(Math.random() * 1e12)),
    ...sealSecrets(ring, id, { kind: 'oauth', accessToken: token, refreshToken: `r-${token}` }),
  });
  return { id, token };
}

async function row(id: string) {
  const [r] = await handle.db.select().from(channelConnections).where(eq(channelConnections.id, id));
  if (!r) throw new Error('missing');
  return r;
}

beforeAll(async () => {
  testDb = await createTestDatabase('h8_rotate');
  handle = createDatabase(testDb.url, { max: 4 });
  crafterId = (await makeCrafter(handle.db)).id;
});

afterAll(async () => {
  await handle?.close();
  await testDb?.drop();
});

describe('credentials:rotate', () => {
  it('moves every credential to the active key, keeps the values, and is idempotent', async () => {
    const rows = await Promise.all([insertConnection(), insertConnection(), insertConnection()]);
    const env = { CREDENTIALS_KEYS: `${k1},${k2}`, CREDENTIALS_ACTIVE_KEY_ID: 'k2' };
    const first = await runCli(env);
    expect(first.code, first.stderr).toBe(0);
    expect(JSON.parse(first.stdout)).toMatchObject({ activeKeyId: 'k2', rotated: 3, failed: [] });
    const onlyNew = parseKeyring(k2, 'k2');
    for (const { id, token } of rows) {
      const r = await row(id);
      expect(r.secretsKeyId).toBe('k2');
      expect(sealedKeyId(r.secretsSealed as string)).toBe('k2');
      expect(openJson(onlyNew, r.secretsSealed as string, secretsContext(id))).toMatchObject({
        accessToken: token,
      });
    }
    const second = await runCli(env);
    expect(second.code).toBe(0);
    expect(JSON.parse(second.stdout)).toMatchObject({ rotated: 0, failed: [] });
    // Key material never appears in the output.
    expect(first.stdout + first.stderr).not.toContain(k2.split(':')[1]);
  });

  it('a refresh committing while the rotation waits on the row is kept (and re-sealed)', async () => {
    const target = await insertConnection();
    const fresh = `fresh-${randomUUID()}`;
    let rotation: Promise<unknown> | undefined;
    const rotator = createDatabase(testDb.url, { max: 1 });
    await handle.db.transaction(async (tx) => {
      await tx.select().from(channelConnections).where(eq(channelConnections.id, target.id)).for('update');
      rotation = rotateCredentials(rotator.db, newRing);
      // Wait until the rotation is blocked on our row lock.
      for (let i = 0; i < 200; i++) {
        const [w] = await handle.db.execute<{ n: number }>(
          sql`select count(*)::int as n from pg_stat_activity where wait_event_type = 'Lock' and datname = current_database()`,
        );
        if ((w?.n ?? 0) > 0) break;
        await new Promise((r) => setImmediate(r));
      }
      // An old worker (still sealing with k1) commits a new token pair.
      await tx
        .update(channelConnections)
        .set(
          sealSecrets(oldRing, target.id, { kind: 'oauth', accessToken: fresh, refreshToken: `r-${fresh}` }),
        )
        .where(eq(channelConnections.id, target.id));
    });
    await rotation;
    await rotator.close();
    const r = await row(target.id);
    expect(r.secretsKeyId).toBe('k2');
    expect(openJson(newRing, r.secretsSealed as string, secretsContext(target.id))).toMatchObject({
      accessToken: fresh,
    });
  });

  it('reports credentials under a key it does not have, exits 1, and still rotates the rest', async () => {
    const lost = await insertConnection(parseKeyring(generateKeySpec('k0'), 'k0'));
    const fine = await insertConnection();
    const res = await runCli({ CREDENTIALS_KEYS: `${k1},${k2}`, CREDENTIALS_ACTIVE_KEY_ID: 'k2' });
    expect(res.code).toBe(1);
    expect(res.stderr).toContain('k0');
    const report = JSON.parse(res.stdout);
    expect(report.failed).toEqual([{ connectionId: lost.id, keyId: 'k0', reason: 'unknown_key' }]);
    expect((await row(fine.id)).secretsKeyId).toBe('k2');
    expect((await row(lost.id)).secretsKeyId).toBe('k0');
  });
});
