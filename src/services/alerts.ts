/**
 * The alert feed (`GET /v1/alerts`, optional signed outbound webhook): what a crafter or their admins
 * must act on. Raised and resolved inside the caller's transaction, so an alert exists exactly when
 * the change that caused it committed. The outbound webhook never runs inside that transaction: the
 * same statement writes an outbox row (`alert.opened` / `alert.resolved`), and a worker delivers it
 * with retries (workers/processors/alert-webhook.ts).
 */
import { and, desc, eq, inArray, isNotNull, isNull, lt, type SQL, sql } from 'drizzle-orm';
import type { DbOrTx } from '../db/client.js';
import { crafterScopeCondition } from '../db/repositories/scope-sql.js';
import { alerts, crafters } from '../db/schema/index.js';
import { scopeOf } from '../domain/scope.js';
import type { ServiceContext } from './context.js';

export const ALERT_KINDS = [
  'connection_reauth_required',
  'pull_failing',
  'order_oversold',
  'listing_failed',
] as const;
export type AlertKind = (typeof ALERT_KINDS)[number];

export interface AlertInput {
  kind: AlertKind;
  /** The crafter it concerns: decides which admins see it (their region) and the crafter themself. */
  crafterId: string;
  /**
   * One open alert per key: raising it again while open updates it (count, last seen) instead of
   * adding another. e.g. `connection_reauth_required:<connectionId>`.
   */
  dedupeKey: string;
  message: { en: string; id: string };
  /** Ids of what it concerns (connectionId, listingId, orderId, variantId…). */
  subject?: Record<string, string>;
}

/** The dedupe keys of the alerts the outward pipeline raises (one open alert per shop / listing). */
export const alertKey = {
  connectionReauth: (connectionId: string) => `connection_reauth_required:${connectionId}`,
  listingFailed: (listingId: string) => `listing_failed:${listingId}`,
};

/** What a raise did: opened a new alert, or refreshed the open one with the same key. */
export interface RaisedAlert {
  id: number;
  opened: boolean;
  count: number;
}

/**
 * Raises (or refreshes) an alert in the caller's transaction. One statement: the upsert on the open
 * alert's key and, when it opened a new alert, the outbox row for the outbound webhook — so it is
 * atomic even when called with the pool rather than a transaction, and two concurrent raises of the
 * same key end as one open alert with count 2.
 */
export async function raiseAlert(db: DbOrTx, alert: AlertInput): Promise<RaisedAlert> {
  const rows = await db.execute<{ id: string; opened: boolean; count: number }>(sql`
    with upserted as (
      insert into ${alerts} (kind, crafter_id, dedupe_key, message_en, message_id, subject)
      values (${alert.kind}, ${alert.crafterId}, ${alert.dedupeKey}, ${alert.message.en},
              ${alert.message.id}, ${JSON.stringify(alert.subject ?? {})}::jsonb)
      on conflict (dedupe_key) where resolved_at is null do update set
        count = ${alerts}.count + 1,
        last_seen_at = now(),
        message_en = excluded.message_en,
        message_id = excluded.message_id,
        subject = excluded.subject
      returning id, count, (xmax = 0) as opened),
    notified as (
      insert into outbox (topic, aggregate_type, aggregate_id, payload)
      select 'alert.opened', 'alert', id::text, jsonb_build_object('alertId', id)
      from upserted where opened)
    select id, opened, count from upserted`);
  const row = rows[0];
  if (!row) throw new Error('raiseAlert: the upsert returned no row');
  return { id: Number(row.id), opened: row.opened, count: row.count };
}

/**
 * Resolves the open alert with this key, if any (a reconnected shop, a listing live again), and
 * queues the outbound `alert.resolved` notification in the same statement. Returns the alert's id,
 * or null when nothing was open.
 */
export async function resolveAlert(db: DbOrTx, dedupeKey: string): Promise<number | null> {
  const rows = await db.execute<{ id: string }>(sql`
    with ${resolveAlertCtes(dedupeKey)}
    select id from resolved_alert`);
  const row = rows[0];
  return row ? Number(row.id) : null;
}

/**
 * The two common table expressions that resolve an alert (`resolved_alert` returns its id) and
 * queue its `alert.resolved` notification, for a statement that does other writes too (one round
 * trip). Nothing happens when no such alert is open.
 */
export function resolveAlertCtes(dedupeKey: string): SQL {
  return sql`
    resolved_alert as (
      update ${alerts} set resolved_at = now()
      where dedupe_key = ${dedupeKey} and resolved_at is null
      returning id),
    resolved_alert_notified as (
      insert into outbox (topic, aggregate_type, aggregate_id, payload)
      select 'alert.resolved', 'alert', id::text, jsonb_build_object('alertId', id) from resolved_alert)`;
}

export type AlertState = 'open' | 'resolved' | 'all';

export interface AlertView {
  id: number;
  kind: AlertKind;
  crafterId: string;
  dedupeKey: string;
  message: { en: string; id: string };
  subject: Record<string, string>;
  count: number;
  openedAt: Date;
  lastSeenAt: Date;
  resolvedAt: Date | null;
}

type AlertRow = typeof alerts.$inferSelect;

export function toAlertView(row: AlertRow): AlertView {
  return {
    id: row.id,
    kind: row.kind,
    crafterId: row.crafterId,
    dedupeKey: row.dedupeKey,
    message: { en: row.messageEn, id: row.messageId },
    subject: row.subject,
    count: row.count,
    openedAt: row.openedAt,
    lastSeenAt: row.lastSeenAt,
    resolvedAt: row.resolvedAt,
  };
}

/**
 * The caller's alerts, newest first (by id), clipped to their scope: a crafter its own, an admin
 * those of crafters in its region subtree, an operator all.
 */
export async function listAlerts(
  ctx: ServiceContext,
  filter: { state: AlertState; kinds?: AlertKind[]; crafterId?: string; limit: number; before?: number },
): Promise<AlertView[]> {
  const conditions: SQL[] = [crafterScopeCondition(scopeOf(ctx.principal))];
  if (filter.state === 'open') conditions.push(isNull(alerts.resolvedAt) as SQL);
  if (filter.state === 'resolved') conditions.push(isNotNull(alerts.resolvedAt) as SQL);
  if (filter.kinds && filter.kinds.length > 0) conditions.push(inArray(alerts.kind, filter.kinds));
  if (filter.crafterId) conditions.push(eq(alerts.crafterId, filter.crafterId));
  if (filter.before !== undefined) conditions.push(lt(alerts.id, filter.before));
  const rows = await ctx.db
    .select({ alert: alerts })
    .from(alerts)
    .innerJoin(crafters, eq(crafters.id, alerts.crafterId))
    .where(and(...conditions))
    .orderBy(desc(alerts.id))
    .limit(filter.limit);
  return rows.map((r) => toAlertView(r.alert));
}

/** One alert by id, whatever its state (the webhook worker reads what it delivers). */
export async function loadAlert(db: DbOrTx, id: number): Promise<AlertView | null> {
  const [row] = await db.select().from(alerts).where(eq(alerts.id, id));
  return row ? toAlertView(row) : null;
}
