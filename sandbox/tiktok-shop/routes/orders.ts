/**
 * Orders (reference §2.6): search by create/update time (half-open ranges) with page tokens, and
 * detail for at most 50 ids. Every unit is its own line item.
 */
import { z } from 'zod';
import { invalidRequest, TtsCode, TtsError } from '../errors.js';
import { type Endpoint, type EndpointCall, parseOrThrow } from '../gateway.js';
import { mapOrder } from '../mappers.js';
import { paginate } from '../paging.js';
import { ORDER_STATUSES, type TtsShop } from '../store.js';

const MAX_DETAIL_IDS = 50;

const searchQuery = z.object({
  page_size: z.coerce.number().int().min(1).max(100),
  page_token: z.string().optional(),
  sort_field: z.enum(['create_time', 'update_time']).optional(),
  sort_order: z.enum(['ASC', 'DESC']).optional(),
});

const searchBody = z
  .object({
    order_status: z.enum(ORDER_STATUSES).optional(),
    create_time_ge: z.number().int().optional(),
    create_time_lt: z.number().int().optional(),
    update_time_ge: z.number().int().optional(),
    update_time_lt: z.number().int().optional(),
    buyer_user_id: z.string().optional(),
  })
  .optional();

function shopOf(call: EndpointCall): TtsShop {
  if (!call.shop) throw invalidRequest('shop_cipher is required');
  return call.shop;
}

function searchOrders(call: EndpointCall) {
  const shop = shopOf(call);
  const query = parseOrThrow(searchQuery, call.query);
  const filter = parseOrThrow(searchBody, call.body) ?? {};
  const sortField = query.sort_field ?? 'create_time';
  const matches = call.rt.store.ordersOfShop(shop.id).filter((order) => {
    if (filter.order_status && order.status !== filter.order_status) return false;
    if (filter.buyer_user_id && order.buyerUserId !== filter.buyer_user_id) return false;
    if (filter.create_time_ge !== undefined && order.createTime < filter.create_time_ge) return false;
    if (filter.create_time_lt !== undefined && order.createTime >= filter.create_time_lt) return false;
    if (filter.update_time_ge !== undefined && order.updateTime < filter.update_time_ge) return false;
    if (filter.update_time_lt !== undefined && order.updateTime >= filter.update_time_lt) return false;
    return true;
  });
  const order = query.sort_order ?? 'DESC';
  const { page, nextPageToken } = paginate(
    matches,
    (item) => ({ sortValue: sortField === 'create_time' ? item.createTime : item.updateTime, id: item.id }),
    {
      order,
      pageSize: query.page_size,
      pageToken: query.page_token,
      scope: `orders:${shop.id}:${sortField}:${order}`,
    },
  );
  return {
    orders: page.map((item) => mapOrder(item, shop, (uri) => call.rt.imageUrl(uri))),
    total_count: matches.length,
    next_page_token: nextPageToken,
  };
}

function orderDetail(call: EndpointCall) {
  const shop = shopOf(call);
  const ids = (call.query.ids ?? '')
    .split(',')
    .map((id) => id.trim())
    .filter((id) => id.length > 0);
  if (ids.length === 0)
    throw invalidRequest('Invalid request parameters. ids: at least one order id is required');
  if (ids.length > MAX_DETAIL_IDS) {
    throw invalidRequest(`Invalid request parameters. ids: at most ${MAX_DETAIL_IDS} order ids`);
  }
  // An unknown id, or one of another shop, fails the request (Get Order Detail: 21008111).
  const orders = ids.map((id) => {
    const found = call.rt.state.orders[id];
    if (!found || found.shopId !== shop.id) {
      throw new TtsError(
        TtsCode.orderNotOfSeller,
        `The order or package does not belong to the current seller. (order ${id})`,
      );
    }
    return mapOrder(found, shop, (uri) => call.rt.imageUrl(uri));
  });
  return { orders };
}

export const orderEndpoints: Endpoint[] = [
  // order/202309/orders/search (Get Order List)
  {
    method: 'POST',
    module: 'order',
    pattern: 'orders/search',
    name: 'Get Order List',
    shopCipher: 'required',
    handle: searchOrders,
  },
  // order/202309/orders (Get Order Detail)
  {
    method: 'GET',
    module: 'order',
    pattern: 'orders',
    name: 'Get Order Detail',
    shopCipher: 'required',
    handle: orderDetail,
  },
];
