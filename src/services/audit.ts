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
  await recordAudits(tx, [entry]);
}

/** Many entries in one statement (a bulk change); nothing when there are none. */
export async function recordAudits(tx: DbOrTx, entries: readonly AuditEntry[]): Promise<void> {
  if (entries.length === 0) return;
  await tx.insert(auditLog).values(
    entries.map((entry) => ({
      actorUserId: entry.actorUserId,
      action: entry.action,
      entityType: entry.entityType,
      entityId: entry.entityId,
      before: entry.before ?? null,
      after: entry.after ?? null,
      requestId: entry.requestId ?? null,
    })),
  );
}
