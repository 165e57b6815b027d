/**
 * The regional sales views: summary and CSV export, read from `sales_daily_rollups` (never from the
 * raw lines), always clipped to the caller's scope, with a completeness section naming each
 * connection and Jakarta day that no successful pull covered, so "no data" is never read as "no sales".
 *
 * Region and crafter clipping uses where the crafter was at the time of sale (the rollups carry it),
 * so a kecamatan's figures are exactly the sum of its kelurahan's and the city's the sum of all.
 * Completeness looks at the connections of the crafters in scope now.
 */
import { type SQL, sql } from 'drizzle-orm';
import { PgDialect } from 'drizzle-orm/pg-core';
import type { Sql } from 'postgres';
import type { Channel } from '../channels/types.js';
import type { Database, DbOrTx } from '../db/client.js';
import { crafterScopeCondition, inRegionSubtree } from '../db/repositories/scope-sql.js';
import type { SalesRollupGrain } from '../db/schema/orders.js';
import { guardSpreadsheetCell } from '../domain/catalogue.js';
import type { SalesFigures } from '../domain/sales.js';
import { type Scope, scopeOf } from '../domain/scope.js';
import { ValidationError } from '../lib/errors.js';
import type { ServiceContext } from './context.js';
import { ORDERS_STREAM } from './order-ingest.js';

export const SALES_GROUPS = [
  'day',
  'week',
  'month',
  'channel',
  'crafter',
  'product',
  'category',
  'kecamatan',
  'kelurahan',
] as const;
export type SalesGroup = (typeof SALES_GROUPS)[number];

/** Longest range one request may ask for, in days (a year and a day, so any whole year fits). */
export const SALES_MAX_RANGE_DAYS = 367;

export interface SalesQuery {
  /** Jakarta days, `YYYY-MM-DD`, inclusive. */
  from: string;
  to: string;
  groupBy: SalesGroup[];
  /** Kecamatan or kelurahan (or city) code: only sales made there. */
  region?: string | undefined;
}

/** One group: the dimensions asked for (others absent) and the figures. */
export interface SalesRow extends SalesFigures {
  day?: string;
  week?: string;
  month?: string;
  channel?: Channel;
  crafterId?: string;
  crafterName?: string | null;
  /** Null for lines whose SKU matched none of the crafter's variants. */
  productId?: string | null;
  productTitle?: string | null;
  category?: string | null;
  kecamatanCode?: string;
  kecamatanName?: string | null;
  kelurahanCode?: string;
  kelurahanName?: string | null;
}

export interface MissingPulls {
  connectionId: string;
  channel: Channel;
  crafterId: string;
  shopName: string | null;
  /** Jakarta days in the range that no succeeded pull covered. */
  days: string[];
}

export interface Completeness {
  /** True when every connection in scope has every day of the range covered. */
  complete: boolean;
  connections: number;
  missing: MissingPulls[];
}

export interface SalesSummary {
  rows: SalesRow[];
  totals: SalesFigures;
  completeness: Completeness;
}

const dialect = new PgDialect();

/** Range checks the schema cannot express; throws a 400. */
export function checkSalesRange(q: Pick<SalesQuery, 'from' | 'to'>): void {
  const span = (Date.parse(q.to) - Date.parse(q.from)) / 86_400_000 + 1;
  if (span < 1) {
    throw new ValidationError('`from` is after `to`.', {
      detailId: '`from` jatuh setelah `to`.',
      issues: [{ path: 'query.to', message: 'must be on or after from' }],
    });
  }
  if (span > SALES_MAX_RANGE_DAYS) {
    throw new ValidationError(`The range spans ${span} days; ask for at most ${SALES_MAX_RANGE_DAYS}.`, {
      detailId: `Rentang ${span} hari; paling banyak ${SALES_MAX_RANGE_DAYS} hari.`,
      issues: [{ path: 'query.to', message: `at most ${SALES_MAX_RANGE_DAYS} days after from` }],
    });
  }
}

async function checkRegion(db: DbOrTx, region: string | undefined): Promise<void> {
  if (region === undefined) return;
  const found = (await db.execute(sql`select 1 from regions where code = ${region}`)) as unknown as unknown[];
  if (found.length === 0) {
    throw new ValidationError(`No region has the code ${region}.`, {
      detailId: `Tidak ada wilayah dengan kode ${region}.`,
      issues: [{ path: 'query.region', message: 'unknown region' }],
    });
  }
}

/** The finest grain a grouping needs: order counts are exact at that grain (see the schema). */
function grainFor(groupBy: readonly SalesGroup[]): SalesRollupGrain {
  if (groupBy.includes('product')) return 'product';
  if (groupBy.includes('category')) return 'category';
  return 'order';
}

/** The rollup rows the caller may see, of the range and region asked for. */
function rollupFilter(scope: Scope, q: SalesQuery, grain: SalesRollupGrain): SQL {
  const scoped =
    scope.kind === 'all'
      ? sql`true`
      : scope.kind === 'crafter'
        ? sql`r.crafter_id = ${scope.crafterId}`
        : inRegionSubtree(sql`r.kelurahan_code`, scope.regionCode);
  const region = q.region === undefined ? sql`true` : inRegionSubtree(sql`r.kelurahan_code`, q.region);
  return sql`r.grain = ${grain} and r.day between ${q.from}::date and ${q.to}::date and ${scoped} and ${region}`;
}

const GROUP_COLUMNS: Record<SalesGroup, Array<[string, SQL]>> = {
  day: [['day', sql`r.day::text`]],
  week: [['week', sql`date_trunc('week', r.day)::date::text`]],
  month: [['month', sql`to_char(r.day, 'YYYY-MM')`]],
  channel: [['channel', sql`r.channel::text`]],
  crafter: [['crafter_id', sql`r.crafter_id`]],
  product: [['product_id', sql`r.product_id`]],
  category: [['category', sql`r.category`]],
  kecamatan: [['kecamatan_code', sql`r.kecamatan_code`]],
  kelurahan: [['kelurahan_code', sql`r.kelurahan_code`]],
};

/** The figures query: one row per group, names joined after the aggregation. */
export function salesFiguresSql(scope: Scope, q: SalesQuery): SQL {
  const groups = SALES_GROUPS.filter((g) => q.groupBy.includes(g));
  const columns = groups.flatMap((g) => GROUP_COLUMNS[g]);
  const select = columns.map(([name, expr]) => sql`${expr} as ${sql.identifier(name)}`);
  const groupBy =
    columns.length === 0
      ? sql``
      : sql` group by ${sql.join(
          columns.map(([, e]) => e),
          sql`, `,
        )}`;
  const inner = sql`
    select ${sql.join([...select, sql`sum(r.gross_idr)::float8 as gross_idr`], sql`, `)},
           sum(r.net_idr)::float8 as net_idr, sum(r.units)::float8 as units, sum(r.orders)::float8 as orders
    from sales_daily_rollups r
    where ${rollupFilter(scope, q, grainFor(groups))}${groupBy}`;
  const names: SQL[] = [];
  const joins: SQL[] = [];
  if (groups.includes('crafter')) {
    names.push(sql`c.business_name as crafter_name`);
    joins.push(sql` left join crafters c on c.id = g.crafter_id`);
  }
  if (groups.includes('product')) {
    names.push(sql`p.title as product_title`);
    joins.push(sql` left join products p on p.id = g.product_id`);
  }
  if (groups.includes('kecamatan')) {
    names.push(sql`kc.name as kecamatan_name`);
    joins.push(sql` left join regions kc on kc.code = g.kecamatan_code`);
  }
  if (groups.includes('kelurahan')) {
    names.push(sql`kl.name as kelurahan_name`);
    joins.push(sql` left join regions kl on kl.code = g.kelurahan_code`);
  }
  const order =
    columns.length === 0
      ? sql``
      : sql` order by ${sql.join(
          columns.map(([name]) => sql`g.${sql.identifier(name)} nulls last`),
          sql`, `,
        )}`;
  return sql`select ${sql.join([sql`g.*`, ...names], sql`, `)} from (${inner}) g${sql.join(joins, sql``)}${order}`;
}

type FigureRow = Record<string, unknown> & {
  gross_idr: number;
  net_idr: number;
  units: number;
  orders: number;
};

function toSalesRow(r: FigureRow, groups: readonly SalesGroup[]): SalesRow {
  const row: SalesRow = {
    grossIdr: Number(r.gross_idr ?? 0),
    netIdr: Number(r.net_idr ?? 0),
    units: Number(r.units ?? 0),
    orders: Number(r.orders ?? 0),
  };
  for (const g of groups) {
    switch (g) {
      case 'day':
      case 'week':
      case 'month':
        row[g] = r[g] as string;
        break;
      case 'channel':
        row.channel = r.channel as Channel;
        break;
      case 'crafter':
        row.crafterId = r.crafter_id as string;
        row.crafterName = (r.crafter_name as string | null) ?? null;
        break;
      case 'product':
        row.productId = (r.product_id as string | null) ?? null;
        row.productTitle = (r.product_title as string | null) ?? null;
        break;
      case 'category':
        row.category = (r.category as string | null) ?? null;
        break;
      case 'kecamatan':
        row.kecamatanCode = r.kecamatan_code as string;
        row.kecamatanName = (r.kecamatan_name as string | null) ?? null;
        break;
      case 'kelurahan':
        row.kelurahanCode = r.kelurahan_code as string;
        row.kelurahanName = (r.kelurahan_name as string | null) ?? null;
        break;
    }
  }
  return row;
}

/** The figures of a query, without completeness (the benchmark measures this). */
export async function salesFigures(db: DbOrTx, scope: Scope, q: SalesQuery): Promise<SalesRow[]> {
  const groups = SALES_GROUPS.filter((g) => q.groupBy.includes(g));
  const found = (await db.execute(salesFiguresSql(scope, q))) as unknown as FigureRow[];
  // No group at all: one row of totals, also when nothing sold (sum() of no rows is null).
  return found.map((r) => toSalesRow(r, groups));
}

/**
 * Connections in scope (their crafter now in the caller's scope and the region filter) and the
 * Jakarta days of the range that their succeeded `orders` pulls do not cover. A day is covered when
 * the union of those pulls' windows contains it (today: up to the end of the latest window, and at
 * least part of today must be covered); days before the connection existed, after it was
 * disconnected, and days still to come are not asked for.
 */
export async function salesCompleteness(db: DbOrTx, scope: Scope, q: SalesQuery): Promise<Completeness> {
  const region = q.region === undefined ? sql`true` : inRegionSubtree(sql`crafters.kelurahan_code`, q.region);
  const found = (await db.execute(sql`
    with days as (
      select d::date as day,
             (d::timestamp at time zone 'Asia/Jakarta') as start_at,
             ((d + interval '1 day')::timestamp at time zone 'Asia/Jakarta') as end_at
      from generate_series(${q.from}::date, ${q.to}::date, interval '1 day') d
    ), conns as (
      select cc.id, cc.channel, cc.crafter_id, cc.shop_name, cc.created_at, cc.disconnected_at
      from channel_connections cc join crafters on crafters.id = cc.crafter_id
      where ${crafterScopeCondition(scope)} and ${region}
    ), cover as (
      select pr.connection_id, range_agg(tstzrange(pr.window_from, pr.window_to)) as covered, max(pr.window_to) as until
      from channel_pull_runs pr
      where pr.status = 'succeeded' and pr.stream = ${ORDERS_STREAM} and pr.window_to > pr.window_from
        and pr.connection_id in (select id from conns)
        and pr.window_to > (select min(start_at) from days) and pr.window_from < (select max(end_at) from days)
      group by pr.connection_id
    ), asked as (
      select c.id, c.channel, c.crafter_id, c.shop_name, d.day,
             greatest(d.start_at, c.created_at) as need_from,
             least(d.end_at, coalesce(c.disconnected_at, 'infinity'),
                   case when d.end_at > now() then coalesce(v.until, d.start_at) else 'infinity' end) as need_to,
             v.covered
      from conns c cross join days d left join cover v on v.connection_id = c.id
      where d.start_at < now() and d.end_at > c.created_at
        and (c.disconnected_at is null or d.start_at < c.disconnected_at)
    )
    select id, channel::text as channel, crafter_id, shop_name, day::text as day,
           not (need_to > need_from and coalesce(covered @> tstzrange(need_from, need_to), false)) as missing
    from asked
    order by id, day`)) as unknown as Array<{
    id: string;
    channel: Channel;
    crafter_id: string;
    shop_name: string | null;
    day: string;
    missing: boolean;
  }>;
  const connections = new Set<string>();
  const byConnection = new Map<string, MissingPulls>();
  for (const r of found) {
    connections.add(r.id);
    if (!r.missing) continue;
    let entry = byConnection.get(r.id);
    if (!entry) {
      entry = {
        connectionId: r.id,
        channel: r.channel,
        crafterId: r.crafter_id,
        shopName: r.shop_name,
        days: [],
      };
      byConnection.set(r.id, entry);
    }
    entry.days.push(r.day);
  }
  const missing = [...byConnection.values()];
  return { complete: missing.length === 0, connections: connections.size, missing };
}

/** `GET /v1/sales/summary`. */
export async function salesSummary(ctx: ServiceContext, q: SalesQuery): Promise<SalesSummary> {
  checkSalesRange(q);
  await checkRegion(ctx.db, q.region);
  const scope = scopeOf(ctx.principal);
  const [rows, [totals], completeness] = await Promise.all([
    salesFigures(ctx.db, scope, q),
    salesFigures(ctx.db, scope, { ...q, groupBy: [] }),
    salesCompleteness(ctx.db, scope, q),
  ]);
  return {
    rows,
    totals: totals ?? { grossIdr: 0, netIdr: 0, units: 0, orders: 0 },
    completeness,
  };
}

/** The CSV columns of an export with these groups, in order. */
export function salesCsvColumns(groupBy: readonly SalesGroup[]): string[] {
  const columns: string[] = [];
  for (const g of SALES_GROUPS) {
    if (!groupBy.includes(g)) continue;
    if (g === 'crafter') columns.push('crafter_id', 'crafter_name');
    else if (g === 'product') columns.push('product_id', 'product_title');
    else if (g === 'kecamatan') columns.push('kecamatan_code', 'kecamatan_name');
    else if (g === 'kelurahan') columns.push('kelurahan_code', 'kelurahan_name');
    else columns.push(g);
  }
  return [...columns, 'gross_idr', 'net_idr', 'units', 'orders'];
}

export interface SalesExport {
  columns: string[];
  completeness: Completeness;
  /** The rows as CSV cells (formula-guarded), read through a cursor. */
  rows: AsyncIterable<string[]>;
}

/**
 * `GET /v1/sales/export.csv`: checks everything and computes completeness first (a bad request
 * fails before a byte is sent), then streams the rows through a cursor.
 */
export async function salesExport(
  ctx: ServiceContext & { db: Database },
  q: SalesQuery,
): Promise<SalesExport> {
  checkSalesRange(q);
  await checkRegion(ctx.db, q.region);
  const scope = scopeOf(ctx.principal);
  const columns = salesCsvColumns(q.groupBy);
  const completeness = await salesCompleteness(ctx.db, scope, q);
  const query = dialect.sqlToQuery(salesFiguresSql(scope, q));
  // drizzle keeps the postgres.js client beside the database; a cursor needs the client itself.
  const client = (ctx.db as unknown as { $client: Sql }).$client;
  async function* rows(): AsyncGenerator<string[]> {
    const cursor = client.unsafe(query.sql, query.params as never[]).cursor(500);
    for await (const batch of cursor) {
      for (const r of batch as unknown as FigureRow[]) {
        yield columns.map((c) => {
          const value = r[c];
          return value === null || value === undefined ? '' : guardSpreadsheetCell(String(value));
        });
      }
    }
  }
  return { columns, completeness, rows: rows() };
}

export interface UnmatchedLine {
  id: string;
  orderId: string;
  externalOrderId: string;
  connectionId: string;
  channel: Channel;
  crafterId: string;
  sellerSku: string;
  title: string | null;
  quantity: number;
  unitPriceIdr: number;
  saleDay: string;
  status: string;
  createdAt: Date;
}

/** Lines whose seller SKU matched none of their crafter's variants, in the caller's scope. */
export async function listUnmatchedLines(
  ctx: ServiceContext,
  q: { crafterId?: string | undefined; limit: number; after?: string | undefined },
): Promise<UnmatchedLine[]> {
  const scope = scopeOf(ctx.principal);
  const found = (await ctx.db.execute(sql`
    select l.id, l.order_id, o.external_order_id, l.connection_id, l.channel::text as channel, l.crafter_id,
           l.seller_sku, l.title, l.quantity, l.unit_price_idr::float8 as unit_price_idr, l.sale_day::text as sale_day,
           o.status::text as status, l.created_at
    from order_lines l
      join orders o on o.id = l.order_id
      join crafters on crafters.id = l.crafter_id
    where l.variant_id is null and ${crafterScopeCondition(scope)}
      and ${q.crafterId === undefined ? sql`true` : sql`l.crafter_id = ${q.crafterId}`}
      and ${q.after === undefined ? sql`true` : sql`l.id > ${q.after}`}
    order by l.id
    limit ${q.limit}`)) as unknown as Array<Record<string, unknown>>;
  return found.map((r) => ({
    id: r.id as string,
    orderId: r.order_id as string,
    externalOrderId: r.external_order_id as string,
    connectionId: r.connection_id as string,
    channel: r.channel as Channel,
    crafterId: r.crafter_id as string,
    sellerSku: r.seller_sku as string,
    title: (r.title as string | null) ?? null,
    quantity: Number(r.quantity),
    unitPriceIdr: Number(r.unit_price_idr),
    saleDay: r.sale_day as string,
    status: r.status as string,
    createdAt: new Date(r.created_at as string),
  }));
}
