import type { DbOrTx } from '../db/client.js';
import { auditLog } from '../db/schema/index.js';

export interface AuditEntry {
  actorUserId: string | null;
  action: string;
  entityType: 'region' | 'crafter' | 'user' | 'product' | 'connection' | 'listing' | 'category_mapping';
  entityId: string;
  before?: unknown;
  after?: unknown;
  requestId?: string | null;
}

/** Records who changed what; call inside the transaction that makes the change. */
export async function recordAudit(tx: DbOrTx, entry: AuditEntry): Promise<void> {
  await tx.insert(auditLog).values({
    actorUserId: entry.actorUserId,
    action: entry.action,
    entityType: entry.entityType,
    entityId: entry.entityId,
    before: entry.before ?? null,
    after: entry.after ?? null,
    requestId: entry.requestId ?? null,
  });
}
