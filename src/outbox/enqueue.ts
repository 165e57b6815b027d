import type { DbOrTx } from '../db/client.js';
import { outbox } from '../db/schema/index.js';
import type { OutboxTopic } from './routes.js';

export interface OutboxEvent {
  /** Only topics some queue handles (see routes.ts). */
  topic: OutboxTopic;
  aggregateType: 'product' | 'listing' | 'connection' | 'alert';
  aggregateId: string;
  /** Ids and versions only. */
  payload: Record<string, unknown>;
}

/** Writes an outbox row. Must be called with the transaction that makes the change. */
export async function enqueueOutbox(tx: DbOrTx, event: OutboxEvent): Promise<void> {
  await tx.insert(outbox).values(event);
}

/** Writes several outbox rows in one statement (same rules as `enqueueOutbox`). */
export async function enqueueOutboxEvents(tx: DbOrTx, events: OutboxEvent[]): Promise<void> {
  if (events.length > 0) await tx.insert(outbox).values(events);
}
