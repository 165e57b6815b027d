/**
 * What route handlers and control hooks share: the sandbox context, the state, id generation,
 * audit progression and outbound webhooks.
 */
import { randomBytes } from 'node:crypto';
import type { SandboxContext } from '../core/contract.js';
import { signWebhook } from './signing.js';
import type { TtsOrder, TtsProduct, TtsProductContent, TtsState, TtsStore } from './store.js';

/** TikTok retries unacknowledged webhooks at +2 min, +30 min, +3 h and +12 h (reference §2.7). */
export const WEBHOOK_RETRY_DELAYS_MS = [2 * 60_000, 30 * 60_000, 3 * 3_600_000, 12 * 3_600_000];

/** Webhook event_type → numeric `type` in the envelope (reference §2.7). */
export const WEBHOOK_EVENT_TYPES: Record<string, number> = {
  ORDER_STATUS_CHANGE: 1,
  RECIPIENT_ADDRESS_UPDATE: 3,
  PACKAGE_UPDATE: 4,
  PRODUCT_STATUS_CHANGE: 5,
  SELLER_DEAUTHORIZATION: 6,
  UPCOMING_AUTHORIZATION_EXPIRATION: 7,
  CANCELLATION_STATUS_CHANGE: 11,
  RETURN_STATUS_CHANGE: 12,
  PRODUCT_INFORMATION_CHANGE: 15,
  PRODUCT_CREATION: 16,
};

/**
 * Publishes v2 over v1. Price and inventory are not reviewed and were applied to the live SKUs at
 * once, so SKUs that exist in both versions keep the live price and stock.
 */
function publishRevision(product: TtsProduct, revision: TtsProductContent): void {
  const live = new Map(product.skus.map((sku) => [sku.id, sku]));
  Object.assign(product, revision, {
    skus: revision.skus.map((sku) => {
      const current = live.get(sku.id);
      return current ? { ...sku, price: current.price, inventory: current.inventory } : sku;
    }),
  });
}

export class TtsRuntime {
  constructor(
    readonly ctx: SandboxContext,
    readonly store: TtsStore,
    readonly prefix: string,
  ) {}

  get state() {
    return this.store.state;
  }

  nowSeconds(): number {
    return this.ctx.clock.nowSeconds();
  }

  /** 19-digit numeric id like TikTok's product, SKU and order ids. */
  newId(): string {
    return this.ctx.random.numericId(19);
  }

  requestId(): string {
    const stamp = new Date(this.ctx.clock.nowMs()).toISOString().replace(/\D/g, '').slice(0, 14);
    return `${stamp}${randomBytes(10).toString('hex').toUpperCase()}`;
  }

  imageUrl(uri: string): string {
    return `${this.ctx.baseUrl()}${this.prefix}/__media/${uri}`;
  }

  /** Ids of products waiting for audit, so per-request settling does not scan the whole catalogue. */
  private pendingAudits = new Set<string>();
  private indexedState: TtsState | undefined;

  private pendingIds(): Set<string> {
    if (this.indexedState !== this.store.state) {
      // State was reset or restored: rebuild the index from it.
      this.pendingAudits = new Set(
        Object.values(this.state.products)
          .filter((product) => product.auditDueAtMs !== undefined)
          .map((product) => product.id),
      );
      this.indexedState = this.store.state;
    }
    return this.pendingAudits;
  }

  /** Resolves PENDING audits that are due on the sandbox clock (called per request and on clock moves). */
  settleAudits(): void {
    const pending = this.pendingIds();
    if (pending.size === 0) return;
    const nowMs = this.ctx.clock.nowMs();
    for (const id of pending) {
      const product = this.state.products[id];
      if (product === undefined || product.auditDueAtMs === undefined) {
        pending.delete(id);
        continue;
      }
      // A product deleted (or otherwise taken out of PENDING) while its first audit ran is not listed by it.
      if (product.status === 'DELETED' || (!product.revision && product.status !== 'PENDING')) {
        pending.delete(id);
        delete product.auditDueAtMs;
        delete product.revision;
        continue;
      }
      if (product.auditDueAtMs <= nowMs) this.finishAudit(product, this.state.settings.auditOutcome);
    }
  }

  /**
   * Resolves the running audit. A new or re-listed product becomes ACTIVATE or FAILED. A live
   * product's edit (`revision`) is published on success; on failure the live version stays on sale
   * unchanged and the reasons are reported (edit-product: "keeping v1").
   */
  finishAudit(product: TtsProduct, outcome: 'ACTIVATE' | 'FAILED', reasons: string[] = []): void {
    this.pendingIds().delete(product.id);
    delete product.auditDueAtMs;
    const failedReasons =
      outcome === 'FAILED'
        ? reasons.length > 0
          ? reasons
          : ['Product information violates listing rules']
        : [];
    const revision = product.revision;
    if (revision) {
      delete product.revision;
      if (outcome === 'ACTIVATE') publishRevision(product, revision);
    } else {
      product.status = outcome;
    }
    product.auditFailedReasons = failedReasons;
    product.updateTime = this.nowSeconds();
    this.sendWebhook(product.shopId, 'PRODUCT_STATUS_CHANGE', {
      product_id: product.id,
      status: outcome === 'ACTIVATE' ? 'PRODUCT_FIRST_PASS_REVIEW' : 'PRODUCT_AUDIT_FAILURE',
      suspended_reason: outcome === 'FAILED' ? product.auditFailedReasons.join('; ') : '',
      update_time: product.updateTime,
    });
  }

  /** Starts (or restarts) an audit of a new or offline product: PENDING until the sandbox-clock delay passes. */
  startAudit(product: TtsProduct): void {
    delete product.revision;
    product.status = 'PENDING';
    this.scheduleAudit(product);
  }

  /** Sends a live product's edit (v2) for review; v1 stays ACTIVATE and on sale meanwhile. */
  startRevisionAudit(product: TtsProduct, revision: TtsProductContent): void {
    product.revision = revision;
    this.scheduleAudit(product);
  }

  private scheduleAudit(product: TtsProduct): void {
    product.auditDueAtMs = this.ctx.clock.nowMs() + this.state.settings.auditDelaySeconds * 1000;
    product.auditFailedReasons = [];
    this.pendingIds().add(product.id);
  }

  emitOrderStatusChange(order: TtsOrder): void {
    this.sendWebhook(order.shopId, 'ORDER_STATUS_CHANGE', {
      order_id: order.id,
      order_status: order.status,
      is_on_hold_order: order.status === 'ON_HOLD',
      update_time: order.updateTime,
    });
  }

  /**
   * Sends one signed webhook per app that holds the shop's authorization and has an address for the
   * event: the shop-level address (Update Shop Webhook) first, else the app-level URL.
   */
  sendWebhook(shopId: string, eventType: string, data: Record<string, unknown>): void {
    const type = WEBHOOK_EVENT_TYPES[eventType] ?? 0;
    for (const app of this.store.appsAuthorizedFor(shopId)) {
      const url = this.state.shopWebhooks[`${app.appKey}|${shopId}`]?.[eventType] ?? app.webhookUrl;
      if (!url) continue;
      const body = JSON.stringify({
        type,
        tts_notification_id: this.ctx.random.numericId(19),
        shop_id: shopId,
        timestamp: this.nowSeconds(),
        data,
      });
      void this.ctx.webhooks
        .send(
          {
            platform: 'tiktok-shop',
            url,
            headers: {
              'content-type': 'application/json',
              authorization: signWebhook(app.appKey, app.appSecret, body),
            },
            body,
          },
          {
            retryDelaysMs: WEBHOOK_RETRY_DELAYS_MS,
            // configuration-guide: 200 or 401, each with a NULL/empty body, acknowledge.
            isAck: (status, text) => (status === 200 || status === 401) && text.trim() === '',
          },
        )
        .catch(() => undefined);
    }
  }
}
