import type { FastifyInstance } from 'fastify';
import { publicApi, shopApi } from '../api.js';
import type { ShopeeRuntime } from '../runtime.js';
import { intParam } from '../validation.js';

/** Shop authorization lasts up to 365 days (reference §1.2). */
const AUTHORIZATION_SECONDS = 365 * 86_400;

export function registerShopRoutes(app: FastifyInstance, rt: ShopeeRuntime): void {
  // v2.shop.get_shop_info
  shopApi(rt, app, {
    method: 'GET',
    path: '/api/v2/shop/get_shop_info',
    // Shopee's response sample puts these fields beside request_id, not under `response`.
    topLevel: true,
    handler: ({ shopId, partner }) => {
      const shop = rt.store.shops.get(shopId);
      const authTime = rt.store.authTime(partner.partnerId, shopId) ?? 0;
      return {
        shop_name: shop?.name ?? '',
        region: 'ID',
        status: 'NORMAL',
        is_cb: false,
        is_sip: false,
        is_upgraded_cbsc: false,
        merchant_id: null,
        shop_fulfillment_flag: 'Others',
        is_main_shop: false,
        is_direct_shop: false,
        auth_time: authTime,
        expire_time: authTime + AUTHORIZATION_SECONDS,
      };
    },
  });

  // v2.public.get_shops_by_partner — shops authorized for the calling partner, offset paging.
  publicApi(rt, app, {
    method: 'GET',
    path: '/api/v2/public/get_shops_by_partner',
    topLevel: true,
    handler: ({ query, partner }) => {
      const pageSize = Math.min(Math.max(intParam(query, 'page_size') ?? 100, 1), 100);
      const pageNo = Math.max(intParam(query, 'page_no') ?? 1, 1);
      const shops = [...rt.store.shops.values()]
        .filter((s) => rt.store.isLinked(partner.partnerId, s.shopId))
        .sort((a, b) => a.shopId - b.shopId);
      const page = shops.slice((pageNo - 1) * pageSize, pageNo * pageSize);
      return {
        authed_shop_list: page.map((s) => {
          const authTime = rt.store.authTime(partner.partnerId, s.shopId) ?? 0;
          return {
            shop_id: s.shopId,
            region: 'ID',
            auth_time: authTime,
            expire_time: authTime + AUTHORIZATION_SECONDS,
            sip_affi_shops: [],
          };
        }),
        more: pageNo * pageSize < shops.length,
      };
    },
  });
}
