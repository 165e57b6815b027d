import type { SandboxContext } from '../core/contract.js';

export type ItemStatus = 'NORMAL' | 'BANNED' | 'UNLIST' | 'REVIEWING' | 'SELLER_DELETE' | 'SHOPEE_DELETE';
export const itemStatuses: readonly ItemStatus[] = [
  'NORMAL',
  'BANNED',
  'UNLIST',
  'REVIEWING',
  'SELLER_DELETE',
  'SHOPEE_DELETE',
];

export const orderStatuses = [
  'UNPAID',
  'READY_TO_SHIP',
  'PROCESSED',
  'RETRY_SHIP',
  'SHIPPED',
  'TO_CONFIRM_RECEIVE',
  'IN_CANCEL',
  'CANCELLED',
  'TO_RETURN',
  'COMPLETED',
] as const;
export type OrderStatus = (typeof orderStatuses)[number];

export interface ShopeeApp {
  partnerId: number;
  partnerKey: string;
  name: string;
  pushCallbackUrl?: string;
  /** Push codes switched on (set_app_push_config); code 3 by default. */
  pushCodes: number[];
}

export interface ShopeeShop {
  shopId: number;
  name: string;
  region: 'ID';
}

export interface Grant {
  token: string;
  partnerId: number;
  shopId: number;
  /** Sandbox epoch ms. */
  expiresAt: number;
  used: boolean;
}

export interface ShopeeImage {
  imageId: string;
  partnerId: number;
  bytes: number;
  contentType: string;
  scene: string;
}

export interface ShopeeModel {
  modelId: number;
  tierIndex: number[];
  modelSku: string;
  price: number;
  stock: number;
}

export interface TierVariation {
  name: string;
  options: Array<{ option: string; imageId?: string }>;
}

export interface AttributeInput {
  attribute_id: number;
  attribute_value_list: Array<{
    value_id: number;
    original_value_name?: string | undefined;
    value_unit?: string | undefined;
  }>;
}

export interface ShopeeItem {
  itemId: number;
  shopId: number;
  itemName: string;
  description: string;
  itemSku: string;
  categoryId: number;
  /** Price of an item without models (IDR, integer). */
  price: number;
  /** Stock of an item without models. */
  stock: number;
  status: ItemStatus;
  /** Sandbox epoch ms at which REVIEWING becomes NORMAL. */
  reviewUntil?: number;
  /** Status the item takes after review (the `item_status` asked for in add_item). */
  statusAfterReview?: ItemStatus;
  createTime: number;
  /** Sandbox epoch ms of creation (the wait before init_tier_variation); absent in old snapshots. */
  createdAtMs?: number;
  updateTime: number;
  imageIds: string[];
  weight: number;
  dimension?: { package_length: number; package_width: number; package_height: number };
  attributes: AttributeInput[];
  brand: { brand_id: number; original_brand_name: string };
  condition: string;
  logisticInfo: unknown[];
  tiers: TierVariation[];
  models: ShopeeModel[];
}

export interface OrderLine {
  orderItemId: number;
  itemId: number;
  itemName: string;
  itemSku: string;
  modelId: number;
  modelName: string;
  modelSku: string;
  quantity: number;
  originalPrice: number;
  discountedPrice: number;
  weight: number;
  imageId?: string;
}

export interface ShopeeOrder {
  orderSn: string;
  shopId: number;
  status: OrderStatus;
  createTime: number;
  updateTime: number;
  payTime?: number;
  lines: OrderLine[];
  shippingFee: number;
  totalAmount: number;
  buyerUserId: number;
  buyerUsername: string;
  recipient: {
    name: string;
    phone: string;
    district: string;
    city: string;
    state: string;
    zipcode: string;
    full_address: string;
  };
  paymentMethod: string;
  messageToSeller: string;
  cancelReason: string;
  daysToShip: number;
  /** Scripted status changes not yet due (sandbox seconds). */
  scheduled: Array<{ status: OrderStatus; at: number }>;
}

export interface PushMessage {
  messageId: number;
  partnerId: number;
  shopId: number;
  code: number;
  timestamp: number;
  /** The exact JSON body that was (or would have been) pushed. */
  body: string;
  /** `none` = no callback configured; `sending` = first attempt in flight; `acked`; otherwise the delivery id. */
  delivery: string;
  consumed: boolean;
}

interface StoreState {
  apps: ShopeeApp[];
  shops: ShopeeShop[];
  /** `${partnerId}:${shopId}` of authorized pairs, with the authorization time (sandbox seconds). */
  links: Array<[string, number]>;
  codes: Grant[];
  accessTokens: Grant[];
  refreshTokens: Grant[];
  images: ShopeeImage[];
  items: ShopeeItem[];
  orders: ShopeeOrder[];
  pushes: PushMessage[];
  quota: Array<{ partnerId: number; day: string; count: number }>;
  sequence: { item: number; model: number; orderItem: number; push: number };
}

/** All Shopee state, in memory. Plain data so it snapshots to JSON; Maps are indexes rebuilt on restore. */
export class ShopeeStore {
  apps = new Map<number, ShopeeApp>();
  shops = new Map<number, ShopeeShop>();
  /** Authorized (partner, shop) pairs → authorization time in sandbox seconds. */
  links = new Map<string, number>();
  codes = new Map<string, Grant>();
  accessTokens = new Map<string, Grant>();
  refreshTokens = new Map<string, Grant>();
  images = new Map<string, ShopeeImage>();
  /** Uploaded image bytes; kept out of snapshots. */
  imageBytes = new Map<string, Buffer>();
  items = new Map<number, ShopeeItem>();
  orders = new Map<string, ShopeeOrder>();
  pushes: PushMessage[] = [];
  quota = new Map<number, { day: string; count: number }>();
  sequence = { item: 800_000_000, model: 10_000_000_000, orderItem: 1_000_000, push: 0 };

  constructor(private readonly ctx: SandboxContext) {}

  clear(): void {
    this.restore(undefined);
  }

  token(): string {
    // 32 hex characters, like the access tokens in the documentation.
    let out = '';
    while (out.length < 32) out += this.ctx.random.int(0, 15).toString(16);
    return out;
  }

  isLinked(partnerId: number, shopId: number): boolean {
    return this.links.has(`${partnerId}:${shopId}`);
  }

  link(partnerId: number, shopId: number): void {
    this.links.set(`${partnerId}:${shopId}`, this.ctx.clock.nowSeconds());
  }

  authTime(partnerId: number, shopId: number): number | undefined {
    return this.links.get(`${partnerId}:${shopId}`);
  }

  partnersOf(shopId: number): ShopeeApp[] {
    return [...this.apps.values()].filter((app) => this.isLinked(app.partnerId, shopId));
  }

  /** Applies time-driven transitions (review finished) lazily, on read. */
  current(item: ShopeeItem, nowMs: number): ShopeeItem {
    if (item.status === 'REVIEWING' && item.reviewUntil !== undefined && item.reviewUntil <= nowMs) {
      item.status = item.statusAfterReview ?? 'NORMAL';
      item.updateTime = Math.floor(item.reviewUntil / 1000);
      delete item.reviewUntil;
      delete item.statusAfterReview;
    }
    return item;
  }

  shopItem(shopId: number, itemId: number, nowMs: number): ShopeeItem | undefined {
    const item = this.items.get(itemId);
    if (!item || item.shopId !== shopId) return undefined;
    return this.current(item, nowMs);
  }

  snapshot(): StoreState {
    return {
      apps: [...this.apps.values()],
      shops: [...this.shops.values()],
      links: [...this.links],
      codes: [...this.codes.values()],
      accessTokens: [...this.accessTokens.values()],
      refreshTokens: [...this.refreshTokens.values()],
      images: [...this.images.values()],
      items: [...this.items.values()],
      orders: [...this.orders.values()],
      pushes: this.pushes,
      quota: [...this.quota].map(([partnerId, q]) => ({ partnerId, ...q })),
      sequence: this.sequence,
    };
  }

  restore(state: unknown): void {
    const s = (state ?? {}) as Partial<StoreState>;
    const copy = <T>(value: T): T => structuredClone(value);
    this.apps = new Map((s.apps ?? []).map((a) => [a.partnerId, copy(a)]));
    this.shops = new Map((s.shops ?? []).map((x) => [x.shopId, copy(x)]));
    this.links = new Map(s.links ?? []);
    this.codes = new Map((s.codes ?? []).map((g) => [g.token, copy(g)]));
    this.accessTokens = new Map((s.accessTokens ?? []).map((g) => [g.token, copy(g)]));
    this.refreshTokens = new Map((s.refreshTokens ?? []).map((g) => [g.token, copy(g)]));
    this.images = new Map((s.images ?? []).map((i) => [i.imageId, copy(i)]));
    this.imageBytes = new Map();
    this.items = new Map((s.items ?? []).map((i) => [i.itemId, copy(i)]));
    this.orders = new Map((s.orders ?? []).map((o) => [o.orderSn, copy(o)]));
    // A push still being sent when the state was saved can never finish: count it as lost.
    this.pushes = copy(s.pushes ?? []).map((p) =>
      p.delivery === 'sending' ? { ...p, delivery: 'none' } : p,
    );
    this.quota = new Map((s.quota ?? []).map((q) => [q.partnerId, { day: q.day, count: q.count }]));
    this.sequence = {
      item: 800_000_000,
      model: 10_000_000_000,
      orderItem: 1_000_000,
      push: 0,
      ...s.sequence,
    };
  }
}
