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
  lastOrder: unknown;
  lastError: string | null;
}

export interface Trickle {
  start(input: { intervalMs: number; shops: TrickleShop[]; seed?: string | number }): TrickleStatus;
  stop(): TrickleStatus;
  status(): TrickleStatus;
  /** Places one order per configured shop now (also what every tick does). */
  tick(): void;
}

export function createTrickle(platforms: readonly PlatformModule[]): Trickle {
  let timer: NodeJS.Timeout | undefined;
  let intervalMs: number | null = null;
  let shops: TrickleShop[] = [];
  let random: SandboxRandom = createRandom(seedFrom(Date.now()));
  let placed = 0;
  let skipped = 0;
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
    lastOrder,
    lastError,
  });

  const tick = (): void => {
    for (const shop of shops) {
      try {
        const order = platformOf(shop.platform).control.placeRandomOrder(shop.shopId, random);
        if (order === null) skipped += 1;
        else {
          placed += 1;
          lastOrder = { ...shop, order };
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
