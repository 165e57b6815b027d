/**
 * Control hooks of the partner-brand sandbox: partners (key + secret), outlets / programmes, sales
 * (seeded or scripted), state. Partner keys are issued directly, so there is no authorization step.
 */
import { z } from 'zod';
import { LATEST_TIME_S } from '../core/clock.js';
import {
  ControlInputError,
  type PlatformControl,
  parseControlInput,
  type SandboxContext,
} from '../core/contract.js';
import { createRandom, seedFrom } from '../core/random.js';
import { salesTotals } from '../core/sales-totals.js';
import { itemView, SKU_PATTERN } from './routes/assortment.js';
import { lineView } from './routes/sales-reports.js';
import type { AssortmentItem, Outlet, Partner, PartnerState, PartnerStore, SalesLine } from './store.js';

const parse = parseControlInput;

const createPartnerInput = z.object({
  name: z.string().min(1).optional(),
  key: z
    .string()
    .regex(/^[A-Za-z0-9_-]{8,64}$/)
    .optional(),
  secret: z.string().min(16).optional(),
});

const createOutletInput = z.object({
  partner_id: z.string(),
  code: z
    .string()
    .regex(/^[A-Za-z0-9._-]{1,64}$/)
    .optional(),
  name: z.string().min(1).optional(),
  kind: z.enum(['outlet', 'programme']).optional(),
});

/** Unix seconds or RFC 3339, within the times the reports can print. */
const soldAtInput = z.union([z.number().int().min(0).max(LATEST_TIME_S), z.iso.datetime({ offset: true })]);

const scriptedSales = z.object({
  partner_id: z.string(),
  sales: z
    .array(
      z.object({
        sku: z.string().regex(SKU_PATTERN),
        quantity: z.number().int().min(1).max(10_000),
        /** Unix seconds or RFC 3339; defaults to now on the sandbox clock. */
        sold_at: soldAtInput.optional(),
        outlet: z.string().optional(),
        unit_price_idr: z.number().int().min(0).optional(),
      }),
    )
    .min(1),
});

const randomSales = z.object({
  partner_id: z.string(),
  seed: z.union([z.number().int(), z.string()]),
  count: z.number().int().min(1).max(10_000),
  from: soldAtInput.optional(),
  to: soldAtInput.optional(),
});

const totalsQuery = z.object({
  shopId: z.string().optional(),
  from: z.iso.date().optional(),
  to: z.iso.date().optional(),
});

const configureInput = z.object({
  rate_limit_per_second: z.number().int().min(1).max(100_000).optional(),
  timestamp_tolerance_seconds: z.number().int().min(1).max(86_400).optional(),
  max_report_days: z.number().int().min(1).max(366).optional(),
});

function toMs(value: number | string): number {
  return typeof value === 'number' ? value * 1000 : Date.parse(value);
}

export function createPartnerBrandControl(ctx: SandboxContext, store: PartnerStore): PlatformControl {
  const state = () => store.state;

  const partnerById = (id: string): Partner => {
    const partner = state().partners[id];
    if (!partner) throw new ControlInputError(`unknown partner ${id}`);
    return partner;
  };

  const outletFor = (partner: Partner, code: string | undefined): string => {
    const outlets = store.outletsOf(partner.id);
    if (code === undefined) return outlets[0]?.code ?? 'default';
    if (!outlets.some((outlet) => outlet.code === code))
      throw new ControlInputError(`partner ${partner.id} has no outlet ${code}`);
    return code;
  };

  /** Records a sale and takes it from the consigned quantity (never below zero). */
  const recordSale = (
    partner: Partner,
    item: AssortmentItem,
    quantity: number,
    soldAt: number,
    outlet: string,
    unitPrice: number,
  ): SalesLine => {
    const line: SalesLine = {
      reportLineId: store.nextLineId(),
      partnerId: partner.id,
      sku: item.sku,
      quantity,
      unitPriceIdr: unitPrice,
      soldAt: Math.floor(soldAt / 1000) * 1000,
      outlet,
    };
    state().sales.push(line);
    item.quantity = Math.max(0, item.quantity - quantity);
    item.updatedAt = ctx.clock.nowMs();
    return line;
  };

  const unsupported = (what: string) => () => {
    throw new ControlInputError(`partner-brand has no ${what}`);
  };

  return {
    createApp(input) {
      const body = parse(createPartnerInput, input);
      const id = `pb_${ctx.random.token(10)}`;
      const key = body.key ?? `pk_${ctx.random.token(24)}`;
      if (store.partnerByKey(key)) throw new ControlInputError(`key ${key} is already issued`);
      const partner: Partner = {
        id,
        name: body.name ?? 'Sandbox partner',
        key,
        secret: body.secret ?? `ps_${ctx.random.token(40)}`,
      };
      state().partners[id] = partner;
      return { partner_id: partner.id, name: partner.name, key: partner.key, secret: partner.secret };
    },

    createShop(input) {
      const body = parse(createOutletInput, input);
      const partner = partnerById(body.partner_id);
      const code = body.code ?? `OUT-${ctx.random.token(6).toUpperCase()}`;
      if (store.outletsOf(partner.id).some((outlet) => outlet.code === code)) {
        throw new ControlInputError(`outlet ${code} already exists`);
      }
      const outlet: Outlet = {
        id: `ol_${ctx.random.token(10)}`,
        partnerId: partner.id,
        code,
        name: body.name ?? code,
        kind: body.kind ?? 'outlet',
      };
      state().outlets[outlet.id] = outlet;
      return {
        outlet_id: outlet.id,
        partner_id: partner.id,
        code: outlet.code,
        name: outlet.name,
        kind: outlet.kind,
      };
    },

    authorizeShop: unsupported('authorization step (keys are issued by createApp)'),

    generateOrders(input) {
      const record = (input ?? {}) as Record<string, unknown>;
      if ('sales' in record) {
        const body = parse(scriptedSales, input);
        const partner = partnerById(body.partner_id);
        const lines = body.sales.map((sale) => {
          const item = state().items[store.itemKey(partner.id, sale.sku)];
          if (!item) throw new ControlInputError(`partner ${partner.id} has no item ${sale.sku}`);
          const soldAt = sale.sold_at === undefined ? ctx.clock.nowMs() : toMs(sale.sold_at);
          return recordSale(
            partner,
            item,
            sale.quantity,
            soldAt,
            outletFor(partner, sale.outlet),
            sale.unit_price_idr ?? item.priceIdr,
          );
        });
        return { lines: lines.map(lineView) };
      }
      const body = parse(randomSales, input);
      const partner = partnerById(body.partner_id);
      const items = store.itemsOf(partner.id);
      if (items.length === 0)
        throw new ControlInputError(`partner ${partner.id} has no assortment items to sell`);
      const outlets = store.outletsOf(partner.id).map((outlet) => outlet.code);
      const to = body.to === undefined ? ctx.clock.nowMs() : toMs(body.to);
      const from = body.from === undefined ? to - 7 * 86_400_000 : toMs(body.from);
      if (!(from < to)) throw new ControlInputError('from must be before to');
      const rand = createRandom(seedFrom(body.seed)).next;
      const lines: SalesLine[] = [];
      for (let index = 0; index < body.count; index += 1) {
        const item = items[Math.floor(rand() * items.length)] as AssortmentItem;
        const quantity = 1 + Math.floor(rand() * 3);
        const soldAt = from + Math.floor(rand() * (to - from));
        const outlet =
          outlets.length > 0 ? (outlets[Math.floor(rand() * outlets.length)] as string) : 'default';
        lines.push(recordSale(partner, item, quantity, soldAt, outlet, item.priceIdr));
      }
      return { lines: lines.map(lineView) };
    },

    updateOrder: unsupported('order status changes (sales lines are final)'),

    salesTotals(input) {
      const query = parse(totalsQuery, input);
      // Every report line is one completed sale (one order), counted on the Jakarta day it was sold.
      const lines = state().sales.filter(
        (line) => query.shopId === undefined || line.partnerId === query.shopId,
      );
      return salesTotals(
        lines.map((line) => ({
          shopId: line.partnerId,
          createdAtMs: line.soldAt,
          counts: true,
          takenBack: false,
          lines: [{ quantity: line.quantity, unitPriceIdr: line.unitPriceIdr, takenBackQuantity: 0 }],
        })),
        {
          ...(query.from === undefined ? {} : { from: query.from }),
          ...(query.to === undefined ? {} : { to: query.to }),
        },
      );
    },

    placeRandomOrder(partnerId, random) {
      const partner = partnerById(partnerId);
      const items = store.itemsOf(partner.id).filter((item) => item.quantity > 0);
      if (items.length === 0) return null;
      const item = random.pick(items);
      const outlets = store.outletsOf(partner.id).map((outlet) => outlet.code);
      const line = recordSale(
        partner,
        item,
        random.int(1, Math.min(2, item.quantity)),
        ctx.clock.nowMs(),
        outlets.length > 0 ? random.pick(outlets) : 'default',
        item.priceIdr,
      );
      return lineView(line);
    },

    shopState(partnerId) {
      const partner = partnerById(partnerId);
      return {
        partner_id: partner.id,
        name: partner.name,
        outlets: store
          .outletsOf(partner.id)
          .map((outlet) => ({ code: outlet.code, name: outlet.name, kind: outlet.kind })),
        items: store.itemsOf(partner.id).map(itemView),
        sales_line_count: state().sales.filter((line) => line.partnerId === partner.id).length,
      };
    },

    configure(input) {
      const body = parse(configureInput, input);
      const settings = state().settings;
      if (body.rate_limit_per_second !== undefined) settings.rateLimitPerSecond = body.rate_limit_per_second;
      if (body.timestamp_tolerance_seconds !== undefined)
        settings.timestampToleranceSeconds = body.timestamp_tolerance_seconds;
      if (body.max_report_days !== undefined) settings.maxReportDays = body.max_report_days;
      return { settings: { ...settings } };
    },

    reset() {
      store.reset();
    },

    snapshot() {
      return store.snapshot();
    },

    restore(snapshot) {
      if (typeof snapshot !== 'object' || snapshot === null || !('partners' in snapshot)) {
        throw new ControlInputError('not a partner-brand snapshot');
      }
      store.restore(snapshot as PartnerState);
    },
  };
}
