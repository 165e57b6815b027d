/**
 * Storing pulled orders exactly once, with their stock movements and the daily sales rollups, in the
 * caller's transaction (the pull job's, which also moves the cursor).
 *
 * Exactly once: orders are unique on (connection, external order id) and lines on (order, line
 * key); an order's row is locked before it is compared, so two pulls of the same shop that overlap
 * apply each change once. A replay finds nothing to change and writes nothing but `last_seen_at`.
 *
 * Forward only: a status never moves back (src/domain/sales.ts), a payload older than the stored one
 * (`updatedAt`) is ignored, and line cancellations/returns only grow.
 *
 * Stock: each line records how much stock its movements took (sale) and gave back (cancellation,
 * return); a change writes the difference to the ledger with a dedupe key of its own, so a replay
 * or a status flip-flop never moves stock twice.
 *
 * Rollups: the contribution of each changed order (old lines) is subtracted and the new one added,
 * at every grain of `sales_daily_rollups` (src/db/schema/orders.ts explains the grains).
 */
import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import type { CanonicalOrder, CanonicalOrderLine, Channel, OrderStatus } from '../channels/types.js';
import type { DbOrTx, Tx } from '../db/client.js';
import type { SalesRollupGrain } from '../db/schema/orders.js';
import { forwardStatus, jakartaDay, lineFigures, orderCounts } from '../domain/sales.js';
import { recordStockMovements, type StockMovementInput, type StockMovementKind } from './stock-ledger.js';

/** Advisory lock key (any constant) ordering rollup deltas and rebuilds. */
const ROLLUP_LOCK = 0x5a1e5;

/** The `channel_pull_runs.stream` / `channel_sync_cursors.stream` of orders. */
export const ORDERS_STREAM = 'orders';

/** The connection the orders came from (read by the pull job before it opens the transaction). */
export interface IngestConnection {
  connectionId: string;
  channel: Channel;
  crafterId: string;
}

export interface IngestSummary {
  fetched: number;
  /** Orders seen for the first time. */
  inserted: number;
  /** Orders whose status or lines changed. */
  updated: number;
  /** Orders identical to what was stored (replays). */
  unchanged: number;
  /** Lines whose seller SKU matches none of the crafter's variants (kept, listed for the crafter). */
  unmatchedLines: number;
}

interface StoredOrder {
  id: string;
  externalOrderId: string;
  status: OrderStatus;
  placedAt: Date;
  paidAt: Date | null;
  platformUpdatedAt: Date;
  saleDay: string;
  counted: boolean;
  kelurahanCode: string;
  kecamatanCode: string;
}

/** A line as stored (or about to be). */
interface LineRow {
  id: string;
  orderId: string;
  lineKey: string;
  sellerSku: string;
  remoteItemId: string | null;
  remoteVariantId: string | null;
  title: string | null;
  variantId: string | null;
  productId: string | null;
  category: string | null;
  quantity: number;
  unitPriceIdr: number;
  cancelledQuantity: number;
  returnedQuantity: number;
  counted: boolean;
  grossIdr: number;
  netIdr: number;
  units: number;
  stockSold: number;
  stockCancelled: number;
  stockReturned: number;
  stockMoves: number;
}

interface VariantMatch {
  variantId: string;
  productId: string;
  category: string;
}

interface Place {
  kelurahanCode: string;
  kecamatanCode: string;
}

const rows = <T>(result: unknown) => result as T[];

/** One order per external id (the most recently updated), one line per line key (the last). */
function latestPerOrder(orders: CanonicalOrder[]): Map<string, CanonicalOrder> {
  const byId = new Map<string, CanonicalOrder>();
  for (const order of orders) {
    const seen = byId.get(order.externalOrderId);
    if (!seen || order.updatedAt.getTime() >= seen.updatedAt.getTime())
      byId.set(order.externalOrderId, order);
  }
  for (const [id, order] of byId) {
    const lines = new Map<string, CanonicalOrderLine>();
    for (const line of order.lines) lines.set(line.lineKey, line);
    if (lines.size !== order.lines.length) byId.set(id, { ...order, lines: [...lines.values()] });
  }
  return byId;
}

const wholeNonNegative = (n: number | undefined) =>
  n === undefined || !Number.isFinite(n) ? 0 : Math.max(0, Math.trunc(n));

async function crafterPlace(db: DbOrTx, crafterId: string): Promise<Place> {
  const [row] = rows<{ kelurahan: string; kecamatan: string | null }>(
    await db.execute(sql`
      select c.kelurahan_code as kelurahan, r.parent_code as kecamatan
      from crafters c left join regions r on r.code = c.kelurahan_code
      where c.id = ${crafterId}`),
  );
  if (!row) throw new Error(`ingestOrders: crafter ${crafterId} does not exist`);
  return {
    kelurahanCode: row.kelurahan,
    kecamatanCode: row.kecamatan ?? row.kelurahan.split('.').slice(0, 3).join('.'),
  };
}

async function lockStoredOrders(
  tx: Tx,
  connectionId: string,
  ids: string[],
): Promise<Map<string, StoredOrder>> {
  const found = rows<{
    id: string;
    external_order_id: string;
    status: OrderStatus;
    placed_at: Date;
    paid_at: Date | null;
    platform_updated_at: Date;
    sale_day: string;
    counted: boolean;
    kelurahan_code: string;
    kecamatan_code: string;
  }>(
    await tx.execute(sql`
      select id, external_order_id, status, placed_at, paid_at, platform_updated_at, sale_day::text as sale_day,
             counted, kelurahan_code, kecamatan_code
      from orders
      where connection_id = ${connectionId}
        and external_order_id in (select jsonb_array_elements_text(${JSON.stringify(ids)}::jsonb))
      order by id
      for update`),
  );
  return new Map(
    found.map((r) => [
      r.external_order_id,
      {
        id: r.id,
        externalOrderId: r.external_order_id,
        status: r.status,
        placedAt: new Date(r.placed_at),
        paidAt: r.paid_at === null ? null : new Date(r.paid_at),
        platformUpdatedAt: new Date(r.platform_updated_at),
        saleDay: r.sale_day,
        counted: r.counted,
        kelurahanCode: r.kelurahan_code,
        kecamatanCode: r.kecamatan_code,
      },
    ]),
  );
}

async function storedLinesOf(tx: Tx, orderIds: string[]): Promise<Map<string, LineRow[]>> {
  const byOrder = new Map<string, LineRow[]>();
  if (orderIds.length === 0) return byOrder;
  const found = rows<Record<string, unknown>>(
    await tx.execute(sql`
      select id, order_id, line_key, seller_sku, remote_item_id, remote_variant_id, title, variant_id, product_id,
             category, quantity, unit_price_idr::float8 as unit_price_idr, cancelled_quantity, returned_quantity,
             counted, gross_idr::float8 as gross_idr, net_idr::float8 as net_idr, units, stock_sold,
             stock_cancelled, stock_returned, stock_moves
      from order_lines
      where order_id in (select (jsonb_array_elements_text(${JSON.stringify(orderIds)}::jsonb))::uuid)`),
  );
  for (const r of found) {
    const line: LineRow = {
      id: r.id as string,
      orderId: r.order_id as string,
      lineKey: r.line_key as string,
      sellerSku: r.seller_sku as string,
      remoteItemId: r.remote_item_id as string | null,
      remoteVariantId: r.remote_variant_id as string | null,
      title: r.title as string | null,
      variantId: r.variant_id as string | null,
      productId: r.product_id as string | null,
      category: r.category as string | null,
      quantity: Number(r.quantity),
      unitPriceIdr: Number(r.unit_price_idr),
      cancelledQuantity: Number(r.cancelled_quantity),
      returnedQuantity: Number(r.returned_quantity),
      counted: r.counted as boolean,
      grossIdr: Number(r.gross_idr),
      netIdr: Number(r.net_idr),
      units: Number(r.units),
      stockSold: Number(r.stock_sold),
      stockCancelled: Number(r.stock_cancelled),
      stockReturned: Number(r.stock_returned),
      stockMoves: Number(r.stock_moves),
    };
    const list = byOrder.get(line.orderId);
    if (list) list.push(line);
    else byOrder.set(line.orderId, [line]);
  }
  return byOrder;
}

/** The crafter's live variants carrying these seller SKUs (exact match), with product and category. */
async function matchSkus(tx: Tx, crafterId: string, skus: Set<string>): Promise<Map<string, VariantMatch>> {
  if (skus.size === 0) return new Map();
  const found = rows<{ sku: string; variant_id: string; product_id: string; category: string }>(
    await tx.execute(sql`
      select v.sku, v.id as variant_id, v.product_id, p.category
      from variants v join products p on p.id = v.product_id
      where v.crafter_id = ${crafterId} and v.retired_at is null
        and v.sku in (select jsonb_array_elements_text(${JSON.stringify([...skus])}::jsonb))`),
  );
  return new Map(
    found.map((r) => [r.sku, { variantId: r.variant_id, productId: r.product_id, category: r.category }]),
  );
}

/** A rollup row's dimensions and figures; `key` identifies the row. */
interface RollupDelta {
  grain: SalesRollupGrain;
  day: string;
  kelurahanCode: string;
  kecamatanCode: string;
  category: string | null;
  productId: string | null;
  grossIdr: number;
  netIdr: number;
  units: number;
  orders: number;
}

/** Adds what a counted order contributes (sign +1) or takes back (sign −1) at every grain. */
function addContribution(
  into: Map<string, RollupDelta>,
  order: { counted: boolean; saleDay: string; kelurahanCode: string; kecamatanCode: string },
  lines: readonly LineRow[],
  sign: 1 | -1,
): void {
  if (!order.counted) return;
  const add = (
    grain: SalesRollupGrain,
    category: string | null,
    productId: string | null,
    line?: LineRow,
  ) => {
    const key = `${grain}|${order.saleDay}|${order.kelurahanCode}|${category ?? '\u0000'}|${productId ?? '\u0000'}`;
    let row = into.get(key);
    if (!row) {
      row = {
        grain,
        day: order.saleDay,
        kelurahanCode: order.kelurahanCode,
        kecamatanCode: order.kecamatanCode,
        category,
        productId,
        grossIdr: 0,
        netIdr: 0,
        units: 0,
        orders: 0,
      };
      into.set(key, row);
    }
    if (line) {
      row.grossIdr += sign * line.grossIdr;
      row.netIdr += sign * line.netIdr;
      row.units += sign * line.units;
    } else {
      row.orders += sign;
    }
  };
  add('order', null, null);
  const categories = new Set<string | null>();
  const products = new Map<string, [string | null, string | null]>();
  for (const line of lines) {
    add('order', null, null, line);
    add('category', line.category, null, line);
    add('product', line.category, line.productId, line);
    categories.add(line.category);
    products.set(`${line.category ?? '\u0000'}|${line.productId ?? '\u0000'}`, [
      line.category,
      line.productId,
    ]);
  }
  // An order counts once per grain row it touches, however many lines it has there.
  for (const category of categories) add('category', category, null);
  for (const [category, productId] of products.values()) add('product', category, productId);
}

function sameLine(a: LineRow, b: LineRow): boolean {
  return (
    a.sellerSku === b.sellerSku &&
    a.remoteItemId === b.remoteItemId &&
    a.remoteVariantId === b.remoteVariantId &&
    a.title === b.title &&
    a.variantId === b.variantId &&
    a.productId === b.productId &&
    a.category === b.category &&
    a.quantity === b.quantity &&
    a.unitPriceIdr === b.unitPriceIdr &&
    a.cancelledQuantity === b.cancelledQuantity &&
    a.returnedQuantity === b.returnedQuantity &&
    a.counted === b.counted &&
    a.grossIdr === b.grossIdr &&
    a.netIdr === b.netIdr &&
    a.units === b.units &&
    a.stockSold === b.stockSold &&
    a.stockCancelled === b.stockCancelled &&
    a.stockReturned === b.stockReturned &&
    a.stockMoves === b.stockMoves
  );
}

interface Movement {
  input: StockMovementInput;
  orderId: string;
}

/**
 * Brings a line's figures and stock to what its order's state says: recomputes the figures and
 * appends the movements that move its stock from what was applied to the target.
 */
function settleLine(
  line: LineRow,
  order: { status: OrderStatus; counted: boolean; externalOrderId: string },
  connectionId: string,
  movements: Movement[],
): void {
  const figures = lineFigures(line, order.status, order.counted);
  line.grossIdr = figures.grossIdr;
  line.netIdr = figures.netIdr;
  line.units = figures.units;
  line.counted = order.counted;
  if (line.variantId === null) return;
  const variantId = line.variantId;
  const targets: Array<[StockMovementKind, number, number, (v: number) => void, 1 | -1]> = [
    ['sale', order.counted ? line.quantity : 0, line.stockSold, (v) => (line.stockSold = v), -1],
    [
      'cancellation',
      order.counted ? figures.cancelledUnits : 0,
      line.stockCancelled,
      (v) => (line.stockCancelled = v),
      1,
    ],
    [
      'return',
      order.counted ? figures.returnedUnits : 0,
      line.stockReturned,
      (v) => (line.stockReturned = v),
      1,
    ],
  ];
  for (const [kind, target, applied, set, sign] of targets) {
    if (target === applied) continue;
    const base = `${kind}:${connectionId}:${order.externalOrderId}:${line.lineKey}`;
    // The line's first movement has the plain key; later ones are numbered, so an adjustment back to
    // an earlier amount is a movement of its own, never mistaken for a replay of the first.
    const dedupeKey = line.stockMoves === 0 ? base : `${base}:${line.stockMoves + 1}`;
    line.stockMoves += 1;
    set(target);
    movements.push({
      orderId: line.orderId,
      input: { variantId, delta: sign * (target - applied), kind, dedupeKey, orderLineId: line.id },
    });
  }
}

/**
 * Upserts orders and lines by (connection, external order id, line key); applies status changes in
 * place, never backwards (sync-pitfalls); writes sale/cancellation/return stock movements; keeps the
 * daily rollups current. Replaying the same orders changes nothing.
 */
export async function ingestOrders(
  tx: Tx,
  connection: IngestConnection,
  orders: CanonicalOrder[],
): Promise<IngestSummary> {
  const summary: IngestSummary = {
    fetched: orders.length,
    inserted: 0,
    updated: 0,
    unchanged: 0,
    unmatchedLines: 0,
  };
  if (orders.length === 0) return summary;
  const { connectionId } = connection;
  const incoming = latestPerOrder(orders);
  const externalIds = [...incoming.keys()].sort();
  const stored = await lockStoredOrders(tx, connectionId, externalIds);
  const storedLines = await storedLinesOf(
    tx,
    [...stored.values()].map((o) => o.id),
  );
  const place = stored.size < incoming.size ? await crafterPlace(tx, connection.crafterId) : null;

  // Seller SKUs still to match: every new line's, and those of stored lines that matched nothing yet.
  const skus = new Set<string>();
  for (const order of incoming.values()) {
    const known = stored.get(order.externalOrderId);
    const lines = known ? (storedLines.get(known.id) ?? []) : [];
    const matched = new Set(lines.filter((l) => l.variantId !== null).map((l) => l.lineKey));
    for (const line of order.lines) if (!matched.has(line.lineKey)) skus.add(line.sellerSku);
  }
  const matches = await matchSkus(tx, connection.crafterId, skus);

  const newOrders: Array<StoredOrder & { lines: LineRow[] }> = [];
  const changedOrders: Array<StoredOrder & { lines: LineRow[] }> = [];
  const lineWrites: LineRow[] = [];
  const seenOnly: string[] = [];
  const movements: Movement[] = [];
  const deltas = new Map<string, RollupDelta>();

  for (const externalOrderId of externalIds) {
    const order = incoming.get(externalOrderId) as CanonicalOrder;
    const before = stored.get(externalOrderId);
    if (before && order.updatedAt.getTime() < before.platformUpdatedAt.getTime()) {
      // Older than what we hold (an out-of-order webhook, an overlapping pull): nothing to learn.
      summary.unchanged += 1;
      seenOnly.push(before.id);
      continue;
    }
    const status = before ? forwardStatus(before.status, order.status) : order.status;
    const paidAt = before?.paidAt ?? order.paidAt ?? null;
    const counted = (before?.counted ?? false) || orderCounts(status, paidAt);
    const next: StoredOrder = {
      id: before?.id ?? randomUUID(),
      externalOrderId,
      status,
      placedAt: before?.placedAt ?? order.createdAt,
      paidAt,
      platformUpdatedAt: order.updatedAt,
      saleDay: before?.saleDay ?? jakartaDay(order.createdAt),
      counted,
      kelurahanCode: before?.kelurahanCode ?? (place as Place).kelurahanCode,
      kecamatanCode: before?.kecamatanCode ?? (place as Place).kecamatanCode,
    };
    const oldLines = before ? (storedLines.get(before.id) ?? []) : [];
    const lines = new Map(oldLines.map((l) => [l.lineKey, { ...l }]));
    for (const line of order.lines) {
      const quantity = wholeNonNegative(line.quantity);
      const kept = lines.get(line.lineKey);
      const match = kept?.variantId ? undefined : matches.get(line.sellerSku);
      const row: LineRow = kept ?? {
        id: randomUUID(),
        orderId: next.id,
        lineKey: line.lineKey,
        sellerSku: line.sellerSku,
        remoteItemId: null,
        remoteVariantId: null,
        title: null,
        variantId: null,
        productId: null,
        category: null,
        quantity,
        unitPriceIdr: 0,
        cancelledQuantity: 0,
        returnedQuantity: 0,
        counted: false,
        grossIdr: 0,
        netIdr: 0,
        units: 0,
        stockSold: 0,
        stockCancelled: 0,
        stockReturned: 0,
        stockMoves: 0,
      };
      row.sellerSku = line.sellerSku;
      row.remoteItemId = line.remoteItemId ?? row.remoteItemId;
      row.remoteVariantId = line.remoteVariantId ?? row.remoteVariantId;
      row.title = line.title ?? row.title;
      row.quantity = quantity;
      row.unitPriceIdr = wholeNonNegative(line.unitPriceIdr);
      // Taken-back units only grow (a stale payload never un-cancels), and never exceed the quantity.
      row.returnedQuantity = Math.min(
        quantity,
        Math.max(row.returnedQuantity, wholeNonNegative(line.returnedQuantity)),
      );
      row.cancelledQuantity = Math.min(
        quantity - row.returnedQuantity,
        Math.max(row.cancelledQuantity, wholeNonNegative(line.cancelledQuantity)),
      );
      if (match) {
        row.variantId = match.variantId;
        row.productId = match.productId;
        row.category = match.category;
      }
      lines.set(line.lineKey, row);
    }
    const oldByKey = new Map(oldLines.map((l) => [l.lineKey, l]));
    let linesChanged = false;
    for (const line of lines.values()) {
      settleLine(line, next, connectionId, movements);
      const old = oldByKey.get(line.lineKey);
      if (!old || !sameLine(old, line)) {
        linesChanged = true;
        lineWrites.push(line);
      }
    }
    for (const line of order.lines)
      if (lines.get(line.lineKey)?.variantId === null) summary.unmatchedLines += 1;
    const all = [...lines.values()];
    if (!before) {
      newOrders.push({ ...next, lines: all });
    } else if (
      linesChanged ||
      next.status !== before.status ||
      next.counted !== before.counted ||
      (next.paidAt?.getTime() ?? null) !== (before.paidAt?.getTime() ?? null) ||
      next.platformUpdatedAt.getTime() !== before.platformUpdatedAt.getTime()
    ) {
      changedOrders.push({ ...next, lines: all });
      if (linesChanged || next.status !== before.status || next.counted !== before.counted)
        summary.updated += 1;
      else summary.unchanged += 1;
    } else {
      summary.unchanged += 1;
      seenOnly.push(before.id);
      continue;
    }
    if (before) addContribution(deltas, before, oldLines, -1);
    addContribution(deltas, next, all, 1);
  }

  // New orders first: one that a concurrent pull inserted meanwhile is not ours to insert; it is
  // ingested again below as a stored order (its row lock waits for that pull to commit).
  let raced: CanonicalOrder[] = [];
  if (newOrders.length > 0) {
    const inserted = new Set(
      rows<{ external_order_id: string }>(
        await tx.execute(sql`
          insert into orders (id, connection_id, channel, crafter_id, external_order_id, status, placed_at, paid_at,
                              platform_updated_at, sale_day, counted, kelurahan_code, kecamatan_code)
          select x.id, ${connectionId}, ${connection.channel}::channel, ${connection.crafterId}, x.external_order_id,
                 x.status::order_status, x.placed_at, x.paid_at, x.platform_updated_at, x.sale_day, x.counted,
                 x.kelurahan_code, x.kecamatan_code
          from jsonb_to_recordset(${JSON.stringify(newOrders.map(orderJson))}::jsonb) as x(
            id uuid, external_order_id text, status text, placed_at timestamptz, paid_at timestamptz,
            platform_updated_at timestamptz, sale_day date, counted boolean, kelurahan_code text, kecamatan_code text)
          order by x.external_order_id
          on conflict (connection_id, external_order_id) do nothing
          returning external_order_id`),
      ).map((r) => r.external_order_id),
    );
    if (inserted.size < newOrders.length) {
      const lost = new Set(newOrders.filter((o) => !inserted.has(o.externalOrderId)).map((o) => o.id));
      raced = newOrders
        .filter((o) => lost.has(o.id))
        .map((o) => incoming.get(o.externalOrderId) as CanonicalOrder);
      // Take back everything computed for them: the retry below recomputes it against the stored row.
      for (let i = lineWrites.length - 1; i >= 0; i -= 1) {
        if (lost.has((lineWrites[i] as LineRow).orderId)) lineWrites.splice(i, 1);
      }
      for (let i = movements.length - 1; i >= 0; i -= 1) {
        if (lost.has((movements[i] as Movement).orderId)) movements.splice(i, 1);
      }
      for (const order of newOrders) if (lost.has(order.id)) addContribution(deltas, order, order.lines, -1);
      for (const line of raced.flatMap((o) => o.lines))
        if (!matches.has(line.sellerSku)) summary.unmatchedLines -= 1;
    }
    summary.inserted += inserted.size;
  }

  if (changedOrders.length > 0) {
    await tx.execute(sql`
      update orders o
      set status = x.status::order_status, paid_at = x.paid_at, platform_updated_at = x.platform_updated_at,
          counted = x.counted, last_seen_at = now(), updated_at = now()
      from jsonb_to_recordset(${JSON.stringify(changedOrders.map(orderJson))}::jsonb) as x(
        id uuid, status text, paid_at timestamptz, platform_updated_at timestamptz, counted boolean)
      where o.id = x.id`);
  }
  if (seenOnly.length > 0) {
    await tx.execute(sql`
      update orders set last_seen_at = now()
      where id in (select (jsonb_array_elements_text(${JSON.stringify(seenOnly)}::jsonb))::uuid)`);
  }
  if (lineWrites.length > 0) {
    // Lines of orders inserted above cannot exist yet: a plain insert, no conflict arbitration.
    const fresh = new Set(newOrders.map((o) => o.id));
    await writeLines(
      tx,
      connection,
      newOrders,
      lineWrites.filter((l) => fresh.has(l.orderId)),
      'insert',
    );
    await writeLines(
      tx,
      connection,
      changedOrders,
      lineWrites.filter((l) => !fresh.has(l.orderId)),
      'upsert',
    );
  }

  if (movements.length > 0) {
    movements.sort((a, b) =>
      a.input.variantId === b.input.variantId
        ? a.input.dedupeKey.localeCompare(b.input.dedupeKey)
        : a.input.variantId.localeCompare(b.input.variantId),
    );
    const results = await recordStockMovements(
      tx,
      movements.map((m) => m.input),
    );
    const oversold = new Set<string>();
    results.forEach((result, i) => {
      if (result.oversold) oversold.add((movements[i] as Movement).orderId);
    });
    if (oversold.size > 0) {
      await tx.execute(sql`
        update orders set oversold = true
        where id in (select (jsonb_array_elements_text(${JSON.stringify([...oversold])}::jsonb))::uuid)`);
    }
  }

  await applyRollupDeltas(tx, connection, deltas);

  if (raced.length > 0) {
    const again = await ingestOrders(tx, connection, raced);
    summary.updated += again.updated + again.inserted;
    summary.unchanged += again.unchanged;
    summary.unmatchedLines += again.unmatchedLines;
  }
  return summary;
}

function orderJson(o: StoredOrder) {
  return {
    id: o.id,
    external_order_id: o.externalOrderId,
    status: o.status,
    placed_at: o.placedAt.toISOString(),
    paid_at: o.paidAt?.toISOString() ?? null,
    platform_updated_at: o.platformUpdatedAt.toISOString(),
    sale_day: o.saleDay,
    counted: o.counted,
    kelurahan_code: o.kelurahanCode,
    kecamatan_code: o.kecamatanCode,
  };
}

async function writeLines(
  tx: Tx,
  connection: IngestConnection,
  ordersWritten: ReadonlyArray<StoredOrder>,
  lines: LineRow[],
  mode: 'insert' | 'upsert',
): Promise<void> {
  const orderOf = new Map(ordersWritten.map((o) => [o.id, o]));
  const payload = lines
    .filter((l) => orderOf.has(l.orderId))
    .map((l) => {
      const o = orderOf.get(l.orderId) as StoredOrder;
      return {
        id: l.id,
        order_id: l.orderId,
        line_key: l.lineKey,
        seller_sku: l.sellerSku,
        remote_item_id: l.remoteItemId,
        remote_variant_id: l.remoteVariantId,
        title: l.title,
        variant_id: l.variantId,
        product_id: l.productId,
        category: l.category,
        quantity: l.quantity,
        unit_price_idr: l.unitPriceIdr,
        cancelled_quantity: l.cancelledQuantity,
        returned_quantity: l.returnedQuantity,
        sale_day: o.saleDay,
        kelurahan_code: o.kelurahanCode,
        kecamatan_code: o.kecamatanCode,
        counted: l.counted,
        gross_idr: l.grossIdr,
        net_idr: l.netIdr,
        units: l.units,
        stock_sold: l.stockSold,
        stock_cancelled: l.stockCancelled,
        stock_returned: l.stockReturned,
        stock_moves: l.stockMoves,
      };
    });
  if (payload.length === 0) return;
  await tx.execute(sql`
    insert into order_lines (id, order_id, line_key, seller_sku, remote_item_id, remote_variant_id, title, variant_id,
                             product_id, category, quantity, unit_price_idr, cancelled_quantity, returned_quantity,
                             connection_id, channel, crafter_id, sale_day, kelurahan_code, kecamatan_code, counted,
                             gross_idr, net_idr, units, stock_sold, stock_cancelled, stock_returned, stock_moves)
    select x.id, x.order_id, x.line_key, x.seller_sku, x.remote_item_id, x.remote_variant_id, x.title, x.variant_id,
           x.product_id, x.category, x.quantity, x.unit_price_idr, x.cancelled_quantity, x.returned_quantity,
           ${connection.connectionId}, ${connection.channel}::channel, ${connection.crafterId}, x.sale_day,
           x.kelurahan_code, x.kecamatan_code, x.counted, x.gross_idr, x.net_idr, x.units, x.stock_sold,
           x.stock_cancelled, x.stock_returned, x.stock_moves
    from jsonb_to_recordset(${JSON.stringify(payload)}::jsonb) as x(
      id uuid, order_id uuid, line_key text, seller_sku text, remote_item_id text, remote_variant_id text, title text,
      variant_id uuid, product_id uuid, category text, quantity integer, unit_price_idr bigint,
      cancelled_quantity integer, returned_quantity integer, sale_day date, kelurahan_code text,
      kecamatan_code text, counted boolean, gross_idr bigint, net_idr bigint, units integer, stock_sold integer,
      stock_cancelled integer, stock_returned integer, stock_moves integer)
    ${
      mode === 'insert'
        ? sql``
        : sql`on conflict (order_id, line_key) do update set
      seller_sku = excluded.seller_sku, remote_item_id = excluded.remote_item_id,
      remote_variant_id = excluded.remote_variant_id, title = excluded.title, variant_id = excluded.variant_id,
      product_id = excluded.product_id, category = excluded.category, quantity = excluded.quantity,
      unit_price_idr = excluded.unit_price_idr, cancelled_quantity = excluded.cancelled_quantity,
      returned_quantity = excluded.returned_quantity, counted = excluded.counted, gross_idr = excluded.gross_idr,
      net_idr = excluded.net_idr, units = excluded.units, stock_sold = excluded.stock_sold,
      stock_cancelled = excluded.stock_cancelled, stock_returned = excluded.stock_returned,
      stock_moves = excluded.stock_moves, updated_at = now()`
    }`);
}

/** Adds the deltas to the rollup rows (in key order, so concurrent ingests lock rows alike) and drops emptied rows. */
async function applyRollupDeltas(
  tx: Tx,
  connection: IngestConnection,
  deltas: Map<string, RollupDelta>,
): Promise<void> {
  const payload = [...deltas.entries()]
    .filter(([, d]) => d.grossIdr !== 0 || d.netIdr !== 0 || d.units !== 0 || d.orders !== 0)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([, d], n) => ({
      n,
      grain: d.grain,
      day: d.day,
      kelurahan_code: d.kelurahanCode,
      kecamatan_code: d.kecamatanCode,
      category: d.category,
      product_id: d.productId,
      gross_idr: d.grossIdr,
      net_idr: d.netIdr,
      units: d.units,
      orders: d.orders,
    }));
  if (payload.length === 0) return;
  // Shared with other ingests, exclusive for a rebuild: a rebuild never interleaves with a delta.
  await tx.execute(sql`select pg_advisory_xact_lock_shared(${ROLLUP_LOCK})`);
  const touched = rows<{ emptied: boolean }>(
    await tx.execute(sql`
      insert into sales_daily_rollups as r (grain, day, connection_id, channel, crafter_id, kecamatan_code,
                                            kelurahan_code, category, product_id, gross_idr, net_idr, units, orders)
      select x.grain::sales_rollup_grain, x.day, ${connection.connectionId}, ${connection.channel}::channel,
             ${connection.crafterId}, x.kecamatan_code, x.kelurahan_code, x.category, x.product_id, x.gross_idr,
             x.net_idr, x.units, x.orders
      from jsonb_to_recordset(${JSON.stringify(payload)}::jsonb) as x(
        grain text, day date, kelurahan_code text, kecamatan_code text, category text, product_id uuid,
        gross_idr bigint, net_idr bigint, units bigint, orders bigint, n bigint)
      order by x.n
      on conflict on constraint sales_daily_rollups_key do update set
        gross_idr = r.gross_idr + excluded.gross_idr, net_idr = r.net_idr + excluded.net_idr,
        units = r.units + excluded.units, orders = r.orders + excluded.orders
      returning (r.gross_idr = 0 and r.net_idr = 0 and r.units = 0 and r.orders = 0) as emptied`),
  );
  if (touched.some((t) => t.emptied)) {
    // A row every contribution left (a line matched to a product later moves out of the unmatched row).
    await tx.execute(sql`
      delete from sales_daily_rollups
      where connection_id = ${connection.connectionId} and gross_idr = 0 and net_idr = 0 and units = 0 and orders = 0
        and day in (select (jsonb_array_elements_text(${JSON.stringify([...new Set(payload.map((p) => p.day))])}::jsonb))::date)`);
  }
}

/**
 * Recomputes the daily rollups of the given Jakarta days (`YYYY-MM-DD`, inclusive) from the stored
 * lines, for the nightly rebuild of days touched by late changes. Running it twice changes nothing.
 */
export async function rebuildSalesRollups(
  tx: Tx,
  days: { from: string; to: string; connectionId?: string },
): Promise<{ days: number; rows: number }> {
  const connectionFilter = (column: string) =>
    days.connectionId === undefined ? sql`true` : sql`${sql.raw(column)} = ${days.connectionId}`;
  await tx.execute(sql`select pg_advisory_xact_lock(${ROLLUP_LOCK})`);
  await tx.execute(sql`
    delete from sales_daily_rollups
    where day between ${days.from}::date and ${days.to}::date and ${connectionFilter('connection_id')}`);
  const inserted = rows<{ n: number }>(
    await tx.execute(sql`
      with o as (
        select id, sale_day, connection_id, channel, crafter_id, kecamatan_code, kelurahan_code
        from orders
        where counted and sale_day between ${days.from}::date and ${days.to}::date and ${connectionFilter('connection_id')}
      ), l as (
        select order_id, sale_day, connection_id, channel, crafter_id, kecamatan_code, kelurahan_code, category,
               product_id, gross_idr, net_idr, units
        from order_lines
        where counted and sale_day between ${days.from}::date and ${days.to}::date and ${connectionFilter('connection_id')}
      ), ins as (
        insert into sales_daily_rollups (grain, day, connection_id, channel, crafter_id, kecamatan_code, kelurahan_code,
                                         category, product_id, gross_idr, net_idr, units, orders)
        select 'order'::sales_rollup_grain, o.sale_day, o.connection_id, o.channel, o.crafter_id, o.kecamatan_code, o.kelurahan_code,
               null::text, null::uuid, coalesce(sum(f.gross_idr), 0), coalesce(sum(f.net_idr), 0), coalesce(sum(f.units), 0), count(*)
        from o left join (
          select order_id, sum(gross_idr) as gross_idr, sum(net_idr) as net_idr, sum(units) as units
          from l group by order_id
        ) f on f.order_id = o.id
        group by o.sale_day, o.connection_id, o.channel, o.crafter_id, o.kecamatan_code, o.kelurahan_code
        union all
        select 'category'::sales_rollup_grain, sale_day, connection_id, channel, crafter_id, kecamatan_code, kelurahan_code, category,
               null::uuid, sum(gross_idr), sum(net_idr), sum(units), count(distinct order_id)
        from l
        group by sale_day, connection_id, channel, crafter_id, kecamatan_code, kelurahan_code, category
        union all
        select 'product'::sales_rollup_grain, sale_day, connection_id, channel, crafter_id, kecamatan_code, kelurahan_code, category,
               product_id, sum(gross_idr), sum(net_idr), sum(units), count(distinct order_id)
        from l
        group by sale_day, connection_id, channel, crafter_id, kecamatan_code, kelurahan_code, category, product_id
        returning 1
      )
      select count(*)::int as n from ins`),
  );
  const span = Math.round((Date.parse(days.to) - Date.parse(days.from)) / 86_400_000) + 1;
  return { days: Math.max(0, span), rows: inserted[0]?.n ?? 0 };
}
