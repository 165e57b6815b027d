import type { Job } from 'bullmq';
import { sql } from 'drizzle-orm';
import type { Database } from '../../src/db/client.js';
import { maintenanceJob } from '../../src/queues/definitions.js';

/** How long relayed outbox rows are kept for inspection. */
export const RELAYED_OUTBOX_RETENTION_DAYS = 7;

/** Housekeeping. Each task is a single idempotent DELETE: running it twice or concurrently is harmless. */
export async function processMaintenance(db: Database, job: Job): Promise<{ task: string; deleted: number }> {
  const { task } = maintenanceJob.parse(job.data);
  switch (task) {
    case 'purge-idempotency-keys': {
      const rows = await db.execute(sql`delete from idempotency_keys where expires_at < now() returning 1`);
      return { task, deleted: rows.length };
    }
    case 'purge-connection-auth-states': {
      // A day past expiry: a late callback still meets "already used / expired", not a missing row.
      const rows = await db.execute(
        sql`delete from connection_auth_states where expires_at < now() - interval '1 day' returning 1`,
      );
      return { task, deleted: rows.length };
    }
    case 'purge-relayed-outbox': {
      const rows = await db.execute(
        sql`delete from outbox where relayed_at < now() - make_interval(days => ${RELAYED_OUTBOX_RETENTION_DAYS}) returning 1`,
      );
      return { task, deleted: rows.length };
    }
  }
}
