import type { FastifyInstance } from 'fastify';
import { shopApi } from '../api.js';
import { channels, channelView } from '../logistics.js';
import type { ShopeeRuntime } from '../runtime.js';

export function registerLogisticsRoutes(app: FastifyInstance, rt: ShopeeRuntime): void {
  // v2.logistics.get_channel_list — the shop's channels with fee type, size list and limits.
  shopApi(rt, app, {
    method: 'GET',
    path: '/api/v2/logistics/get_channel_list',
    handler: () => ({ logistics_channel_list: channels.map(channelView) }),
  });
}
