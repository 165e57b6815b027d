/**
 * Inward sync for TikTok Shop (Tokopedia shops): orders changed in a window. Each vendor call names
 * its reference page (TikTok Shop API reference, reference §2.6).
 */
import {
  type CanonicalOrder,
  ChannelFailure,
  type OrderPage,
  type PullCursor,
  type PullWindow,
} from '../types.js';
import type { TiktokShopAuth, TiktokShopClient } from './client.js';
import { tiktokCanonicalOrder } from './mappers/orders.js';
import type { TiktokOrder } from './types.js';

/** Get Order List: page_size 1–100. */
const SEARCH_PAGE = 100;
/** Get Order Detail: at most 50 ids. */
export const TIKTOK_ORDER_DETAIL_BATCH = 50;

/**
 * One page of the shop's orders whose `update_time` is in [window.from, window.to). Order search
 * returns whole orders; any that come without their line items are read again through Get Order
 * Detail. The cursor is TikTok's own `page_token`, so a crashed pull resumes at the page it lost.
 */
export async function pullTiktokOrders(
  client: TiktokShopClient,
  auth: TiktokShopAuth,
  window: PullWindow,
  raw: PullCursor | null,
): Promise<OrderPage> {
  const ge = Math.floor(window.from.getTime() / 1000);
  const lt = Math.ceil(window.to.getTime() / 1000);
  if (lt <= ge) return { orders: [], next: null };
  const pageToken = typeof raw?.pageToken === 'string' && raw.pageToken !== '' ? raw.pageToken : undefined;
  // order/202309/orders/search (Get Order List): POST, paging in the query, filters in the body;
  // half-open update_time range, oldest change first so the page order follows the watermark.
  const search = (token: string | undefined) =>
    client.request<{ orders?: TiktokOrder[]; next_page_token?: string }>(
      'POST',
      '/order/202309/orders/search',
      {
        auth,
        query: { page_size: SEARCH_PAGE, sort_field: 'update_time', sort_order: 'ASC', page_token: token },
        body: { update_time_ge: ge, update_time_lt: lt },
      },
    );
  let data: Awaited<ReturnType<typeof search>>;
  try {
    data = await search(pageToken);
  } catch (err) {
    // A stored token TikTok no longer takes (expired while the pull waited): start the window over;
    // orders seen twice are upserted, so restarting loses nothing.
    if (pageToken === undefined || !isStalePageToken(err)) throw err;
    data = await search(undefined);
  }
  const found = data?.orders ?? [];
  const complete = found.filter((o) => o.line_items !== undefined);
  const partial = found.filter((o) => o.line_items === undefined).map((o) => o.id);
  const orders: CanonicalOrder[] = complete.map(tiktokCanonicalOrder);
  orders.push(...(await tiktokOrderDetails(client, auth, partial)));
  const next = data?.next_page_token ? { pageToken: data.next_page_token } : null;
  return { orders, next };
}

/** 36009004 is TikTok's catch-all "invalid request"; only the message tells a bad page token apart. */
function isStalePageToken(err: unknown): boolean {
  return err instanceof ChannelFailure && err.platformCode === '36009004' && /page_token/i.test(err.human.en);
}

/** Whole orders by id, 50 per call. */
export async function tiktokOrderDetails(
  client: TiktokShopClient,
  auth: TiktokShopAuth,
  ids: readonly string[],
): Promise<CanonicalOrder[]> {
  const orders: CanonicalOrder[] = [];
  for (let i = 0; i < ids.length; i += TIKTOK_ORDER_DETAIL_BATCH) {
    const batch = ids.slice(i, i + TIKTOK_ORDER_DETAIL_BATCH);
    // order/202309/orders (Get Order Detail): `ids` comma-joined, at most 50.
    const data = await client.request<{ orders?: TiktokOrder[] }>('GET', '/order/202309/orders', {
      auth,
      query: { ids: batch.join(',') },
    });
    orders.push(...(data?.orders ?? []).map(tiktokCanonicalOrder));
  }
  return orders;
}
