/**
 * Single orders end to end, with the real sandbox, API and worker processes and the platforms'
 * webhooks pointing at our routes (the tests trigger no pull, the webhooks do, except where the
 * webhooks are switched off):
 * - an order cancelled in the sandbox is taken back in the figures and the stock, after its webhook,
 *   or with the webhooks lost, after the next pull;
 * - a Shopee sale of a variant's last unit takes that variant to 0 on the Tokopedia listing, and a title
 *   edit the crafter saves meanwhile (on the ETag read before the sale) does not bring the unit back;
 * - a forged webhook is refused (401) and starts no pull; a replayed genuine one counts nothing twice;
 * - afterwards no token or key is in the logs, Redis, the database or API responses.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KELURAHAN } from '../factories/index.js';
import {
  type Figures,
  type InwardCrafter,
  type InwardStack,
  jakartaDay,
  pickFigures,
  replayWebhook,
  type SalesSummary as Summary,
  sandboxSum,
  startInwardStack,
  type WebhookDelivery,
} from './inward-stack.js';
import { scanForSecrets, until } from './outward-stack.js';

interface ProductView {
  title: string;
  variants: Array<{ id: string; sku: string; stock: number }>;
}
interface TiktokProduct {
  product_id: string;
  title: string;
  skus: Array<{ seller_sku: string; stock: number }>;
}
interface ShopeeItem {
  itemName: string;
  models: Array<{ modelSku: string; stock: number }>;
}

let stack: InwardStack;
let crafter: InwardCrafter;
const today = () => jakartaDay(Date.now());

beforeAll(async () => {
  stack = await startInwardStack('inward_orders', { kelurahan: [KELURAHAN.ciater] });
  crafter = stack.crafters[0] as InwardCrafter;
}, 180_000);

afterAll(async () => {
  await stack?.close();
}, 60_000);

async function figures(channel: 'shopee' | 'tiktok_shop'): Promise<Figures> {
  const s = await stack.city.json<Summary>(
    'GET',
    `/v1/sales/summary?from=${today()}&to=${today()}&groupBy=channel`,
  );
  const row = s.rows.find((r) => r.channel === channel);
  return row ? pickFigures(row) : { grossIdr: 0, netIdr: 0, units: 0, orders: 0 };
}

const sandboxFigures = (platform: 'shopee' | 'tiktok-shop', shopId: string): Promise<Figures> =>
  sandboxSum(stack, platform, shopId, today(), today());

async function product(id: string): Promise<ProductView> {
  return crafter.client.json<ProductView>('GET', `/v1/products/${id}`);
}
const stockOf = async (productId: string, sku: string) =>
  (await product(productId)).variants.find((v) => v.sku === sku)?.stock;

async function tiktokSku(sku: string) {
  const { products } = await stack.sandboxGet<{ products: TiktokProduct[] }>(
    `/tiktok-shop/shops/${crafter.tiktok.externalShopId}/state`,
  );
  const p = products.find((x) => x.skus.some((s) => s.seller_sku === sku));
  return { title: p?.title, stock: p?.skus.find((s) => s.seller_sku === sku)?.stock };
}
async function shopeeModel(sku: string) {
  const { items } = await stack.sandboxGet<{ items: ShopeeItem[] }>(
    `/shopee/shops/${crafter.shopee.externalShopId}/state`,
  );
  const item = items.find((i) => i.models.some((m) => m.modelSku === sku));
  return { title: item?.itemName, stock: item?.models.find((m) => m.modelSku === sku)?.stock };
}

let orderCounter = 0;
const orderSn = () => {
  orderCounter += 1;
  return `E2E${Date.now().toString(36).toUpperCase()}${orderCounter}`;
};

describe('inward orders (real processes, webhooks)', () => {
  it('an order cancelled in the sandbox is taken back, in the figures and the stock, after its webhook', {
    timeout: 120_000,
  }, async () => {
    const p = await stack.liveProduct(
      crafter,
      [crafter.shopee.id, crafter.tiktok.id],
      [
        { warna: 'biru', priceIdr: 120_000, stock: 10 },
        { warna: 'kuning', priceIdr: 90_000, stock: 10 },
      ],
    );
    const [a, b] = p.variants.map((v) => v.sku) as [string, string];
    await until('Tokopedia SKU live with stock', async () => (await tiktokSku(b)).stock === 10, 30_000);

    // Shopee: 2 units of A, paid; its webhook makes us pull it.
    const sn = orderSn();
    await stack.sandboxPost('/shopee/orders', {
      shopId: Number(crafter.shopee.externalShopId),
      orders: [{ orderSn: sn, status: 'READY_TO_SHIP', lines: [{ sku: a, quantity: 2 }] }],
    });
    // TikTok (Tokopedia): 3 units of B.
    const tk = await stack.sandboxPost<{ orders: Array<{ id: string }> }>('/tiktok-shop/orders', {
      shop_id: crafter.tiktok.externalShopId,
      orders: [{ status: 'AWAITING_SHIPMENT', lines: [{ seller_sku: b, quantity: 3 }] }],
    });
    const tkId = tk.orders[0]?.id ?? '';
    expect(tkId).not.toBe('');

    await until('both sales counted', async () => {
      const [s, t] = await Promise.all([figures('shopee'), figures('tiktok_shop')]);
      return s.orders === 1 && t.orders === 1;
    });
    expect(await figures('shopee')).toEqual(await sandboxFigures('shopee', crafter.shopee.externalShopId));
    expect(await figures('shopee')).toEqual({ grossIdr: 240_000, netIdr: 240_000, units: 2, orders: 1 });
    expect(await figures('tiktok_shop')).toEqual(
      await sandboxFigures('tiktok-shop', crafter.tiktok.externalShopId),
    );
    await until(
      'stock after the sales',
      async () => (await stockOf(p.id, a)) === 8 && (await stockOf(p.id, b)) === 7,
    );

    // Cancelled on both platforms: each sends its webhook; nothing else is triggered here. (Runs
    // before this moment may include the shops' first pulls, queued when they were connected.)
    const cancelledAt = Date.now();
    await stack.sandboxPost(`/shopee/orders/${sn}/status`, { status: 'CANCELLED' });
    await stack.sandboxPost(`/tiktok-shop/orders/${tkId}/status`, { status: 'CANCELLED' });
    await until(
      'the cancellations taken back',
      async () => {
        const [s, t] = await Promise.all([figures('shopee'), figures('tiktok_shop')]);
        return s.netIdr === 0 && t.netIdr === 0;
      },
      30_000,
    );
    // Counted once (it was paid), taken back in net and units; the stock is back.
    expect(await figures('shopee')).toEqual({ grossIdr: 240_000, netIdr: 0, units: 0, orders: 1 });
    expect(await figures('shopee')).toEqual(await sandboxFigures('shopee', crafter.shopee.externalShopId));
    expect(await figures('tiktok_shop')).toEqual(
      await sandboxFigures('tiktok-shop', crafter.tiktok.externalShopId),
    );
    await until('stock back', async () => (await stockOf(p.id, a)) === 10 && (await stockOf(p.id, b)) === 10);
    // Only the webhooks pulled the cancellations (the tests trigger nothing).
    const runs = (await stack.pullRuns()).filter((r) => new Date(r.started_at).getTime() >= cancelledAt);
    expect(runs.length).toBeGreaterThan(0);
    expect(new Set(runs.map((r) => r.reason))).toEqual(new Set(['webhook']));
  });

  it('with the webhooks lost, a sale and its cancellation are reflected after the next pull', {
    timeout: 120_000,
  }, async () => {
    const tiktokApp = stack.appEnv.TIKTOK_SHOP_APP_KEY ?? '';
    await stack.sandboxPost('/tiktok-shop/configure', { app_key: tiktokApp, webhook_url: '' });
    try {
      const p = await stack.liveProduct(
        crafter,
        [crafter.tiktok.id],
        [{ warna: 'ungu', priceIdr: 55_000, stock: 6 }],
      );
      const sku = p.variants[0]?.sku ?? '';
      await until('Tokopedia SKU live', async () => (await tiktokSku(sku)).stock === 6, 30_000);
      const placed = await stack.sandboxPost<{ orders: Array<{ id: string }> }>('/tiktok-shop/orders', {
        shop_id: crafter.tiktok.externalShopId,
        orders: [{ status: 'AWAITING_SHIPMENT', lines: [{ seller_sku: sku, quantity: 2 }] }],
      });
      const id = placed.orders[0]?.id ?? '';
      const sandboxTruth = () => sandboxFigures('tiktok-shop', crafter.tiktok.externalShopId);

      const [sold] = await stack.pull([crafter.tiktok.id]);
      expect(sold?.status).toBe('succeeded');
      expect(await figures('tiktok_shop')).toEqual(await sandboxTruth());
      expect(await stockOf(p.id, sku)).toBe(4);

      await stack.sandboxPost(`/tiktok-shop/orders/${id}/status`, { status: 'CANCELLED' });
      const [cancelled] = await stack.pull([crafter.tiktok.id]);
      expect(cancelled?.status).toBe('succeeded');
      expect(await figures('tiktok_shop')).toEqual(await sandboxTruth());
      expect(await stockOf(p.id, sku)).toBe(6);
    } finally {
      await stack.sandboxPost('/tiktok-shop/configure', {
        app_key: tiktokApp,
        webhook_url: `${stack.api}/v1/webhooks/tiktok-shop`,
      });
    }
  });

  it('a Shopee sale of the last unit takes the Tokopedia SKU to 0; a title edit saved meanwhile does not bring it back', {
    timeout: 120_000,
  }, async () => {
    const p = await stack.liveProduct(
      crafter,
      [crafter.shopee.id, crafter.tiktok.id],
      [
        { warna: 'merah', priceIdr: 175_000, stock: 1 },
        { warna: 'hitam', priceIdr: 175_000, stock: 4 },
      ],
    );
    const [last, other] = p.variants.map((v) => v.sku) as [string, string];
    await until('Tokopedia shows the last unit', async () => (await tiktokSku(last)).stock === 1, 30_000);

    // The crafter opens the product before the sale…
    const opened = await crafter.client.call('GET', `/v1/products/${p.id}`);
    const etag = opened.headers.get('etag') ?? '';
    expect(etag).not.toBe('');

    const placedAt = Date.now();
    const sn = orderSn();
    await stack.sandboxPost('/shopee/orders', {
      shopId: Number(crafter.shopee.externalShopId),
      orders: [{ orderSn: sn, status: 'READY_TO_SHIP', lines: [{ sku: last, quantity: 1 }] }],
    });
    // …and saves a new title meanwhile, on the version read before the sale.
    const newTitle = `${p.title} Edisi Terbatas`;
    const saved = await crafter.client.call(
      'PATCH',
      `/v1/products/${p.id}`,
      { title: newTitle },
      { 'if-match': etag },
    );
    expect(saved.status, await saved.clone().text()).toBe(200);

    const zeroAt = await until(
      'Tokopedia SKU at 0',
      async () => (await tiktokSku(last)).stock === 0 && Date.now(),
      30_000,
      25,
    );
    const [ingested] = await stack.database.sql<{ at: Date }[]>`
      select first_seen_at as at from orders where external_order_id = ${sn}`;
    const ingestedAt = ingested ? new Date(ingested.at).getTime() : Number.NaN;
    // Reported, not asserted (timings are never asserted in tests): see the report / BENCHMARKS.
    console.log(
      `last-unit: Tokopedia at 0 ${zeroAt - placedAt} ms after the Shopee order was placed, ${zeroAt - ingestedAt} ms after our ingest`,
    );

    // The title edit reaches both shops; the sold unit stays sold everywhere.
    await until(
      'new title on Tokopedia and Shopee',
      async () => {
        const [t, s] = await Promise.all([tiktokSku(last), shopeeModel(last)]);
        return t.title === newTitle && s.title === newTitle;
      },
      30_000,
    );
    await until('listings settled', async () => {
      const { items } = await crafter.client.json<{ items: Array<{ state: string }> }>(
        'GET',
        `/v1/products/${p.id}/listings`,
      );
      return items.every((l) => l.state === 'live');
    });
    expect((await tiktokSku(last)).stock).toBe(0);
    expect((await tiktokSku(other)).stock).toBe(4);
    expect((await shopeeModel(last)).stock).toBe(0);
    expect(await stockOf(p.id, last)).toBe(0);
    expect((await product(p.id)).title).toBe(newTitle);
  });

  it('a forged webhook is answered 401 and starts no pull; a replayed genuine one counts nothing twice', {
    timeout: 120_000,
  }, async () => {
    const deliveries = (await stack.sandboxWebhooks()).filter((d) => d.state === 'delivered');
    const genuine = {
      shopee: deliveries.find((d) => d.platform === 'shopee') as WebhookDelivery,
      tiktok: deliveries.find((d) => d.platform === 'tiktok-shop') as WebhookDelivery,
    };
    expect(genuine.shopee).toBeDefined();
    expect(genuine.tiktok).toBeDefined();

    // Pull jobs waiting or running (the schedulers' own next jobs are not pulls).
    const pendingPulls = async () =>
      (await stack.pullQueue.getJobs(['waiting', 'active', 'delayed', 'prioritized'])).filter(
        (j) => j.name === 'pull',
      ).length;
    const orderListCalls = async () => {
      const { counters } = await stack.sandboxGet<{ counters: Record<string, { calls: number }> }>(
        '/counters',
      );
      return Object.entries(counters)
        .filter(([k]) => /get_order_list|orders\/search/.test(k))
        .reduce((n, [, c]) => n + c.calls, 0);
    };
    const receivedLogged = () => stack.logs.filter((l) => l.includes('webhook received')).length;
    await until('no pull pending', async () => (await pendingPulls()) === 0);
    const runsBefore = (await stack.pullRuns()).length;
    const callsBefore = await orderListCalls();
    const loggedBefore = receivedLogged();
    const summaryBefore = await stack.city.json<Summary>(
      'GET',
      `/v1/sales/summary?from=${today()}&to=${today()}&groupBy=channel`,
    );

    // Forged: the genuine body under a wrong signature, an altered body under the genuine signature,
    // and no signature at all.
    const forgeries: WebhookDelivery[] = [];
    for (const d of [genuine.shopee, genuine.tiktok]) {
      const auth = Object.keys(d.headers).find((k) => k.toLowerCase() === 'authorization') ?? 'authorization';
      forgeries.push(
        { ...d, headers: { ...d.headers, [auth]: 'f'.repeat(64) } },
        { ...d, body: `${d.body} `, headers: d.headers },
        { ...d, headers: Object.fromEntries(Object.entries(d.headers).filter(([k]) => k !== auth)) },
      );
    }
    for (const f of forgeries) {
      expect(await replayWebhook(f)).toBe(401);
      // A verified webhook queues its pull before it answers: none is there, none ran.
      expect(await pendingPulls()).toBe(0);
      expect((await stack.pullRuns()).length).toBe(runsBefore);
    }
    expect(await orderListCalls()).toBe(callsBefore);
    expect(receivedLogged()).toBe(loggedBefore);

    // Replayed genuine ones: accepted (the platforms retry), each pulls its shop, nothing counts twice.
    const since = new Date();
    for (let i = 0; i < 3; i += 1) {
      expect(await replayWebhook(genuine.shopee)).toBe(200);
      expect(await replayWebhook(genuine.tiktok)).toBe(200);
    }
    await until('the replays’ pulls ran', async () => {
      const rows = await stack.database.sql<{ n: number }[]>`
        select count(distinct connection_id)::int as n from channel_pull_runs
         where started_at >= ${since.toISOString()}::timestamptz and finished_at is not null`;
      return rows[0]?.n === 2;
    });
    // The forged ones queued nothing: the only runs since are the replays', at most one per replay
    // (replays that arrive while a pull of the shop waits are absorbed by it; a pull that finished
    // before the next replay arrived leaves that replay its own).
    const after = await stack.pullRuns();
    expect(after.length - runsBefore).toBeGreaterThanOrEqual(2);
    expect(after.length - runsBefore).toBeLessThanOrEqual(6);
    expect(new Set(after.slice(0, after.length - runsBefore).map((r) => r.reason))).toEqual(
      new Set(['webhook']),
    );
    const summaryAfter = await stack.city.json<Summary>(
      'GET',
      `/v1/sales/summary?from=${today()}&to=${today()}&groupBy=channel`,
    );
    expect(summaryAfter.rows).toEqual(summaryBefore.rows);
  });

  it('no token or key in logs, Redis, the database or API responses after orders and webhooks', {
    timeout: 120_000,
  }, async () => {
    expect((await stack.sandboxWebhooks()).length).toBeGreaterThan(0);
    const scan = await scanForSecrets(stack);
    expect(scan.secrets).toBeGreaterThanOrEqual(4 + 2);
    expect(scan.leaks).toEqual([]);
    for (const size of Object.values(scan.places)) expect(size).toBeGreaterThan(1_000);
  });
});
