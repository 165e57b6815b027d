import type { WebhookVerifier } from '../../../channels/types.js';
import type { ChannelsConfig } from '../../../config/env.js';
import type { WebhookChannel } from './index.js';

/**
 * The webhook verifier of each configured platform, built from this service's partner credentials
 * (Shopee: the partner key; TikTok Shop: the app key and secret).
 */
export function webhookVerifiers(channels: ChannelsConfig): Partial<Record<WebhookChannel, WebhookVerifier>> {
  const verifiers: Partial<Record<WebhookChannel, WebhookVerifier>> = {};
  // TODO(chin): the verifiers land with the channel adapters' inward side (src/channels/shopee,
  // src/channels/tiktok-shop); until then every webhook is refused (401), never trusted.
  void channels;
  return verifiers;
}
