import type { SandboxContext } from '../core/contract.js';
import { defaultShopeeConfig, type ShopeeConfig } from './config.js';
import { ShopeeStore } from './store.js';

/** What every Shopee handler needs: the shared sandbox context, the store and the current configuration. */
export class ShopeeRuntime {
  readonly store: ShopeeStore;
  config: ShopeeConfig = defaultShopeeConfig();

  constructor(readonly ctx: SandboxContext) {
    this.store = new ShopeeStore(ctx);
  }

  nowMs(): number {
    return this.ctx.clock.nowMs();
  }

  nowSeconds(): number {
    return this.ctx.clock.nowSeconds();
  }

  httpStatusOf(errorCode: string): number {
    if (errorCode === 'error_rate_limit') return this.config.throttleHttpStatus;
    return this.config.errorHttpStatus[errorCode] ?? this.config.errorHttpStatus['*'] ?? 400;
  }
}
