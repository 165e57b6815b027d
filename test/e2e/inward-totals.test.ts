/**
 * Inward sync end to end, at the size, with the real sandbox, API and worker processes: three
 * crafters in two kecamatan (Serpong: Ciater and Rawabuntu; Serpong Utara: Pakulonan), each with a
 * Shopee and a Tokopedia shop connected through the real authorization flow, one also enrolled with a
 * partner brand whose sales report is uploaded as CSV. The sandbox places 5,000 orders over 60 days
 * (cancellations, returns, unpaid and held orders, units cancelled on their own), 50 of them with the
 * platforms' webhooks. After the pulls, `GET /v1/sales/summary` equals the sandbox's own totals exactly
 * per channel, crafter, kecamatan and Jakarta day; three more pulls, every webhook replayed and the
 * nightly jobs run twice change no figure; the regional admins' summaries add up; and no secret is
 * found in logs, Redis, the database or API responses.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PartnerSalesLine } from '../../src/channels/partner-brand/sales.js';
import { KECAMATAN, KELURAHAN } from '../factories/index.js';
import { SHOPEE_STATUS_MIX, TIKTOK_STATUS_MIX } from '../helpers/sales-figures.js';
import {
  type Client,
  type Figures,
  type InwardStack,
  jakartaDay,
  pickFigures as pick,
  replayWebhook,
  type SalesSummary as Summary,
  startInwardStack,
} from './inward-stack.js';
import { scanForSecrets, until } from './outward-stack.js';

type Row = Summary['rows'][number];
interface SandboxTotals {
  totals: Array<Figures & { shopId: string; day: string }>;
  sum: Figures;
}

let stack: InwardStack;
let partner: { connectionId: string; partnerId: string };
const now = Date.now();
const from = jakartaDay(now - 62 * 86_400_000);
const to = jakartaDay(now + 86_400_000);
/** kecamatan of each crafter, by crafter id. */
const kecamatanOf = new Map<string, string>();

const PLATFORM_OF = { shopee: 'shopee', tiktok_shop: 'tiktok-shop', partner_brand: 'partner-brand' } as const;

beforeAll(async () => {
  stack = await startInwardStack('inward_totals', {
    kelurahan: [KELURAHAN.ciater, KELURAHAN.rawabuntu, KELURAHAN.pakulonan],
    pausePulls: true,
  });
  for (const c of stack.crafters) kecamatanOf.set(c.id, c.kelurahanCode.split('.').slice(0, 3).join('.'));

  // The partner brand issues keys to the council; the first crafter is enrolled by an admin.
  const app = await stack.sandboxPost<{ partner_id: string; key: string; secret: string }>(
    '/partner-brand/apps',
    { name: 'Galeri Kriya' },
  );
  const first = stack.crafters[0];
  if (!first) throw new Error('no crafter');
  const enrolled = await stack.city.json<{ id: string }>(
    'POST',
    `/v1/crafters/${first.id}/connections/partner-brand`,
    { partnerProgrammeId: app.partner_id, apiKey: app.key, apiSecret: app.secret },
  );
  partner = { connectionId: enrolled.id, partnerId: app.partner_id };

  // Each crafter's product, live on their shops (and the partner's assortment for the first).
  for (const [n, c] of stack.crafters.entries()) {
    await stack.liveProduct(
      c,
      n === 0 ? [c.shopee.id, c.tiktok.id, partner.connectionId] : [c.shopee.id, c.tiktok.id],
      [
        { warna: 'merah', priceIdr: 150_000 + n * 5_000, stock: 100_000 },
        { warna: 'hijau', priceIdr: 85_500 + n * 1_000, stock: 100_000 },
      ],
    );
  }

  // 5,000 orders over the last 60 days: 4,950 placed in bulk (no webhooks), 50 recent ones with them.
  const nowS = Math.floor(Date.now() / 1000);
  const start = nowS - 60 * 86_400;
  let placed = 0;
  for (const [n, c] of stack.crafters.entries()) {
    const withHooks = n === 0 ? 9 : 8;
    for (const [count, webhooks, seed] of [
      [825, false, `bulk-${n}`],
      [withHooks, true, `live-${n}`],
    ] as const) {
      await stack.sandboxPost('/shopee/orders', {
        shopId: Number(c.shopee.externalShopId),
        count,
        seed: `s-${seed}`,
        from: webhooks ? nowS - 3_000 : start,
        to: nowS - 60,
        webhooks,
        statuses: SHOPEE_STATUS_MIX,
      });
      await stack.sandboxPost('/tiktok-shop/orders', {
        shop_id: c.tiktok.externalShopId,
        count,
        seed: `t-${seed}`,
        from: webhooks ? nowS - 3_000 : start,
        to: nowS - 60,
        webhooks,
        partial_cancel_rate: 0.2,
        statuses: TIKTOK_STATUS_MIX,
      });
      placed += 2 * count;
    }
  }
  expect(placed).toBe(5_000);

  // The partner's sales report: generated in the partner's system, uploaded by an admin as its CSV.
  const report = await stack.sandboxPost<{ lines: PartnerSalesLine[] }>('/partner-brand/orders', {
    partner_id: partner.partnerId,
    seed: 'partner',
    count: 300,
    from: start,
    to: nowS - 60,
  });
  const csv = [
    'report_line_id,sku,quantity,unit_price_idr,sold_at,outlet',
    ...report.lines.map((l) =>
      [l.report_line_id, l.sku, l.quantity, l.unit_price_idr, l.sold_at, l.outlet].join(','),
    ),
  ].join('\r\n');
  await stack.city.json('POST', `/v1/connections/${partner.connectionId}/sales-reports`, csv, {
    'content-type': 'text/csv',
  });

  // The shops' history is in place: our pulls start (the connections' first pulls, the webhooks').
  await stack.resumePulls();
  // Every webhook delivered (each queued a pull of its shop), then one pull of every connection.
  await until(
    'the sandbox delivered its webhooks',
    async () => {
      const hooks = await stack.sandboxWebhooks();
      return hooks.length >= 50 && hooks.every((h) => h.state === 'delivered') && hooks.length;
    },
    60_000,
    250,
  );
  const runs = await stack.pull(allConnections(), 240_000);
  expect(runs.map((r) => [r.connection_id, r.status, r.error])).toEqual(
    allConnections()
      .map((id) => [id, 'succeeded', null])
      .sort(),
  );
}, 600_000);

afterAll(async () => {
  await stack?.close();
}, 60_000);

function allConnections(): string[] {
  return [...stack.crafters.flatMap((c) => [c.shopee.id, c.tiktok.id]), partner.connectionId].sort();
}

async function summary(client: Client, groupBy: string[], region?: string): Promise<Summary> {
  const q = new URLSearchParams({ from, to, ...(groupBy.length ? { groupBy: groupBy.join(',') } : {}) });
  if (region) q.set('region', region);
  return client.json<Summary>('GET', `/v1/sales/summary?${q}`);
}

const add = (a: Figures, b: Figures): Figures => ({
  grossIdr: a.grossIdr + b.grossIdr,
  netIdr: a.netIdr + b.netIdr,
  units: a.units + b.units,
  orders: a.orders + b.orders,
});
const zero: Figures = { grossIdr: 0, netIdr: 0, units: 0, orders: 0 };

/** The sandbox's own figures per (channel, crafter, day), keyed like our rows. */
async function sandboxTruth(): Promise<Map<string, Figures>> {
  const truth = new Map<string, Figures>();
  const shops: Array<[keyof typeof PLATFORM_OF, string, string]> = [
    ...stack.crafters.flatMap(
      (c) =>
        [
          ['shopee', c.shopee.externalShopId, c.id],
          ['tiktok_shop', c.tiktok.externalShopId, c.id],
        ] as Array<[keyof typeof PLATFORM_OF, string, string]>,
    ),
    ['partner_brand', partner.partnerId, stack.crafters[0]?.id ?? ''],
  ];
  for (const [channel, shopId, crafterId] of shops) {
    const t = await stack.sandboxGet<SandboxTotals>(
      `/${PLATFORM_OF[channel]}/shops/${shopId}/sales-totals?from=${from}&to=${to}`,
    );
    for (const row of t.totals) truth.set(`${channel}|${crafterId}|${row.day}`, pick(row));
  }
  return truth;
}

function rollUp(
  byKey: Map<string, Figures>,
  keyOf: (channel: string, crafter: string, day: string) => string,
) {
  const out = new Map<string, Figures>();
  for (const [key, f] of byKey) {
    const [channel = '', crafter = '', day = ''] = key.split('|');
    const k = keyOf(channel, crafter, day);
    out.set(k, add(out.get(k) ?? zero, f));
  }
  return Object.fromEntries([...out.entries()].sort(([a], [b]) => a.localeCompare(b)));
}

async function ours(groupBy: string[], keyOf: (r: Row) => string) {
  const s = await summary(stack.city, groupBy);
  return Object.fromEntries(
    s.rows.map((r) => [keyOf(r), pick(r)] as const).sort(([a], [b]) => a.localeCompare(b)),
  );
}

/** Everything the figures checks compare: summary by shop and day, by kecamatan, and the totals. */
async function snapshot() {
  const [byShopDay, byKecamatan, total] = await Promise.all([
    summary(stack.city, ['channel', 'crafter', 'day']),
    summary(stack.city, ['kecamatan', 'kelurahan', 'channel']),
    summary(stack.city, []),
  ]);
  const [[counts]] = [
    await stack.database.sql`select (select count(*) from orders)::int as orders,
                                    (select count(*) from order_lines)::int as lines,
                                    (select count(*) from stock_movements)::int as movements`,
  ];
  return { byShopDay: byShopDay.rows, byKecamatan: byKecamatan.rows, totals: total.totals, counts };
}

describe('inward totals (real processes, 5,000 orders)', () => {
  let before: Awaited<ReturnType<typeof snapshot>>;

  it('the summary equals the sandbox’s own totals exactly: per channel, per crafter, per kecamatan, per shop and day', {
    timeout: 60_000,
  }, async () => {
    const truth = await sandboxTruth();
    expect(truth.size).toBeGreaterThan(6 * 55);

    expect(await ours(['channel'], (r) => `${r.channel}`)).toEqual(rollUp(truth, (ch) => ch));
    expect(await ours(['crafter'], (r) => `${r.crafterId}`)).toEqual(rollUp(truth, (_, c) => c));
    expect(await ours(['kecamatan'], (r) => `${r.kecamatanCode}`)).toEqual(
      rollUp(truth, (_, c) => kecamatanOf.get(c) ?? '?'),
    );
    expect(await ours(['channel', 'crafter', 'day'], (r) => `${r.channel}|${r.crafterId}|${r.day}`)).toEqual(
      rollUp(truth, (ch, c, d) => `${ch}|${c}|${d}`),
    );
    // Every order the platforms hold is stored exactly once (unpaid and held ones too, counting nothing).
    const stored = await stack.database.sql<{ channel: string; n: number }[]>`
      select channel, count(*)::int as n, count(distinct (connection_id, external_order_id))::int as distinct_n
        from orders group by channel`;
    expect(stored.map((r) => ({ ...r })).sort((a, b) => a.channel.localeCompare(b.channel))).toEqual([
      { channel: 'partner_brand', n: 300, distinct_n: 300 },
      { channel: 'shopee', n: 2_500, distinct_n: 2_500 },
      { channel: 'tiktok_shop', n: 2_500, distinct_n: 2_500 },
    ]);
    const total = await summary(stack.city, []);
    expect(total.totals).toEqual(rollUp(truth, () => 'all').all);
    // Cancellations and returns were taken back, so net is below gross; nothing is missing.
    expect(total.totals.netIdr).toBeLessThan(total.totals.grossIdr);
    expect(total.completeness.missing).toEqual([]);
    before = await snapshot();
  });

  it('three more pulls and every webhook the sandbox delivered, replayed, change no figure', {
    timeout: 240_000,
  }, async () => {
    expect(before).toBeDefined();
    for (let i = 0; i < 3; i += 1) {
      const runs = await stack.pull(allConnections(), 120_000);
      expect(runs.every((r) => r.status === 'succeeded')).toBe(true);
    }
    const hooks = (await stack.sandboxWebhooks()).filter((h) => h.url.startsWith(stack.api));
    expect(hooks.length).toBeGreaterThanOrEqual(50);
    const since = new Date();
    const statuses = await Promise.all(hooks.map((h) => replayWebhook(h)));
    expect(new Set(statuses)).toEqual(new Set([200]));
    // The replays queued pulls of those shops: wait for them to run, then one more of everything.
    const replayed = await until(
      'pulls queued by the replays',
      async () => {
        const rows = await stack.database.sql<{ n: number }[]>`
          select count(distinct connection_id)::int as n from channel_pull_runs
           where reason = 'webhook' and started_at >= ${since.toISOString()}::timestamptz and finished_at is not null`;
        return (rows[0]?.n ?? 0) >= 6 && rows[0]?.n;
      },
      120_000,
      250,
    );
    expect(replayed).toBe(6);
    await stack.pull(allConnections(), 120_000);
    expect(await snapshot()).toEqual(before);
  });

  it('running the nightly jobs twice in a row changes no figure', { timeout: 240_000 }, async () => {
    expect(before).toBeDefined();
    const yesterday = jakartaDay(Date.now() - 86_400_000);
    for (let round = 0; round < 2; round += 1) {
      const since = new Date();
      await stack.nightly('pull-previous-day', yesterday);
      // The complete pull of the day runs in the workers: one windowed run per connection.
      await until(
        'the nightly pulls of every connection',
        async () => {
          const rows = await stack.database.sql<{ n: number }[]>`
            select count(distinct connection_id)::int as n from channel_pull_runs
             where reason = 'nightly' and started_at >= ${since.toISOString()}::timestamptz and finished_at is not null`;
          return (rows[0]?.n ?? 0) >= allConnections().length;
        },
        120_000,
        250,
      );
      await stack.nightly('refresh-tokens', yesterday);
      await stack.nightly('read-back', yesterday);
      await stack.nightly('rebuild-rollups', yesterday);
      expect(await snapshot()).toEqual(before);
    }
    const { items } = await stack.city.json<{ items: Array<{ job: string; day: string }> }>(
      'GET',
      '/v1/ops/nightly-runs',
    );
    // Run twice, recorded once per (job, night).
    expect(items.filter((r) => r.job === 'pull-previous-day' && r.day === yesterday)).toHaveLength(1);
  });

  it('a kelurahan admin sees only its crafters; a kecamatan is the sum of its kelurahan; the city the sum of all kecamatan', {
    timeout: 60_000,
  }, async () => {
    const byKelurahan = new Map<string, Summary>();
    for (const code of Object.values(KELURAHAN)) {
      const admin = await stack.login('admin', { regionCode: code });
      const s = await summary(admin, ['crafter', 'kelurahan']);
      byKelurahan.set(code, s);
      const own = stack.crafters.filter((c) => c.kelurahanCode === code).map((c) => c.id);
      expect(own).toHaveLength(1);
      expect(new Set(s.rows.map((r) => r.crafterId))).toEqual(new Set(own));
      expect(new Set(s.rows.map((r) => r.kelurahanCode))).toEqual(new Set([code]));
      expect(s.totals.orders).toBeGreaterThan(0);
      // Outside its scope: another kelurahan's filter gives nothing of that kelurahan.
      const other = Object.values(KELURAHAN).find((k) => k !== code) ?? '';
      const res = await admin.call('GET', `/v1/sales/summary?from=${from}&to=${to}&region=${other}`);
      if (res.ok) expect(((await res.json()) as Summary).totals.orders).toBe(0);
      else expect(res.status).toBe(403);
    }
    const byKecamatan = new Map<string, Figures>();
    for (const code of Object.values(KECAMATAN)) {
      const admin = await stack.login('admin', { regionCode: code });
      const s = await summary(admin, []);
      byKecamatan.set(code, s.totals);
      const kelurahan = Object.values(KELURAHAN).filter((k) => k.startsWith(`${code}.`));
      expect(s.totals).toEqual(kelurahan.map((k) => byKelurahan.get(k)?.totals ?? zero).reduce(add, zero));
    }
    const city = await summary(stack.city, []);
    expect(city.totals).toEqual([...byKecamatan.values()].reduce(add, zero));
    expect(city.totals).toEqual(before.totals);
  });

  it('no token or key in logs, Redis, the database or API responses after the inward flows', {
    timeout: 120_000,
  }, async () => {
    const scan = await scanForSecrets(stack);
    // Deployment secrets plus each of the 7 connections' tokens or keys.
    expect(scan.secrets).toBeGreaterThanOrEqual(4 + 7);
    expect(scan.leaks).toEqual([]);
    for (const size of Object.values(scan.places)) expect(size).toBeGreaterThan(1_000);
  });
});
