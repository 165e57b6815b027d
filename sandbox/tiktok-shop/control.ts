/**
 * Control hooks of the TikTok Shop sandbox (see PlatformControl): apps, shops (optionally migrated
 * Tokopedia shops), authorization codes, order generation and status changes, settings, state.
 */
import { z } from 'zod';
import { ControlInputError, type PlatformControl, parseControlInput } from '../core/contract.js';
import { createRandom, seedFrom } from '../core/random.js';
import { salesTotals, type TruthOrder } from '../core/sales-totals.js';
import { mapSku } from './mappers.js';
import type { TtsRuntime } from './runtime.js';
import {
  type CommercePlatform,
  ORDER_STATUSES,
  type OrderStatus,
  skuStock,
  type TtsOrder,
  type TtsOrderLine,
  type TtsProduct,
  type TtsShop,
  type TtsSku,
  type TtsState,
} from './store.js';

const parse = parseControlInput;

const createAppInput = z.object({
  app_key: z
    .string()
    .regex(/^[a-z0-9]{6,32}$/)
    .optional(),
  app_secret: z.string().min(8).optional(),
  name: z.string().optional(),
  webhook_url: z.url().optional(),
});

const createShopInput = z.object({
  shop_id: z
    .string()
    .regex(/^\d{6,20}$/)
    .optional(),
  name: z.string().min(1).optional(),
  region: z.string().length(2).optional(),
  /** A migrated Tokopedia shop (listings carry TOKOPEDIA, orders commerce_platform TOKOPEDIA). */
  tokopedia: z.boolean().optional(),
  cipher: z.string().min(8).optional(),
  /** Id of the shop's default sales warehouse (random otherwise); a return warehouse is seeded beside it. */
  warehouse_id: z
    .string()
    .regex(/^\d{6,20}$/)
    .optional(),
});

const authorizeInput = z.object({
  app_key: z.string(),
  shop_id: z.string().optional(),
  shop_ids: z.array(z.string()).min(1).optional(),
});

const orderStatus = z.enum(ORDER_STATUSES);

const scriptedOrders = z.object({
  shop_id: z.string(),
  orders: z
    .array(
      z.object({
        id: z
          .string()
          .regex(/^\d{6,20}$/)
          .optional(),
        lines: z
          .array(
            z.object({
              seller_sku: z.string().optional(),
              sku_id: z.string().optional(),
              quantity: z.number().int().min(1).max(100),
              /** Per-unit sale price in rupiah; defaults to the SKU's current price. */
              unit_price: z.number().int().min(0).optional(),
            }),
          )
          .min(1),
        create_time: z.number().int().optional(),
        status: orderStatus.optional(),
        commerce_platform: z.enum(['TIKTOK_SHOP', 'TOKOPEDIA']).optional(),
        shipping_fee: z.number().int().min(0).optional(),
      }),
    )
    .min(1),
});

const randomOrders = z.object({
  shop_id: z.string(),
  seed: z.union([z.number().int(), z.string()]),
  count: z.number().int().min(1).max(5_000),
  /** Unix seconds range the create times are spread over; defaults to the last 24 h of the sandbox clock. */
  from: z.number().int().optional(),
  to: z.number().int().optional(),
  statuses: z.array(orderStatus).min(1).optional(),
  max_units: z.number().int().min(1).max(20).optional(),
  /** Share (0–1) of orders with two or more units, not otherwise cancelled, that get one unit cancelled on its own. */
  partial_cancel_rate: z.number().min(0).max(1).optional(),
  /** Send the ORDER_STATUS_CHANGE webhook for each order (bulk set-ups may turn it off). */
  webhooks: z.boolean().optional(),
});

const updateOrderInput = z
  .object({
    id: z.string(),
    status: orderStatus.optional(),
    /** Line items (units) to cancel on their own; cancelling every line cancels the order. */
    cancel_line_ids: z.array(z.string()).min(1).optional(),
    update_time: z.number().int().optional(),
  })
  .refine((v) => v.status !== undefined || v.cancel_line_ids !== undefined, {
    message: 'give status or cancel_line_ids',
  });

const totalsQuery = z.object({
  shopId: z.string().optional(),
  from: z.iso.date().optional(),
  to: z.iso.date().optional(),
});

/**
 * A TikTok order in the terms of the sales figures: UNPAID and ON_HOLD orders count in no figure, a
 * cancelled one only if it was paid; every unit is its own line, and a unit cancelled on its own is
 * taken back.
 */
function tiktokTruth(order: TtsOrder): TruthOrder {
  return {
    shopId: order.shopId,
    createdAtMs: order.createTime * 1000,
    counts:
      order.status === 'CANCELLED'
        ? order.paidTime !== undefined
        : order.status !== 'UNPAID' && order.status !== 'ON_HOLD',
    takenBack: order.status === 'CANCELLED',
    lines: order.lines.map((line) => ({
      quantity: 1,
      unitPriceIdr: line.salePrice,
      takenBackQuantity: line.cancelled ? 1 : 0,
    })),
  };
}

const configureInput = z.object({
  rate_limit_per_second: z.number().int().min(1).max(100_000).optional(),
  audit_delay_seconds: z.number().int().min(0).optional(),
  audit_outcome: z.enum(['ACTIVATE', 'FAILED']).optional(),
  rotate_refresh_token: z.boolean().optional(),
  max_skus_per_product: z.number().int().min(1).max(300).optional(),
  app_key: z.string().optional(),
  webhook_url: z.union([z.url(), z.literal('')]).optional(),
  /** Resolve one product's audit now. */
  audit: z
    .object({
      product_id: z.string(),
      outcome: z.enum(['ACTIVATE', 'FAILED']),
      reasons: z.array(z.string()).optional(),
    })
    .optional(),
});

const BUYERS = ['Siti Rahayu', 'Budi Santoso', 'Dewi Lestari', 'Agus Wijaya', 'Rina Marlina', 'Andi Pratama'];
const CITIES = ['Tangerang Selatan', 'Jakarta Selatan', 'Bandung', 'Surabaya', 'Depok', 'Bekasi'];
const PAID_STATUSES = new Set<OrderStatus>(ORDER_STATUSES.filter((status) => status !== 'UNPAID'));

export function createTiktokShopControl(rt: TtsRuntime): PlatformControl {
  const state = () => rt.state;

  const shopById = (shopId: string): TtsShop => {
    const shop = state().shops[shopId] ?? rt.store.shopByCipher(shopId);
    if (!shop) throw new ControlInputError(`unknown shop ${shopId}`);
    return shop;
  };

  const uniqueId = (make: () => string, taken: Record<string, unknown>): string => {
    for (;;) {
      const id = make();
      if (!(id in taken)) return id;
    }
  };

  const liveSkus = (shop: TtsShop): Array<{ product: TtsProduct; sku: TtsSku }> =>
    rt.store
      .productsOfShop(shop.id)
      .filter((product) => product.status === 'ACTIVATE')
      .flatMap((product) => product.skus.map((sku) => ({ product, sku })));

  const findSku = (shop: TtsShop, ref: { seller_sku?: string | undefined; sku_id?: string | undefined }) => {
    const match = rt.store
      .productsOfShop(shop.id)
      .filter((product) => product.status !== 'DELETED')
      .flatMap((product) => product.skus.map((sku) => ({ product, sku })))
      .find(({ sku }) =>
        ref.sku_id !== undefined ? sku.id === ref.sku_id : sku.sellerSku === ref.seller_sku,
      );
    if (!match)
      throw new ControlInputError(
        `no SKU ${ref.sku_id ?? ref.seller_sku ?? '(none given)'} in shop ${shop.id}`,
      );
    return match;
  };

  /** One line per unit; stock is taken from the SKU (never below zero), as a sale on the platform would. */
  const unitLines = (
    product: TtsProduct,
    sku: TtsSku,
    quantity: number,
    unitPrice: number,
    nextId: () => string,
  ) => {
    const lines: TtsOrderLine[] = [];
    for (let unit = 0; unit < quantity; unit += 1) {
      lines.push({
        id: nextId(),
        productId: product.id,
        skuId: sku.id,
        sellerSku: sku.sellerSku,
        productName: product.title,
        skuName: sku.salesAttributes.map((attr) => attr.valueName).join(', ') || 'Default',
        skuImageUri:
          sku.salesAttributes.find((attr) => attr.skuImgUri)?.skuImgUri ?? product.mainImageUris[0] ?? '',
        originalPrice: sku.price,
        salePrice: unitPrice,
        sellerDiscount: Math.max(0, sku.price - unitPrice),
        platformDiscount: 0,
      });
    }
    let remaining = quantity;
    for (const row of sku.inventory) {
      const take = Math.min(row.quantity, remaining);
      row.quantity -= take;
      remaining -= take;
    }
    return lines;
  };

  /** A cancelled order gives its units back to the SKUs that still exist (units cancelled before excepted). */
  const restock = (order: TtsOrder): void => restockUnits(order.lines.filter((line) => !line.cancelled));
  const restockUnits = (lines: readonly TtsOrderLine[]): void => {
    for (const line of lines) {
      const product = state().products[line.productId];
      const row = product?.skus.find((candidate) => candidate.id === line.skuId)?.inventory[0];
      if (row) row.quantity += 1;
    }
  };

  const storeOrder = (order: TtsOrder, webhook = true): TtsOrder => {
    state().orders[order.id] = order;
    // An order placed already cancelled never held its stock.
    if (order.status === 'CANCELLED') restock(order);
    if (webhook) rt.emitOrderStatusChange(order);
    return order;
  };

  const orderSummary = (order: TtsOrder) => ({
    id: order.id,
    status: order.status,
    create_time: order.createTime,
    commerce_platform: order.commercePlatform,
    line_count: order.lines.length,
  });

  /**
   * Where an order was placed: only on a platform every one of its products is listed on (a
   * product without `listing_platforms` is TikTok-only, even in a Tokopedia shop). Default:
   * Tokopedia for a Tokopedia shop whose products are listed there, else TikTok Shop.
   */
  const orderPlatform = (
    shop: TtsShop,
    products: TtsProduct[],
    requested: CommercePlatform | undefined,
  ): CommercePlatform => {
    const possible = (['TOKOPEDIA', 'TIKTOK_SHOP'] as const).filter(
      (platform) =>
        (platform === 'TIKTOK_SHOP' || shop.tokopedia) &&
        products.every((product) => product.listingPlatforms.includes(platform)),
    );
    const chosen = requested ?? possible[0];
    if (!chosen || !possible.includes(chosen)) {
      throw new ControlInputError(
        `an order on ${requested ?? 'one platform'} needs products listed there (listing_platforms)`,
      );
    }
    return chosen;
  };

  return {
    createApp(input) {
      const body = parse(createAppInput, input);
      const appKey = body.app_key ?? rt.ctx.random.token(12);
      if (state().apps[appKey]) throw new ControlInputError(`app ${appKey} already exists`);
      const app = {
        appKey,
        appSecret: body.app_secret ?? rt.ctx.random.token(40),
        name: body.name ?? 'Sandbox app',
        serviceId: rt.ctx.random.numericId(19),
        ...(body.webhook_url ? { webhookUrl: body.webhook_url } : {}),
      };
      state().apps[appKey] = app;
      return {
        app_key: app.appKey,
        app_secret: app.appSecret,
        service_id: app.serviceId,
        name: app.name,
        webhook_url: app.webhookUrl ?? null,
      };
    },

    createShop(input) {
      const body = parse(createShopInput, input);
      const id = body.shop_id ?? uniqueId(() => rt.ctx.random.numericId(19), state().shops);
      if (state().shops[id]) throw new ControlInputError(`shop ${id} already exists`);
      const salesWarehouseId = body.warehouse_id ?? rt.ctx.random.numericId(19);
      const shop: TtsShop = {
        id,
        name: body.name ?? `Toko Sandbox ${id.slice(-4)}`,
        region: body.region ?? 'ID',
        cipher: body.cipher ?? `ROW_${rt.ctx.random.token(27)}`,
        code: `IDLC${rt.ctx.random.token(6).toUpperCase()}`,
        sellerType: 'LOCAL',
        tokopedia: body.tokopedia ?? true,
        defaultWarehouseId: salesWarehouseId,
        warehouses: [
          {
            id: salesWarehouseId,
            name: 'Gudang Utama',
            type: 'SALES_WAREHOUSE',
            effectStatus: 'ENABLED',
            isDefault: true,
            city: 'Tangerang Selatan',
          },
          {
            id: rt.ctx.random.numericId(19),
            name: 'Gudang Retur',
            type: 'RETURN_WAREHOUSE',
            effectStatus: 'ENABLED',
            isDefault: false,
            city: 'Tangerang Selatan',
          },
        ],
      };
      state().shops[id] = shop;
      return {
        shop_id: shop.id,
        cipher: shop.cipher,
        name: shop.name,
        region: shop.region,
        code: shop.code,
        tokopedia: shop.tokopedia,
        warehouse_id: shop.defaultWarehouseId,
      };
    },

    authorizeShop(input) {
      const body = parse(authorizeInput, input);
      const app = state().apps[body.app_key];
      if (!app) throw new ControlInputError(`unknown app ${body.app_key}`);
      const shopIds = body.shop_ids ?? (body.shop_id ? [body.shop_id] : []);
      if (shopIds.length === 0) throw new ControlInputError('give shop_id or shop_ids');
      const shops = shopIds.map(shopById);
      const code = `ROW_${rt.ctx.random.token(32)}`;
      const expiresAtMs = rt.ctx.clock.nowMs() + state().settings.authCodeTtlSeconds * 1000;
      state().authCodes[code] = {
        code,
        appKey: app.appKey,
        shopIds: shops.map((shop) => shop.id),
        openId: rt.ctx.random.token(24),
        expiresAtMs,
        used: false,
      };
      return {
        auth_code: code,
        expires_at: Math.floor(expiresAtMs / 1000),
        shops: shops.map((shop) => ({ shop_id: shop.id, cipher: shop.cipher })),
      };
    },

    generateOrders(input) {
      const record = (input ?? {}) as Record<string, unknown>;
      const now = rt.nowSeconds();
      if ('orders' in record) {
        const body = parse(scriptedOrders, input);
        const shop = shopById(body.shop_id);
        const created = body.orders.map((spec) => {
          const id = spec.id ?? uniqueId(() => rt.ctx.random.numericId(18), state().orders);
          if (state().orders[id]) throw new ControlInputError(`order ${id} already exists`);
          const resolved = spec.lines.map((line) => ({ line, ...findSku(shop, line) }));
          const commercePlatform = orderPlatform(
            shop,
            resolved.map(({ product }) => product),
            spec.commerce_platform,
          );
          const lines = resolved.flatMap(({ line, product, sku }) =>
            unitLines(product, sku, line.quantity, line.unit_price ?? sku.price, () =>
              rt.ctx.random.numericId(18),
            ),
          );
          const createTime = spec.create_time ?? now;
          const status = spec.status ?? 'AWAITING_SHIPMENT';
          return storeOrder({
            id,
            shopId: shop.id,
            status,
            commercePlatform,
            buyerUserId: rt.ctx.random.numericId(19),
            buyerMessage: '',
            createTime,
            updateTime: Math.max(createTime, now),
            ...(PAID_STATUSES.has(status) ? { paidTime: createTime } : {}),
            shippingFee: spec.shipping_fee ?? 10_000,
            lines,
            recipient: {
              name: 'Siti Rahayu',
              phone: '(+62)812****21',
              address: 'Jl. Pahlawan Seribu No. 1',
              postalCode: '15322',
              city: 'Tangerang Selatan',
            },
          });
        });
        return { orders: created.map(orderSummary) };
      }
      const body = parse(randomOrders, input);
      const shop = shopById(body.shop_id);
      const live = liveSkus(shop);
      if (live.length === 0) throw new ControlInputError(`shop ${shop.id} has no ACTIVATE products to sell`);
      const platforms = (['TIKTOK_SHOP', 'TOKOPEDIA'] as const).filter(
        (platform) =>
          (platform === 'TIKTOK_SHOP' || shop.tokopedia) &&
          live.some(({ product }) => product.listingPlatforms.includes(platform)),
      );
      const rand = createRandom(seedFrom(body.seed)).next;
      const int = (min: number, max: number) => min + Math.floor(rand() * (max - min + 1));
      const pick = <T>(items: readonly T[]): T => items[Math.floor(rand() * items.length)] as T;
      const digits = (length: number) =>
        String(int(1, 9)) + Array.from({ length: length - 1 }, () => int(0, 9)).join('');
      const to = body.to ?? now;
      const from = body.from ?? to - 24 * 3600;
      if (from > to) throw new ControlInputError('from must not be after to');
      const statuses = body.statuses ?? ['AWAITING_SHIPMENT'];
      const created: TtsOrder[] = [];
      for (let index = 0; index < body.count; index += 1) {
        const id = uniqueId(() => digits(18), state().orders);
        const lineCount = int(1, 3);
        // An order is placed on one platform, from the products listed there.
        const commercePlatform = pick(platforms);
        const candidates = live.filter(({ product }) => product.listingPlatforms.includes(commercePlatform));
        const lines = Array.from({ length: lineCount }, () => {
          const { product, sku } = pick(candidates);
          const quantity = int(1, body.max_units ?? 3);
          return unitLines(product, sku, quantity, sku.price, () => digits(18));
        }).flat();
        const createTime = int(from, to);
        const status = pick(statuses);
        const city = pick(CITIES);
        if (status !== 'CANCELLED' && lines.length > 1 && rand() < (body.partial_cancel_rate ?? 0)) {
          const unit = lines[int(0, lines.length - 1)] as TtsOrderLine;
          unit.cancelled = true;
          restockUnits([unit]);
        }
        created.push(
          storeOrder(
            {
              id,
              shopId: shop.id,
              status,
              commercePlatform,
              buyerUserId: digits(19),
              buyerMessage: '',
              createTime,
              updateTime: createTime,
              ...(PAID_STATUSES.has(status) ? { paidTime: createTime } : {}),
              shippingFee: pick([9_000, 10_000, 12_000, 15_000]),
              lines,
              recipient: {
                name: pick(BUYERS),
                phone: '(+62)812****21',
                address: `Jl. Merdeka No. ${int(1, 200)}`,
                postalCode: '15310',
                city,
              },
            },
            body.webhooks ?? true,
          ),
        );
      }
      return { orders: created.map(orderSummary) };
    },

    updateOrder(input) {
      const body = parse(updateOrderInput, input);
      const order = state().orders[body.id];
      if (!order) throw new ControlInputError(`unknown order ${body.id}`);
      order.updateTime = body.update_time ?? Math.max(rt.nowSeconds(), order.updateTime);
      if (body.cancel_line_ids) {
        const units = body.cancel_line_ids.map((lineId) => {
          const unit = order.lines.find((line) => line.id === lineId);
          if (!unit) throw new ControlInputError(`order ${order.id} has no line item ${lineId}`);
          return unit;
        });
        const fresh = units.filter((unit) => !unit.cancelled);
        restockUnits(fresh);
        for (const unit of fresh) unit.cancelled = true;
        rt.sendWebhook(order.shopId, 'CANCELLATION_STATUS_CHANGE', {
          order_id: order.id,
          cancellations_role: 'BUYER',
          cancel_status: 'CANCELLATION_REQUEST_COMPLETE',
          cancel_id: rt.newId(),
          create_time: order.updateTime,
        });
        // Every unit cancelled: the order is cancelled (its stock is already back).
        if (order.lines.every((line) => line.cancelled) && order.status !== 'CANCELLED') {
          order.status = 'CANCELLED';
          rt.emitOrderStatusChange(order);
        }
      }
      if (body.status !== undefined && body.status !== order.status) {
        if (body.status === 'CANCELLED') restock(order);
        order.status = body.status;
        if (body.status !== 'UNPAID' && order.paidTime === undefined) order.paidTime = order.updateTime;
        rt.emitOrderStatusChange(order);
      } else if (body.status !== undefined && body.cancel_line_ids === undefined) {
        rt.emitOrderStatusChange(order);
      }
      return orderSummary(order);
    },

    shopState(shopId) {
      const shop = shopById(shopId);
      // What the platform shows now: reviews due on the sandbox clock have ended, as they would have
      // on TikTok Shop without anyone calling the API.
      rt.settleAudits();
      return {
        shop_id: shop.id,
        cipher: shop.cipher,
        name: shop.name,
        tokopedia: shop.tokopedia,
        products: rt.store.productsOfShop(shop.id).map((product) => ({
          product_id: product.id,
          title: product.title,
          status: product.status,
          listing_platforms: product.listingPlatforms,
          skus: product.skus.map((sku) => ({ ...mapSku(sku), stock: skuStock(sku) })),
        })),
        order_count: rt.store.ordersOfShop(shop.id).length,
      };
    },

    salesTotals(input) {
      const query = parse(totalsQuery, input);
      const orders = Object.values(state().orders).filter(
        (order) => query.shopId === undefined || order.shopId === query.shopId,
      );
      return salesTotals(orders.map(tiktokTruth), {
        ...(query.from === undefined ? {} : { from: query.from }),
        ...(query.to === undefined ? {} : { to: query.to }),
      });
    },

    placeRandomOrder(shopId, random) {
      const shop = shopById(shopId);
      rt.settleAudits();
      const sellable = liveSkus(shop).filter(({ sku }) => skuStock(sku) > 0);
      if (sellable.length === 0) return null;
      const { product, sku } = random.pick(sellable);
      const now = rt.nowSeconds();
      const order = storeOrder({
        id: uniqueId(() => random.numericId(18), state().orders),
        shopId: shop.id,
        status: 'AWAITING_SHIPMENT',
        commercePlatform: orderPlatform(shop, [product], undefined),
        buyerUserId: random.numericId(19),
        buyerMessage: '',
        createTime: now,
        updateTime: now,
        paidTime: now,
        shippingFee: 10_000,
        lines: unitLines(product, sku, random.int(1, Math.min(2, skuStock(sku))), sku.price, () =>
          random.numericId(18),
        ),
        recipient: {
          name: random.pick(BUYERS),
          phone: '(+62)812****21',
          address: `Jl. Merdeka No. ${random.int(1, 200)}`,
          postalCode: '15310',
          city: random.pick(CITIES),
        },
      });
      return orderSummary(order);
    },

    configure(input) {
      const body = parse(configureInput, input);
      const settings = state().settings;
      if (body.rate_limit_per_second !== undefined) settings.rateLimitPerSecond = body.rate_limit_per_second;
      if (body.audit_delay_seconds !== undefined) settings.auditDelaySeconds = body.audit_delay_seconds;
      if (body.audit_outcome !== undefined) settings.auditOutcome = body.audit_outcome;
      if (body.rotate_refresh_token !== undefined) settings.rotateRefreshToken = body.rotate_refresh_token;
      if (body.max_skus_per_product !== undefined) settings.maxSkusPerProduct = body.max_skus_per_product;
      if (body.webhook_url !== undefined) {
        const apps = body.app_key ? [state().apps[body.app_key]] : Object.values(state().apps);
        for (const app of apps) {
          if (!app) throw new ControlInputError(`unknown app ${body.app_key ?? ''}`);
          if (body.webhook_url === '') delete app.webhookUrl;
          else app.webhookUrl = body.webhook_url;
        }
      }
      if (body.audit) {
        const product = state().products[body.audit.product_id];
        if (!product) throw new ControlInputError(`unknown product ${body.audit.product_id}`);
        rt.finishAudit(product, body.audit.outcome, body.audit.reasons ?? []);
      }
      return {
        settings: { ...settings },
        apps: Object.values(state().apps).map((app) => ({
          app_key: app.appKey,
          webhook_url: app.webhookUrl ?? null,
        })),
      };
    },

    reset() {
      rt.store.reset();
    },

    snapshot() {
      return rt.store.snapshot();
    },

    restore(snapshot) {
      if (
        typeof snapshot !== 'object' ||
        snapshot === null ||
        !('products' in snapshot) ||
        !('settings' in snapshot)
      ) {
        throw new ControlInputError('not a tiktok-shop snapshot');
      }
      rt.store.restore(snapshot as TtsState);
    },
  };
}
