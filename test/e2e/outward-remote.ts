/**
 * What the sandbox shops show, per seller SKU, for outward-sync e2e assertions: every remote item
 * carrying a SKU (so a duplicate shows as two entries), with its title, price and stock.
 */
import type { OutwardStack } from './outward-stack.js';

export interface RemoteSku {
  itemId: string;
  title: string;
  price: number;
  stock: number;
  status: string;
}

export interface RemoteShops {
  shopee: Map<string, RemoteSku[]>;
  tiktok: Map<string, RemoteSku[]>;
}

interface ShopeeState {
  items: Array<{
    itemId: number;
    itemName: string;
    itemSku: string;
    status: string;
    price: number | null;
    stock: number;
    models: Array<{ modelSku: string; price: number; stock: number }>;
  }>;
}
interface TiktokState {
  products: Array<{
    product_id: string;
    title: string;
    status: string;
    skus: Array<{ seller_sku: string; price: { amount: string }; stock: number }>;
  }>;
}

const add = (map: Map<string, RemoteSku[]>, sku: string, entry: RemoteSku) => {
  const list = map.get(sku) ?? [];
  list.push(entry);
  map.set(sku, list);
};

export async function remoteShops(stack: OutwardStack): Promise<RemoteShops> {
  const shopee = await stack.sandboxGet<ShopeeState>(`/shopee/shops/${stack.shopee.externalShopId}/state`);
  const tiktok = await stack.sandboxGet<TiktokState>(
    `/tiktok-shop/shops/${stack.tiktok.externalShopId}/state`,
  );
  const out: RemoteShops = { shopee: new Map(), tiktok: new Map() };
  for (const item of shopee.items) {
    const base = { itemId: String(item.itemId), title: item.itemName, status: item.status };
    if (item.models.length === 0) {
      add(out.shopee, item.itemSku, { ...base, price: item.price ?? -1, stock: item.stock });
    }
    for (const m of item.models) add(out.shopee, m.modelSku, { ...base, price: m.price, stock: m.stock });
  }
  for (const p of tiktok.products) {
    for (const s of p.skus) {
      add(out.tiktok, s.seller_sku, {
        itemId: p.product_id,
        title: p.title,
        status: p.status,
        price: Number(s.price.amount),
        stock: s.stock,
      });
    }
  }
  return out;
}

/** Listings of the run by channel and state, read from Postgres. */
export async function listingStates(
  stack: OutwardStack,
): Promise<Array<{ channel: string; state: string; inSync: boolean; n: number }>> {
  const { sql } = await import('drizzle-orm');
  return stack.database.db.execute<{ channel: string; state: string; inSync: boolean; n: number }>(sql`
    select c.channel, l.state, (l.pushed_version is not distinct from p.version) as "inSync", count(*)::int as n
    from channel_listings l
    join channel_connections c on c.id = l.connection_id
    join products p on p.id = l.product_id
    group by 1, 2, 3 order by 1, 2, 3`);
}
