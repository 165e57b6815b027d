import { createShopeeWebhookVerifier } from '../../../channels/shopee/webhook.js';
import { createTiktokShopWebhookVerifier } from '../../../channels/tiktok-shop/webhook.js';
import type { WebhookVerifier } from '../../../channels/types.js';
import type { ChannelsConfig } from '../../../config/env.js';
import type { WebhookChannel } from './index.js';

/**
 * The webhook verifier of each configured platform, built from this service's partner credentials
 * (Shopee: the partner key; TikTok Shop: the app key and secret). A platform not configured has none,
 * and its route refuses every notification.
 */
export function webhookVerifiers(channels: ChannelsConfig): Partial<Record<WebhookChannel, WebhookVerifier>> {
  const verifiers: Partial<Record<WebhookChannel, WebhookVerifier>> = {};
  if (channels.shopee) verifiers.shopee = createShopeeWebhookVerifier(channels.shopee.partnerKey);
  if (channels.tiktokShop) {
    verifiers.tiktok_shop = createTiktokShopWebhookVerifier({
      appKey: channels.tiktokShop.appKey,
      appSecret: channels.tiktokShop.appSecret,
    });
  }
  return verifiers;
}
