/**
 * The contract every channel adapter implements, and the canonical shapes that cross it.
 *
 * Adapters are the only code that knows a marketplace's wire format: they receive canonical,
 * already-priced data (price rules and stock buffers are applied by the domain before the call) and
 * return canonical results. Vendor types never leave `src/channels/<channel>/`.
 *
 * Every method may throw a {@link ChannelFailure}; anything else it throws is classified by
 * `classifyChannelFailure` (network errors and timeouts are retryable, the rest permanent).
 */

export const CHANNELS = ['shopee', 'tiktok_shop', 'partner_brand'] as const;
export type Channel = (typeof CHANNELS)[number];

/** A message shown to crafters and admins, in English and Bahasa Indonesia. */
export interface HumanMessage {
  en: string;
  id: string;
}

/**
 * What a failed channel call means for the work that made it:
 * - `retryable`: the same call may succeed later (5xx, timeout, connection reset);
 * - `throttled`: the platform asked us to slow down; wait `waitMs`, and do not spend an attempt;
 * - `reauth`: the shop's authorisation is gone (expired/revoked token); the connection needs the
 *   crafter to reconnect, and its work waits until then;
 * - `permanent`: the platform refused the content; retrying the same data fails the same way.
 */
export type FailureKind = 'retryable' | 'throttled' | 'reauth' | 'permanent';

/** A classified failure of a channel call. Adapters throw this for every vendor error they understand. */
export class ChannelFailure extends Error {
  /** For `throttled` (and optionally `retryable`): how long to wait before the next call to this shop. */
  readonly waitMs: number | undefined;

  constructor(
    readonly kind: FailureKind,
    /** The platform's own error code (`error_param`, `12052024`, `HTTP 503`), kept for operators. */
    readonly platformCode: string,
    /** Plain words for the crafter: "Shopee refused the title: longer than 120 characters". */
    readonly human: HumanMessage,
    options: { waitMs?: number; cause?: unknown } = {},
  ) {
    super(human.en, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ChannelFailure';
    this.waitMs = options.waitMs;
  }
}

/** Declared per adapter; enforced across all worker processes together (Redis). */
export interface ChannelRateLimit {
  /**
   * Calls allowed per `perMs` for one budget: a shop on Shopee (no per-API figures are published), a
   * shop's API on TikTok Shop (50 QPS "per API", counted per app and shop: creates and reads of one
   * shop do not share a budget).
   */
  max: number;
  perMs: number;
}

/** The limits a product must fit to be listed; beyond them the listing is `needs_attention`. */
export interface ChannelLimits {
  titleMin: number;
  titleMax: number;
  imagesMin: number;
  imagesMax: number;
  /** Option dimensions per product (Shopee tiers: 2, TikTok sales attributes: 3). */
  optionDimensionsMax: number;
  variantsMax: number;
  priceMinIdr: number;
  priceMaxIdr: number;
  stockMax: number;
}

/** One attribute value the channel requires: a value from the channel's list, or free text. */
export interface PlacementAttribute {
  attributeId: string;
  /** The channel's value id, when the attribute has a fixed list. */
  valueId?: string;
  /** Free text (or the display name of `valueId`). */
  value?: string;
}

/** Per-channel placement of one canonical category, maintained by the council. */
export interface CategoryPlacement {
  /** The channel's leaf category id. */
  categoryId: string;
  /** Attribute values the channel requires for that category. */
  attributes: PlacementAttribute[];
  brandId?: string;
  brandName?: string;
  /** Shopee: the logistics channel to enable (and its size, for SIZE_SELECTION channels). */
  logisticsChannelId?: string;
  logisticsSizeId?: string;
  /** Package size for channels whose logistics or category rules need one. */
  packageCm?: { length: number; width: number; height: number };
  /** TikTok Shop: the shop's warehouse that holds the stock. */
  warehouseId?: string;
}

/** One sellable variant, after the connection's price rule and stock buffer. */
export interface CanonicalVariant {
  variantId: string;
  sku: string;
  /** Option name → value, e.g. `{ warna: 'merah', ukuran: 'M' }`; empty for a single-variant product. */
  options: Record<string, string>;
  priceIdr: number;
  stock: number;
  weightGrams: number;
}

/** The current state of a product as a channel should show it. */
export interface CanonicalListing {
  productId: string;
  /** The product's content version this payload was built from. */
  version: number;
  title: string;
  description: string;
  imageUrls: string[];
  placement: CategoryPlacement;
  variants: CanonicalVariant[];
}

/** Where a listing lives remotely: the item and each variant's remote id. */
/** The platform's own view of a remote item: on sale, in the platform's review, taken down, gone, refused. */
export type RemoteListingStatus = 'live' | 'in_review' | 'inactive' | 'deleted' | 'refused';

export interface RemoteListingRef {
  remoteItemId: string;
  /** Our variant id → the platform's model/SKU id. */
  remoteVariantIds: Record<string, string>;
  /**
   * The item's status when the platform's answer to a create or update tells it (a new Shopee item
   * is REVIEWING, a new TikTok Shop product is audited); omitted when the answer does not.
   */
  status?: RemoteListingStatus;
}

/** What the platform shows now, read back for drift repair. */
export interface RemoteListingState extends RemoteListingRef {
  status: RemoteListingStatus;
  variants: Array<{ remoteVariantId: string; sku: string; priceIdr: number; stock: number }>;
}

/** Decrypted credentials and identity of one connected shop, handed to an adapter per call. */
export interface ConnectionContext {
  connectionId: string;
  /** Shopee `shop_id`, TikTok shop id, partner programme id. */
  externalShopId: string;
  /** TikTok Shop `shop_cipher`. */
  shopCipher?: string;
  accessToken?: string;
  /** Partner brand: the key the partner issued, its signing secret, and the partner's base URL. */
  apiKey?: string;
  apiSecret?: string;
  endpoint?: string;
}

/** The problems that keep a product from being listed on a channel, in plain words. */
export interface ListingProblem {
  field: string;
  message: HumanMessage;
}

/** What a validation is for: creating the remote listing, or updating one that exists. */
export interface ValidationContext {
  creating: boolean;
}

/** Remote image ids already uploaded to one shop, by content hash (uploads are files, and slow). */
export interface ImageUploadCache {
  get(connectionId: string, sha256: string): Promise<string | undefined>;
  put(connectionId: string, sha256: string, remoteImageId: string): Promise<void>;
}

/**
 * One channel's adapter. Implementations are stateless apart from configuration (base URL,
 * partner/app credentials, HTTP timeouts) and an image cache keyed by content hash per shop.
 */
/** How a full update treats the item's sale status. */
export interface UpdateOptions {
  /**
   * The item was taken down by us (the listing was ended) and the crafter published it again: bring
   * it back on sale. Without it an update leaves the status alone, so a content edit never relists an
   * item that the crafter or the platform took down.
   */
  relist?: boolean;
}

/** Which offer fields a price/stock push carries. */
export interface PriceStockChange {
  price: boolean;
  stock: boolean;
}

export interface ChannelAdapter {
  readonly channel: Channel;
  readonly limits: ChannelLimits;
  readonly rateLimit: ChannelRateLimit;

  /**
   * Pure check of a listing against the channel's rules; an empty list means it can be pushed.
   * `context.creating` adds the rules that only creation has (TikTok Shop creates no SKU with 0
   * stock, yet an existing listing may show a sold-out SKU); omitted, the listing is checked as an
   * update of an existing remote listing.
   */
  validate(listing: CanonicalListing, context?: ValidationContext): ListingProblem[];

  /**
   * Finds items carrying `sku` as their item-level SKU that were created or changed since `since`
   * (the moment the create intent was recorded), for exactly-once creation after a crash: an item
   * from before the intent (a deleted product whose SKU was reused) is never adopted.
   */
  findCreated(ctx: ConnectionContext, sku: string, since: Date): Promise<RemoteListingRef | null>;

  /** Creates the remote item with all variants; returns the remote ids. Never called twice for one intent. */
  create(ctx: ConnectionContext, listing: CanonicalListing): Promise<RemoteListingRef>;

  /**
   * Full content update (title, description, images, options, variants added or removed). Leaves the
   * item's sale status as it is unless `options.relist`.
   */
  update(
    ctx: ConnectionContext,
    ref: RemoteListingRef,
    listing: CanonicalListing,
    options?: UpdateOptions,
  ): Promise<RemoteListingRef>;

  /**
   * Price and stock only, through the platform's batch calls (content in `listing` is not sent).
   * `changed` names which of the two differ from what was last pushed, so an edit of prices alone
   * takes one call, not two; omitted, both are sent.
   */
  updatePriceAndStock(
    ctx: ConnectionContext,
    ref: RemoteListingRef,
    listing: CanonicalListing,
    changed?: PriceStockChange,
  ): Promise<void>;

  /** Ends the remote listing (unlist or delete, whichever the platform keeps recoverable). */
  delist(ctx: ConnectionContext, ref: RemoteListingRef): Promise<void>;

  /** Reads the remote listing back (nightly drift repair, conformance tests). */
  read(ctx: ConnectionContext, ref: RemoteListingRef): Promise<RemoteListingState | null>;

  /**
   * The review sweep of a shop: what became of items last seen in review (`since`: when), read in
   * few calls rather than one per item. The answer holds each item whose status is known now
   * (`in_review` when nothing changed); an item left out is not known yet and is asked about again
   * on the next sweep.
   */
  readReviewStatuses(
    ctx: ConnectionContext,
    items: ReadonlyArray<{ remoteItemId: string; since: Date }>,
  ): Promise<Map<string, RemoteListingStatus>>;

  /**
   * One page of the shop's orders (partner brand: sales-report lines folded into orders) whose
   * platform update time falls in `window`, resuming at `cursor` (null: the window's first page).
   * The adapter splits the window to the platform's limits (Shopee: 15 days) and fetches details in
   * the platform's batch size (Shopee: 50); `next` carries whatever it needs to resume.
   */
  pullOrders(ctx: ConnectionContext, window: PullWindow, cursor: PullCursor | null): Promise<OrderPage>;
}

// ─── Inward: orders and sales coming back from a channel ────────────────────────────────────────

/**
 * An order's state, mapped from each platform's own list (Shopee UNPAID…COMPLETED, TikTok Shop
 * UNPAID/ON_HOLD/AWAITING_SHIPMENT…, partner-brand report lines are `completed` or `returned`).
 * `unpaid` and `on_hold` are not sales yet: they take no stock and count in no figure (sync-pitfalls:
 * ON_HOLD orders may still be cancelled by the platform).
 */
export const ORDER_STATUSES = [
  'unpaid',
  'on_hold',
  'awaiting_shipment',
  'shipped',
  'completed',
  'cancelled',
  'returned',
] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];

/** One line of an order. A platform that sends one line per unit is folded by the adapter per `lineKey`. */
export interface CanonicalOrderLine {
  /** Stable within the order across pulls: the platform's line/item id, or item+model for Shopee. */
  lineKey: string;
  /** The seller SKU the platform reports (model_sku / seller_sku / partner sku); matched to our variants. */
  sellerSku: string;
  remoteItemId?: string;
  remoteVariantId?: string;
  title?: string;
  quantity: number;
  /** What the buyer paid per unit for this line, integer rupiah, after seller discounts. */
  unitPriceIdr: number;
  /** Units of this line cancelled or returned on their own (TikTok cancels per line); 0 when none. */
  cancelledQuantity?: number;
  returnedQuantity?: number;
}

/**
 * Sales figures, the same everywhere (sales views, rollups, the sandbox's own totals):
 * - an order counts once it is paid: `paidAt` set, or a status past payment (awaiting_shipment,
 *   shipped, completed, returned); an order cancelled before payment never counts;
 * - it counts on the Jakarta day of `createdAt`;
 * - gross = Σ quantity × unitPriceIdr of its lines; orders = the number of counted orders;
 * - net = gross minus the value of units cancelled or returned (a cancelled or returned order takes
 *   back all its lines; otherwise a line's `cancelledQuantity` / `returnedQuantity`); units = net units.
 */
export interface CanonicalOrder {
  externalOrderId: string;
  status: OrderStatus;
  /** When the buyer placed it: decides the Jakarta day the sale counts on. */
  createdAt: Date;
  /** When the platform reports it paid; unset for unpaid orders (and for platforms that do not say). */
  paidAt?: Date;
  /** The platform's last change of the order (the pull's watermark moves on this). */
  updatedAt: Date;
  lines: CanonicalOrderLine[];
}

/** Opaque, JSON-serialisable paging state of one pull, stored in `channel_sync_cursors.cursor`. */
export type PullCursor = Record<string, unknown>;

/** One page of orders changed in a window; `next` null means the window is exhausted. */
export interface OrderPage {
  orders: CanonicalOrder[];
  next: PullCursor | null;
}

/** The window of platform update times a pull covers, [from, to). Adapters split it to the platform's limits. */
export interface PullWindow {
  from: Date;
  to: Date;
}

/**
 * What a verified webhook asks for: which shop (platform shop id) to pull, and what kind of event
 * it was. Webhooks only ever trigger a pull; their bodies are never ingested as data.
 */
export interface WebhookEvent {
  externalShopId: string;
  /** Platform event name or code, for logs and metrics (`order_status_push`, `3`, `ORDER_STATUS_CHANGE`). */
  kind: string;
}

/** The raw request a webhook route received, before any parsing. */
export interface RawWebhook {
  /** The exact bytes the platform signed. */
  rawBody: Buffer;
  headers: Record<string, string | string[] | undefined>;
  /** The full URL the platform called (Shopee signs it), as configured publicly. */
  url: string;
}

/**
 * Checks a webhook's signature as the platform signs it (constant-time compare) and reads which
 * shop it concerns. `null` means forged or unreadable: the route answers 401 and does nothing.
 */
export type WebhookVerifier = (request: RawWebhook) => WebhookEvent | null;
