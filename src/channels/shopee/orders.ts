/**
 * Inward sync for Shopee: orders changed in a window, and the lost-push gap filler.
 * Each vendor call names its reference page (Shopee Open Platform v2, `v2.<module>.<api>`).
 */
import type { CanonicalOrder, OrderPage, PullCursor, PullWindow } from '../types.js';
import { ChannelFailure } from '../types.js';
import type { ShopeeClient, ShopeeShop } from './client.js';
import { SHOPEE_ORDER_DETAIL_FIELDS, shopeeCanonicalOrder } from './mappers/orders.js';
import type { ShopeeOrderDetail, ShopeeOrderList } from './types.js';

/** v2.order.get_order_list: `time_to - time_from` at most 15 days (`order.order_list_invalid_time`). */
export const SHOPEE_ORDER_WINDOW_SECONDS = 15 * 86_400;
/** v2.order.get_order_list: page_size 1–100. */
const ORDER_LIST_PAGE = 100;
/** v2.order.get_order_detail: 1–50 order_sn per call. */
export const SHOPEE_ORDER_DETAIL_BATCH = 50;

/**
 * Where a pull stands: the start (Unix seconds) of the ≤15-day slice being paged, and Shopee's
 * `next_cursor` inside it ('' = the slice's first page). Stored after every page, so a crashed pull
 * resumes at the page it had not finished.
 */
interface ShopeePullCursor {
  sliceFrom: number;
  cursor: string;
}

function readCursor(raw: PullCursor | null, start: number, end: number): ShopeePullCursor {
  const sliceFrom = raw?.sliceFrom;
  const cursor = raw?.cursor;
  if (typeof sliceFrom === 'number' && Number.isInteger(sliceFrom) && sliceFrom >= start && sliceFrom < end) {
    return { sliceFrom, cursor: typeof cursor === 'string' ? cursor : '' };
  }
  return { sliceFrom: start, cursor: '' };
}

/**
 * One page of the shop's orders whose `update_time` is in [window.from, window.to): one
 * `get_order_list` page (100) and its details in batches of 50. Slices with no orders are skipped in
 * the same call, so an idle shop costs one list call per 15 days of window.
 */
export async function pullShopeeOrders(
  client: ShopeeClient,
  shop: ShopeeShop,
  window: PullWindow,
  raw: PullCursor | null,
): Promise<OrderPage> {
  // Shopee's bounds are whole seconds, both inclusive: [floor(from), ceil(to) - 1] covers [from, to).
  const start = Math.floor(window.from.getTime() / 1000);
  const end = Math.ceil(window.to.getTime() / 1000);
  if (end <= start) return { orders: [], next: null };
  let at = readCursor(raw, start, end);
  for (;;) {
    const sliceTo = Math.min(at.sliceFrom + SHOPEE_ORDER_WINDOW_SECONDS, end);
    // v2.order.get_order_list: by update_time (create_time would miss later status changes).
    const listPage = (cursor: string) =>
      client.get<ShopeeOrderList>('/api/v2/order/get_order_list', {
        shop,
        query: {
          time_range_field: 'update_time',
          time_from: at.sliceFrom,
          time_to: sliceTo - 1,
          page_size: ORDER_LIST_PAGE,
          cursor: cursor === '' ? undefined : cursor,
        },
      });
    let list: Awaited<ReturnType<typeof listPage>>;
    try {
      list = await listPage(at.cursor);
    } catch (err) {
      // A stored cursor Shopee no longer takes: page the slice again from its start (orders seen
      // twice are upserted, so nothing is lost or doubled).
      if (at.cursor === '' || !isStaleCursor(err)) throw err;
      list = await listPage('');
    }
    const sns = [...new Set((list.response?.order_list ?? []).map((o) => o.order_sn))];
    const orders = await shopeeOrderDetails(client, shop, sns);
    const more = list.response?.more === true && (list.response.next_cursor ?? '') !== '';
    const next: ShopeePullCursor | null = more
      ? { sliceFrom: at.sliceFrom, cursor: list.response?.next_cursor ?? '' }
      : sliceTo < end
        ? { sliceFrom: sliceTo, cursor: '' }
        : null;
    if (orders.length > 0 || next === null) return { orders, next: next ? { ...next } : null };
    at = next;
  }
}

function isStaleCursor(err: unknown): boolean {
  return err instanceof ChannelFailure && err.platformCode === 'error_param' && /cursor/i.test(err.human.en);
}

/** Full orders for these order numbers, in batches of 50. */
export async function shopeeOrderDetails(
  client: ShopeeClient,
  shop: ShopeeShop,
  sns: readonly string[],
): Promise<CanonicalOrder[]> {
  const orders: CanonicalOrder[] = [];
  for (let i = 0; i < sns.length; i += SHOPEE_ORDER_DETAIL_BATCH) {
    const batch = sns.slice(i, i + SHOPEE_ORDER_DETAIL_BATCH);
    // v2.order.get_order_detail: comma-joined order_sn_list; items, prices and pay_time are opt-in.
    const res = await client.get<{ order_list?: ShopeeOrderDetail[] }>('/api/v2/order/get_order_detail', {
      shop,
      query: {
        order_sn_list: batch.join(','),
        response_optional_fields: SHOPEE_ORDER_DETAIL_FIELDS.join(','),
      },
    });
    const found = res.response?.order_list ?? [];
    for (const order of found) {
      if (order.item_list === undefined) {
        // Without its items an order would be stored empty; refuse the page and pull it again later.
        throw new ChannelFailure('retryable', 'unexpected_get_order_detail', {
          en: `Shopee sent order ${order.order_sn} without its items; we will try again.`,
          id: `Shopee mengirim pesanan ${order.order_sn} tanpa barangnya; kami akan mencoba lagi.`,
        });
      }
      orders.push(shopeeCanonicalOrder(order));
    }
  }
  return orders;
}

/** One pushed message Shopee could not deliver, as `get_lost_push_message` returns it. */
export interface ShopeeLostPush {
  /** The shop the push concerns (`0` for pushes about the partner itself). */
  shopId: string;
  /** Push code: 3 is an order status update (reference §1.8). */
  code: number;
  timestamp: number;
  /** The push's own `data` object, when Shopee sent one that parses. */
  data: Record<string, unknown> | undefined;
}

export interface ShopeeLostPushPage {
  messages: ShopeeLostPush[];
  hasNextPage: boolean;
  /** Confirm up to this id once the messages are handled (0: nothing to confirm). */
  lastMessageId: number;
}

interface WireLostPush {
  shop_id?: number;
  code?: number;
  timestamp?: number;
  /** Typed `string` in the reference; its sample is the whole push as an object. Both are read. */
  data?: unknown;
}

/** The push's `data`: a JSON string or an object, holding either the inner data or the whole push. */
function pushData(raw: unknown): Record<string, unknown> | undefined {
  let value = raw;
  if (typeof value === 'string') {
    try {
      value = JSON.parse(value);
    } catch {
      return undefined;
    }
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const record = value as Record<string, unknown>;
  const inner = record.data;
  if ('code' in record && typeof inner === 'object' && inner !== null && !Array.isArray(inner)) {
    return inner as Record<string, unknown>;
  }
  return record;
}

/** v2.push.get_lost_push_message (public API): the earliest 100 unacknowledged pushes of the last 3 days. */
export async function getShopeeLostPushMessages(client: ShopeeClient): Promise<ShopeeLostPushPage> {
  const res = await client.get<{
    push_message_list?: WireLostPush[];
    has_next_page?: boolean;
    last_message_id?: number;
  }>('/api/v2/push/get_lost_push_message');
  return {
    messages: (res.response?.push_message_list ?? []).map((m) => ({
      shopId: String(m.shop_id ?? 0),
      code: m.code ?? 0,
      timestamp: m.timestamp ?? 0,
      data: pushData(m.data),
    })),
    hasNextPage: res.response?.has_next_page === true,
    lastMessageId: res.response?.last_message_id ?? 0,
  };
}

/** v2.push.confirm_consumed_lost_push_message (public API): everything up to `lastMessageId` is handled. */
export async function confirmShopeeLostPushMessages(
  client: ShopeeClient,
  lastMessageId: number,
): Promise<void> {
  await client.post('/api/v2/push/confirm_consumed_lost_push_message', {
    body: { last_message_id: lastMessageId },
  });
}
