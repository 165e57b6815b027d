import type { PlatformFactory } from './core/contract.js';
import { createShopeePlatform } from './shopee/index.js';

/** Platforms the sandbox serves by default, one line each. */
export const defaultPlatformFactories: PlatformFactory[] = [createShopeePlatform];
