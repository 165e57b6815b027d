import type { PlatformFactory } from './core/contract.js';
import { createPartnerBrandPlatform } from './partner-brand/index.js';
import { createShopeePlatform } from './shopee/index.js';
import { createTiktokShopPlatform } from './tiktok-shop/index.js';

/** Platforms the sandbox serves by default, one line each. */
export const defaultPlatformFactories: PlatformFactory[] = [
  createShopeePlatform,
  createTiktokShopPlatform,
  createPartnerBrandPlatform,
];
