/**
 * In-memory state of the emulated TikTok Shop platform. Everything here is plain JSON so that
 * `snapshot()`/`restore()` are a structured copy; money is integer rupiah internally and becomes
 * decimal strings only at the wire (mappers.ts).
 */

export type ProductStatus =
  | 'DRAFT'
  | 'PENDING'
  | 'FAILED'
  | 'ACTIVATE'
  | 'SELLER_DEACTIVATED'
  | 'PLATFORM_DEACTIVATED'
  | 'FREEZE'
  | 'DELETED';

export const ORDER_STATUSES = [
  'UNPAID',
  'ON_HOLD',
  'AWAITING_SHIPMENT',
  'PARTIALLY_SHIPPING',
  'AWAITING_COLLECTION',
  'IN_TRANSIT',
  'DELIVERED',
  'COMPLETED',
  'CANCELLED',
] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];

export type ListingPlatform = 'TIKTOK_SHOP' | 'TOKOPEDIA';
export type CommercePlatform = 'TIKTOK_SHOP' | 'TOKOPEDIA';

export interface TtsApp {
  appKey: string;
  appSecret: string;
  name: string;
  serviceId: string;
  /** Where order/product webhooks for shops authorized to this app are sent. */
  webhookUrl?: string;
}

export interface TtsShop {
  id: string;
  name: string;
  region: string;
  cipher: string;
  code: string;
  sellerType: 'LOCAL' | 'CROSS_BORDER';
  /** A Tokopedia shop migrated to the TikTok Shop APIs: listings carry TOKOPEDIA, orders carry commerce_platform. */
  tokopedia: boolean;
  defaultWarehouseId: string;
  /** Get Warehouse List; seeded per shop (older snapshots: derived from `defaultWarehouseId`). */
  warehouses?: TtsWarehouse[];
}

export interface TtsWarehouse {
  id: string;
  name: string;
  type: 'SALES_WAREHOUSE' | 'RETURN_WAREHOUSE';
  effectStatus: 'ENABLED' | 'DISABLED' | 'RESTRICTED';
  isDefault: boolean;
  city: string;
}

export interface TtsAuthCode {
  code: string;
  appKey: string;
  shopIds: string[];
  openId: string;
  expiresAtMs: number;
  used: boolean;
}

export interface TtsGrant {
  appKey: string;
  openId: string;
  sellerName: string;
  shopIds: string[];
  /** Unix seconds. */
  expiresAt: number;
}

export interface TtsImage {
  uri: string;
  url: string;
  appKey: string;
  width: number;
  height: number;
  useCase: string;
}

export interface TtsSalesAttribute {
  id: string;
  name: string;
  valueId: string;
  valueName: string;
  skuImgUri?: string;
}

export interface TtsSku {
  id: string;
  sellerSku: string;
  /** Integer rupiah. */
  price: number;
  inventory: Array<{ warehouseId: string; quantity: number }>;
  salesAttributes: TtsSalesAttribute[];
  externalSkuId?: string;
}

/** What an edit replaces and an audit reviews (everything but identity, status and timestamps). */
export interface TtsProductContent {
  title: string;
  description: string;
  categoryId: string;
  brandId?: string;
  mainImageUris: string[];
  skus: TtsSku[];
  packageWeight: { value: string; unit: string };
  packageDimensions?: { length: string; width: string; height: string; unit: string };
  productAttributes: Array<{ id: string; values: Array<{ id?: string; name?: string }> }>;
  listingPlatforms: ListingPlatform[];
  externalProductId?: string;
  isCodAllowed: boolean;
}

export interface TtsProduct extends TtsProductContent {
  id: string;
  shopId: string;
  status: ProductStatus;
  /** Sandbox-clock ms when the running audit (of a PENDING product or of `revision`) resolves. */
  auditDueAtMs?: number;
  /**
   * An edit of a live product under review (v2). The live content (v1) stays on sale meanwhile;
   * passing the audit publishes v2, failing it keeps v1 (edit-product, partial-edit-product).
   */
  revision?: TtsProductContent;
  auditFailedReasons: string[];
  createTime: number;
  updateTime: number;
}

export interface TtsOrderLine {
  id: string;
  productId: string;
  skuId: string;
  sellerSku: string;
  productName: string;
  skuName: string;
  skuImageUri: string;
  /** Integer rupiah, per unit. */
  originalPrice: number;
  salePrice: number;
  sellerDiscount: number;
  platformDiscount: number;
  /** This unit was cancelled on its own (the rest of the order goes on); its line shows CANCELLED. */
  cancelled?: boolean;
}

export interface TtsOrder {
  id: string;
  shopId: string;
  status: OrderStatus;
  commercePlatform: CommercePlatform;
  buyerUserId: string;
  buyerMessage: string;
  createTime: number;
  updateTime: number;
  paidTime?: number;
  shippingFee: number;
  lines: TtsOrderLine[];
  recipient: { name: string; phone: string; address: string; postalCode: string; city: string };
}

export interface TtsSettings {
  /** Requests per second per API per (app, shop). Documented default 50. */
  rateLimitPerSecond: number;
  /**
   * Sandbox-clock delay before an audit resolves. Default 180 s: TikTok's end-to-end testing handbook
   * says a submitted listing "can take a couple of minutes" to go live.
   */
  auditDelaySeconds: number;
  /** Outcome of audits that resolve from now on. */
  auditOutcome: 'ACTIVATE' | 'FAILED';
  /** Whether refresh returns a new refresh token (unconfirmed upstream; default keeps the same one). */
  rotateRefreshToken: boolean;
  accessTokenTtlSeconds: number;
  refreshTokenTtlSeconds: number;
  authCodeTtlSeconds: number;
  maxSkusPerProduct: number;
}

export const DEFAULT_SETTINGS: TtsSettings = {
  rateLimitPerSecond: 50,
  auditDelaySeconds: 180,
  auditOutcome: 'ACTIVATE',
  rotateRefreshToken: false,
  accessTokenTtlSeconds: 7 * 24 * 3600,
  refreshTokenTtlSeconds: 365 * 24 * 3600,
  authCodeTtlSeconds: 30 * 60,
  maxSkusPerProduct: 100,
};

export interface TtsState {
  apps: Record<string, TtsApp>;
  shops: Record<string, TtsShop>;
  authCodes: Record<string, TtsAuthCode>;
  accessTokens: Record<string, TtsGrant>;
  refreshTokens: Record<string, TtsGrant>;
  images: Record<string, TtsImage>;
  products: Record<string, TtsProduct>;
  orders: Record<string, TtsOrder>;
  /** `${appKey}|${shopId}` → event_type → address (Update Shop Webhook). */
  shopWebhooks: Record<string, Record<string, string>>;
  settings: TtsSettings;
}

export function emptyState(): TtsState {
  return {
    apps: {},
    shops: {},
    authCodes: {},
    accessTokens: {},
    refreshTokens: {},
    images: {},
    products: {},
    orders: {},
    shopWebhooks: {},
    settings: { ...DEFAULT_SETTINGS },
  };
}

/** Holder so route handlers and control hooks share one mutable state that reset/restore can swap. */
export class TtsStore {
  state: TtsState = emptyState();

  shopByCipher(cipher: string): TtsShop | undefined {
    return Object.values(this.state.shops).find((shop) => shop.cipher === cipher);
  }

  productsOfShop(shopId: string): TtsProduct[] {
    return Object.values(this.state.products).filter((product) => product.shopId === shopId);
  }

  ordersOfShop(shopId: string): TtsOrder[] {
    return Object.values(this.state.orders).filter((order) => order.shopId === shopId);
  }

  /** Apps holding an authorization for the shop (webhook recipients). */
  appsAuthorizedFor(shopId: string): TtsApp[] {
    const keys = new Set<string>();
    for (const grant of Object.values(this.state.refreshTokens)) {
      if (grant.shopIds.includes(shopId)) keys.add(grant.appKey);
    }
    return [...keys].flatMap((key) => {
      const app = this.state.apps[key];
      return app ? [app] : [];
    });
  }

  reset(): void {
    this.state = emptyState();
  }

  snapshot(): TtsState {
    return structuredClone(this.state);
  }

  restore(state: TtsState): void {
    // Older snapshots may miss newer collections; fill them from an empty state.
    const empty = emptyState();
    this.state = { ...empty, ...structuredClone(state), settings: { ...empty.settings, ...state.settings } };
  }
}

/** The shop's warehouses: a default sales warehouse and a return warehouse. */
export function warehousesOf(shop: TtsShop): TtsWarehouse[] {
  return (
    shop.warehouses ?? [
      {
        id: shop.defaultWarehouseId,
        name: 'Gudang Utama',
        type: 'SALES_WAREHOUSE',
        effectStatus: 'ENABLED',
        isDefault: true,
        city: 'Tangerang Selatan',
      },
    ]
  );
}

/** Available stock of a SKU across warehouses. */
export function skuStock(sku: TtsSku): number {
  return sku.inventory.reduce((sum, row) => sum + row.quantity, 0);
}
