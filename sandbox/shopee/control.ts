import { z } from 'zod';
import { LATEST_TIME_S } from '../core/clock.js';
import { ControlInputError, type PlatformControl, parseControlInput } from '../core/contract.js';
import { createRandom, seedFrom } from '../core/random.js';
import { salesTotals, type TruthOrder } from '../core/sales-totals.js';
import { applyConfigPatch, defaultShopeeConfig, shopeeConfigPatchSchema } from './config.js';
import { changeOrderStatus, createOrder, type LineRequest } from './orders.js';
import { issueAuthCode } from './routes/auth.js';
import type { ShopeeRuntime } from './runtime.js';
import { orderStatuses, type ShopeeItem, type ShopeeOrder } from './store.js';
import { totalStock } from './views.js';

/**
 * A Shopee order in the terms of the sales figures: it counts once paid (an order cancelled while
 * UNPAID has no pay time and never counts); CANCELLED and TO_RETURN take all their lines back.
 */
function shopeeTruth(order: ShopeeOrder): TruthOrder {
  return {
    shopId: String(order.shopId),
    createdAtMs: order.createTime * 1000,
    counts: order.status === 'CANCELLED' ? order.payTime !== undefined : order.status !== 'UNPAID',
    takenBack: order.status === 'CANCELLED' || order.status === 'TO_RETURN',
    lines: order.lines.map((l) => ({
      quantity: l.quantity,
      unitPriceIdr: l.discountedPrice,
      takenBackQuantity: 0,
    })),
  };
}

const parse = parseControlInput;

const id = z.coerce.number().int().positive();
/** Epoch seconds (within the times order numbers can be made of), or an ISO-8601 date-time. */
const time = z.union([
  z.number().int().nonnegative().max(LATEST_TIME_S),
  z.iso.datetime({ offset: true }).transform((iso) => Math.floor(Date.parse(iso) / 1000)),
]);
const status = z.enum(orderStatuses);

const createAppInput = z
  .object({
    partnerId: id.optional(),
    partnerKey: z.string().min(8).optional(),
    name: z.string().min(1).optional(),
    pushCallbackUrl: z.url().optional(),
  })
  .strict();
const createShopInput = z.object({ shopId: id.optional(), name: z.string().min(1).optional() }).strict();
const authorizeInput = z.object({ partnerId: id, shopId: id }).strict();
const lineInput = z
  .object({
    sku: z.string().min(1).optional(),
    itemId: id.optional(),
    modelId: z.number().int().nonnegative().optional(),
    quantity: z.number().int().min(1).max(999).default(1),
    price: z.number().int().positive().optional(),
  })
  .strict()
  .refine((l) => l.sku !== undefined || l.itemId !== undefined, { message: 'give sku or itemId' });
const scriptedInput = z
  .object({
    shopId: id,
    orders: z
      .array(
        z
          .object({
            orderSn: z
              .string()
              .regex(/^[0-9A-Z]{6,32}$/)
              .optional(),
            createTime: time.optional(),
            status: status.default('READY_TO_SHIP'),
            lines: z.array(lineInput).min(1).max(50),
            statusChanges: z.array(z.object({ status, at: time }).strict()).default([]),
            buyerUsername: z.string().min(1).optional(),
            messageToSeller: z.string().optional(),
          })
          .strict(),
      )
      .min(1)
      .max(1000),
  })
  .strict();
const randomInput = z
  .object({
    shopId: id,
    count: z.number().int().min(1).max(5000),
    seed: z.union([z.number(), z.string()]).optional(),
    statuses: z.array(status).min(1).optional(),
    from: time.optional(),
    to: time.optional(),
    maxLines: z.number().int().min(1).max(10).default(3),
    maxQuantity: z.number().int().min(1).max(100).default(3),
    /** Send the order-created push for each order (bulk set-ups may turn it off). */
    webhooks: z.boolean().default(true),
  })
  .strict();
const totalsQuery = z
  .object({
    shopId: id.optional(),
    from: z.iso.date().optional(),
    to: z.iso.date().optional(),
  })
  .strict();
const updateOrderInput = z.object({ id: z.string().min(1), status, at: time.optional() }).strict();
const configureInput = shopeeConfigPatchSchema
  .extend({ app: z.object({ partnerId: id, pushCallbackUrl: z.url().nullable() }).strict().optional() })
  .strict();

function resolveLine(rt: ShopeeRuntime, shopId: number, line: z.infer<typeof lineInput>): LineRequest {
  const items = [...rt.store.items.values()].filter(
    (i) => i.shopId === shopId && !i.status.endsWith('DELETE'),
  );
  if (line.sku !== undefined) {
    for (const item of items) {
      const model = item.models.find((m) => m.modelSku === line.sku);
      if (model) return withPrice({ item, modelId: model.modelId, quantity: line.quantity }, line.price);
      if (item.models.length === 0 && item.itemSku === line.sku)
        return withPrice({ item, modelId: 0, quantity: line.quantity }, line.price);
    }
    throw new ControlInputError(`shop ${shopId} has no item or model with SKU ${line.sku}`);
  }
  const item = items.find((i) => i.itemId === line.itemId);
  if (!item) throw new ControlInputError(`shop ${shopId} has no item ${line.itemId}`);
  const modelId = line.modelId ?? item.models[0]?.modelId ?? 0;
  return withPrice({ item, modelId, quantity: line.quantity }, line.price);
}

function withPrice(line: LineRequest, price: number | undefined): LineRequest {
  return price === undefined ? line : { ...line, price };
}

function itemState(item: ShopeeItem) {
  return {
    itemId: item.itemId,
    itemName: item.itemName,
    itemSku: item.itemSku,
    status: item.status,
    categoryId: item.categoryId,
    price: item.models.length === 0 ? item.price : null,
    stock: totalStock(item),
    updateTime: item.updateTime,
    tiers: item.tiers,
    models: item.models.map((m) => ({
      modelId: m.modelId,
      modelSku: m.modelSku,
      tierIndex: m.tierIndex,
      price: m.price,
      stock: m.stock,
    })),
  };
}

export function createShopeeControl(rt: ShopeeRuntime): PlatformControl {
  const { store } = rt;
  const requireShop = (shopId: number) => {
    const shop = store.shops.get(shopId);
    if (!shop) throw new ControlInputError(`unknown shop ${shopId}`);
    return shop;
  };
  return {
    createApp(input) {
      const body = parse(createAppInput, input);
      const partnerId = body.partnerId ?? Number(rt.ctx.random.numericId(7));
      if (store.apps.has(partnerId)) throw new ControlInputError(`partner ${partnerId} already exists`);
      const app = {
        partnerId,
        partnerKey: body.partnerKey ?? `shpk${rt.ctx.random.token(60)}`,
        name: body.name ?? `Sandbox App ${partnerId}`,
        pushCodes: [3],
        ...(body.pushCallbackUrl === undefined ? {} : { pushCallbackUrl: body.pushCallbackUrl }),
      };
      store.apps.set(partnerId, app);
      return app;
    },
    createShop(input) {
      const body = parse(createShopInput, input);
      const shopId = body.shopId ?? Number(rt.ctx.random.numericId(9));
      if (store.shops.has(shopId)) throw new ControlInputError(`shop ${shopId} already exists`);
      const shop = { shopId, name: body.name ?? `Sandbox Shop ${shopId}`, region: 'ID' as const };
      store.shops.set(shopId, shop);
      return shop;
    },
    authorizeShop(input) {
      const body = parse(authorizeInput, input);
      if (!store.apps.has(body.partnerId)) throw new ControlInputError(`unknown partner ${body.partnerId}`);
      requireShop(body.shopId);
      const code = issueAuthCode(rt, body.partnerId, body.shopId);
      return {
        code: code.token,
        shopId: body.shopId,
        partnerId: body.partnerId,
        expiresAt: new Date(code.expiresAt).toISOString(),
      };
    },
    generateOrders(input) {
      const isScripted = typeof input === 'object' && input !== null && 'orders' in input;
      const created = [];
      if (isScripted) {
        const body = parse(scriptedInput, input);
        requireShop(body.shopId);
        // Resolve every line first so a bad SKU creates nothing.
        const plans = body.orders.map((o) => ({
          o,
          lines: o.lines.map((l) => resolveLine(rt, body.shopId, l)),
        }));
        for (const { o, lines } of plans) {
          created.push(
            createOrder(
              rt,
              {
                shopId: body.shopId,
                createTime: o.createTime ?? rt.nowSeconds(),
                status: o.status,
                lines,
                scheduled: o.statusChanges,
                ...(o.orderSn === undefined ? {} : { orderSn: o.orderSn }),
                ...(o.buyerUsername === undefined ? {} : { buyerUsername: o.buyerUsername }),
                ...(o.messageToSeller === undefined ? {} : { messageToSeller: o.messageToSeller }),
              },
              rt.ctx.random,
            ),
          );
        }
      } else {
        const body = parse(randomInput, input);
        requireShop(body.shopId);
        const random = body.seed === undefined ? rt.ctx.random : createRandom(seedFrom(body.seed));
        const items = [...store.items.values()].filter(
          (i) => i.shopId === body.shopId && store.current(i, rt.nowMs()).status === 'NORMAL',
        );
        if (items.length === 0)
          throw new ControlInputError(
            `shop ${body.shopId} has no NORMAL items to order; add items first or script the orders`,
          );
        const to = body.to ?? rt.nowSeconds();
        const from = body.from ?? to - 86_400;
        if (from > to) throw new ControlInputError('from must not be after to');
        const statuses = body.statuses ?? ['UNPAID', 'READY_TO_SHIP', 'PROCESSED', 'SHIPPED', 'COMPLETED'];
        for (let n = 0; n < body.count; n += 1) {
          const lineCount = random.int(1, Math.min(body.maxLines, items.length));
          const chosen = new Set<ShopeeItem>();
          while (chosen.size < lineCount) chosen.add(random.pick(items));
          const lines = [...chosen].map((item) => ({
            item,
            modelId: item.models.length > 0 ? random.pick(item.models).modelId : 0,
            quantity: random.int(1, body.maxQuantity),
          }));
          created.push(
            createOrder(
              rt,
              {
                shopId: body.shopId,
                createTime: random.int(from, to),
                status: random.pick(statuses),
                lines,
                silent: !body.webhooks,
              },
              random,
            ),
          );
        }
      }
      return {
        orders: created.map((o) => ({
          orderSn: o.orderSn,
          status: o.status,
          createTime: o.createTime,
          totalAmount: o.totalAmount,
        })),
      };
    },
    updateOrder(input) {
      const body = parse(updateOrderInput, input);
      const order = store.orders.get(body.id);
      if (!order) throw new ControlInputError(`unknown order ${body.id}`);
      changeOrderStatus(rt, order, body.status, body.at ?? rt.nowSeconds());
      return { orderSn: order.orderSn, status: order.status, updateTime: order.updateTime };
    },
    shopState(shopIdText) {
      const shop = requireShop(parse(id, shopIdText));
      const now = rt.nowMs();
      return {
        shop,
        partners: store.partnersOf(shop.shopId).map((a) => a.partnerId),
        items: [...store.items.values()]
          .filter((i) => i.shopId === shop.shopId)
          .map((i) => itemState(store.current(i, now))),
        orders: [...store.orders.values()]
          .filter((o) => o.shopId === shop.shopId)
          .map((o) => ({
            orderSn: o.orderSn,
            status: o.status,
            createTime: o.createTime,
            updateTime: o.updateTime,
            totalAmount: o.totalAmount,
          })),
      };
    },
    salesTotals(input) {
      const query = parse(totalsQuery, input);
      const orders = [...store.orders.values()].filter(
        (o) => query.shopId === undefined || o.shopId === query.shopId,
      );
      return salesTotals(orders.map(shopeeTruth), {
        ...(query.from === undefined ? {} : { from: query.from }),
        ...(query.to === undefined ? {} : { to: query.to }),
      });
    },
    placeRandomOrder(shopIdText, random) {
      const shopId = parse(id, shopIdText);
      requireShop(shopId);
      const now = rt.nowMs();
      const sellable = [...store.items.values()]
        .filter((i) => i.shopId === shopId && store.current(i, now).status === 'NORMAL')
        .flatMap((item) =>
          item.models.length > 0
            ? item.models
                .filter((m) => m.stock > 0)
                .map((m) => ({ item, modelId: m.modelId, stock: m.stock }))
            : item.stock > 0
              ? [{ item, modelId: 0, stock: item.stock }]
              : [],
        );
      if (sellable.length === 0) return null;
      const chosen = random.pick(sellable);
      const order = createOrder(
        rt,
        {
          shopId,
          createTime: rt.nowSeconds(),
          status: 'READY_TO_SHIP',
          lines: [
            {
              item: chosen.item,
              modelId: chosen.modelId,
              quantity: random.int(1, Math.min(2, chosen.stock)),
            },
          ],
        },
        random,
      );
      return { orderSn: order.orderSn, status: order.status, totalAmount: order.totalAmount };
    },
    configure(input) {
      const body = parse(configureInput, input);
      const { app, ...patch } = body;
      if (app) {
        const target = store.apps.get(app.partnerId);
        if (!target) throw new ControlInputError(`unknown partner ${app.partnerId}`);
        if (app.pushCallbackUrl === null) delete target.pushCallbackUrl;
        else target.pushCallbackUrl = app.pushCallbackUrl;
      }
      rt.config = applyConfigPatch(rt.config, patch);
      return { config: rt.config };
    },
    reset() {
      store.clear();
      rt.config = defaultShopeeConfig();
    },
    snapshot: () => ({ config: rt.config, store: store.snapshot() }),
    restore(state) {
      const s = (state ?? {}) as { config?: unknown; store?: unknown };
      const config = shopeeConfigPatchSchema.safeParse(s.config ?? {});
      rt.config = applyConfigPatch(defaultShopeeConfig(), config.success ? config.data : {});
      store.restore(s.store);
    },
  };
}
