/**
 * The demo trickle: every N seconds (real time) each configured shop gets one random order from its
 * live items that still have stock, placed through the platform's own control hook, so stock is taken
 * and the platform's webhooks go out exactly as for a real sale. For `npm start`, so a new user watches
 * sales, stock movements and the summary change without doing anything.
 */
import type { PlatformModule, SandboxRandom } from './contract.js';
import { ControlInputError } from './contract.js';
import { createRandom, seedFrom } from './random.js';

export interface TrickleShop {
  platform: string;
  shopId: string;
}

export interface TrickleStatus {
  running: boolean;
  intervalMs: number | null;
  shops: TrickleShop[];
  /** Orders placed since the trickle started. */
  placed: number;
  /** Ticks on which a shop had nothing left to sell. */
  skipped: number;
  /** Share (0–1) of ticks on which a shop cancels one of the trickle's earlier orders instead. */
  cancelRate: number;
  /** Orders of the trickle cancelled since it started. */
  cancelled: number;
  lastOrder: unknown;
  lastError: string | null;
}

export interface Trickle {
  start(input: {
    intervalMs: number;
    shops: TrickleShop[];
    seed?: string | number;
    cancelRate?: number;
  }): TrickleStatus;
  stop(): TrickleStatus;
  status(): TrickleStatus;
  /** Places one order per configured shop now (also what every tick does). */
  tick(): void;
}

/** The platform's id of a placed order (Shopee `orderSn`, TikTok `id`); partner lines are final. */
function orderId(order: unknown): string | undefined {
  if (typeof order !== 'object' || order === null) return undefined;
  const record = order as Record<string, unknown>;
  const id = record.orderSn ?? record.id;
  return typeof id === 'string' ? id : undefined;
}

export function createTrickle(platforms: readonly PlatformModule[]): Trickle {
  let timer: NodeJS.Timeout | undefined;
  let intervalMs: number | null = null;
  let shops: TrickleShop[] = [];
  let random: SandboxRandom = createRandom(seedFrom(Date.now()));
  let placed = 0;
  let skipped = 0;
  let cancelRate = 0;
  let cancelled = 0;
  /** Open orders the trickle placed, per shop (`platform|shopId`), that a later tick may cancel. */
  let open = new Map<string, string[]>();
  let lastOrder: unknown = null;
  let lastError: string | null = null;

  const platformOf = (name: string): PlatformModule => {
    const platform = platforms.find((p) => p.name === name);
    if (!platform) throw new ControlInputError(`unknown platform "${name}"`);
    return platform;
  };

  const status = (): TrickleStatus => ({
    running: timer !== undefined,
    intervalMs,
    shops: [...shops],
    placed,
    skipped,
    cancelRate,
    cancelled,
    lastOrder,
    lastError,
  });

  const tick = (): void => {
    for (const shop of shops) {
      try {
        const control = platformOf(shop.platform).control;
        const key = `${shop.platform}|${shop.shopId}`;
        const mine = open.get(key) ?? [];
        if (mine.length > 0 && random.next() < cancelRate) {
          const [id] = mine.splice(random.int(0, mine.length - 1), 1);
          control.updateOrder({ id, status: 'CANCELLED' });
          cancelled += 1;
          continue;
        }
        const order = control.placeRandomOrder(shop.shopId, random);
        if (order === null) skipped += 1;
        else {
          placed += 1;
          lastOrder = { ...shop, order };
          const id = orderId(order);
          if (id !== undefined) open.set(key, [...mine, id].slice(-20));
        }
      } catch (err) {
        // A shop deleted or reset meanwhile: keep trickling for the others and say why.
        lastError = `${shop.platform} ${shop.shopId}: ${err instanceof Error ? err.message : String(err)}`;
      }
    }
  };

  const stop = (): TrickleStatus => {
    if (timer) clearInterval(timer);
    timer = undefined;
    return status();
  };

  return {
    start(input) {
      // Unknown platforms or shops are refused up front (shopState throws for an unknown shop).
      for (const shop of input.shops) platformOf(shop.platform).control.shopState(shop.shopId);
      stop();
      shops = input.shops.map((s) => ({ ...s }));
      intervalMs = input.intervalMs;
      random = createRandom(seedFrom(input.seed ?? Date.now()));
      placed = 0;
      skipped = 0;
      cancelled = 0;
      cancelRate = input.cancelRate ?? 0;
      open = new Map();
      lastOrder = null;
      lastError = null;
      timer = setInterval(tick, input.intervalMs);
      timer.unref();
      return status();
    },
    stop,
    status,
    tick,
  };
}
