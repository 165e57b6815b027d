/**
 * Moves outbox rows to BullMQ. Safe with many relays running at once (FOR UPDATE SKIP LOCKED) and
 * after a crash half-way: a row is marked relayed only after its job was added, and adding the same
 * change twice is harmless because jobs are deduplicated per product: many quick edits → one waiting
 * job, which loads the newest version when it runs. An edit that arrives while that product's job is
 * running is not dropped (`keepLastIfActive`): one more job runs after it, and never two at once.
 */
import type { Queue } from 'bullmq';
import { sql } from 'drizzle-orm';
import type { Database } from '../db/client.js';
import { type CatalogueSyncJob, catalogueSyncJob } from '../queues/definitions.js';

interface OutboxRow extends Record<string, unknown> {
  id: number;
  topic: string;
  aggregate_id: string;
  payload: Record<string, unknown>;
}

/** Relays up to `limit` pending rows; returns how many were relayed. */
export async function relayOutboxBatch(db: Database, catalogueQueue: Queue, limit = 200): Promise<number> {
  return db.transaction(async (tx) => {
    const rows = await tx.execute<OutboxRow>(sql`
      select id, topic, aggregate_id, payload from outbox
      where relayed_at is null
      order by id
      limit ${limit}
      for update skip locked`);
    if (rows.length === 0) return 0;
    const jobs: Array<{
      name: string;
      data: CatalogueSyncJob;
      opts: { deduplication: { id: string; keepLastIfActive: true } };
    }> = [];
    for (const row of rows) {
      if (row.topic !== 'product.changed' && row.topic !== 'product.deleted') continue;
      const data = catalogueSyncJob.parse({ ...row.payload, deleted: row.topic === 'product.deleted' });
      jobs.push({
        name: row.topic,
        data,
        opts: { deduplication: { id: `product:${data.productId}`, keepLastIfActive: true } },
      });
    }
    if (jobs.length > 0) await catalogueQueue.addBulk(jobs);
    const ids = rows.map((r) => r.id);
    await tx.execute(sql`
      update outbox set relayed_at = now(), attempts = attempts + 1
      where id in (${sql.join(
        ids.map((id) => sql`${id}`),
        sql`, `,
      )})`);
    return rows.length;
  });
}

/** Runs the relay until stopped: immediately while there is backlog, then every `idleMs`. */
export function startOutboxRelay(
  db: Database,
  catalogueQueue: Queue,
  options: { idleMs?: number; onError?: (err: unknown) => void } = {},
): { stop(): Promise<void> } {
  const idleMs = options.idleMs ?? 500;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();
  const tick = (): void => {
    running = (async () => {
      let delay = idleMs;
      try {
        const relayed = await relayOutboxBatch(db, catalogueQueue);
        if (relayed > 0) delay = 0;
      } catch (err) {
        options.onError?.(err);
        delay = idleMs * 4;
      }
      if (!stopped) timer = setTimeout(tick, delay);
    })();
  };
  tick();
  return {
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await running;
    },
  };
}
