/**
 * Re-encrypts every stored channel credential under the active key (`npm run credentials:rotate`).
 *
 * Row by row, each in its own short transaction holding the row lock (`FOR UPDATE`): the sealed value
 * is re-read under the lock, so a token refresh committing a new pair at the same moment is either
 * seen (and re-sealed) or waits and then overwrites with its own fresh value — never lost. Rows
 * already under the active key are skipped, so running it twice, or concurrently, is harmless.
 */
import { and, asc, eq, gt, isNotNull, ne, sql } from 'drizzle-orm';
import type { Database } from '../db/client.js';
import { channelConnections } from '../db/schema/index.js';
import { type Keyring, reseal, SecretUnavailableError } from '../lib/secrets.js';
import { secretsContext } from './connections.js';

export interface RotationReport {
  activeKeyId: string;
  rotated: number;
  /** Rows another run (or a refresh under the new key) moved between our scan and our lock. */
  alreadyCurrent: number;
  /** Rows that could not be opened: the key id is unknown here, or the value fails authentication. */
  failed: Array<{ connectionId: string; keyId: string | null; reason: string }>;
}

export async function rotateCredentials(
  db: Database,
  keyring: Keyring,
  batchSize = 200,
): Promise<RotationReport> {
  const report: RotationReport = {
    activeKeyId: keyring.activeKeyId,
    rotated: 0,
    alreadyCurrent: 0,
    failed: [],
  };
  let after = '00000000-0000-0000-0000-000000000000';
  for (;;) {
    const batch = await db
      .select({ id: channelConnections.id })
      .from(channelConnections)
      .where(
        and(
          isNotNull(channelConnections.secretsSealed),
          ne(channelConnections.secretsKeyId, keyring.activeKeyId),
          gt(channelConnections.id, after),
        ),
      )
      .orderBy(asc(channelConnections.id))
      .limit(batchSize);
    if (batch.length === 0) return report;
    for (const { id } of batch) {
      after = id;
      await db.transaction(async (tx) => {
        const [row] = await tx
          .select({ sealed: channelConnections.secretsSealed, keyId: channelConnections.secretsKeyId })
          .from(channelConnections)
          .where(eq(channelConnections.id, id))
          .for('update');
        if (!row?.sealed) {
          report.alreadyCurrent += 1; // disconnected meanwhile: nothing left to protect
          return;
        }
        let next: string | null;
        try {
          next = reseal(keyring, row.sealed, secretsContext(id));
        } catch (err) {
          if (!(err instanceof SecretUnavailableError)) throw err;
          report.failed.push({ connectionId: id, keyId: row.keyId, reason: err.reason });
          return;
        }
        if (next === null) {
          report.alreadyCurrent += 1;
          return;
        }
        await tx
          .update(channelConnections)
          .set({ secretsSealed: next, secretsKeyId: keyring.activeKeyId, updatedAt: sql`now()` })
          .where(eq(channelConnections.id, id));
        report.rotated += 1;
      });
    }
  }
}
