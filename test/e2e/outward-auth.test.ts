/**
 * Shop authorization and refusals end to end, with the real sandbox, API and worker processes:
 * - two worker processes refreshing the same Shopee connection at once make one refresh at the
 *   platform (Shopee refresh tokens are single-use), and the shop stays healthy;
 * - a revoked grant (the refresh token spent elsewhere) makes the connection `reauth_required`, its
 *   listings say so, an edit waits; after the crafter reconnects the shop, the waiting edit goes out;
 * - a permanent refusal leaves the listing `failed` with Shopee's reason in plain words, and the
 *   sandbox's call log shows the refused call once: no retry storm.
 */
import { Queue } from 'bullmq';
import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConnectionSecrets } from '../../src/channels/auth.js';
import { createChannelHttp } from '../../src/channels/http.js';
import { shopeeRefreshToken } from '../../src/channels/shopee/auth.js';
import { channelConnections } from '../../src/db/schema/index.js';
import { openJson, parseKeyring } from '../../src/lib/secrets.js';
import { PUSH_QUEUE, QUEUE } from '../../src/queues/definitions.js';
import { secretsContext } from '../../src/services/connections.js';
import { makeProduct, uniqueSku } from '../factories/products.js';
import { remoteShops } from './outward-remote.js';
import { type OutwardStack, scanForSecrets, startOutwardStack, until } from './outward-stack.js';

const REFRESH = '/api/v2/auth/access_token/get';

let stack: OutwardStack;

beforeAll(async () => {
  stack = await startOutwardStack('outward_auth');
  await stack.startWorker();
}, 120_000);
afterAll(async () => {
  await stack?.close();
}, 30_000);

async function shopeeCalls(endpoint: string): Promise<Array<{ status: number; errorCode: string }>> {
  const { calls } = await stack.sandboxGet<{ calls: Array<{ status: number; errorCode: string }> }>(
    `/calls?platform=shopee&endpoint=${encodeURIComponent(endpoint)}&limit=100000`,
  );
  return calls;
}

interface ConnectionView {
  status: string;
  health: { state: string; lastError: string | null };
}

/** Makes the Shopee token due for refresh (it expires within the refresh lead). */
async function makeTokenDue(): Promise<void> {
  await stack.database.db
    .update(channelConnections)
    .set({ tokenExpiresAt: sql`now() + interval '1 minute'` })
    .where(eq(channelConnections.id, stack.shopee.id));
}

/** Queues `count` refresh jobs for the Shopee connection at once (as overlapping scans would). */
async function queueRefreshes(count: number, tag: string): Promise<Queue> {
  const queue = new Queue(QUEUE.connections, { connection: stack.redis, prefix: stack.prefix });
  await queue.addBulk(
    Array.from({ length: count }, (_, i) => ({
      name: 'refresh-token',
      data: { task: 'refresh-token' as const, connectionId: stack.shopee.id },
      opts: { jobId: `e2e-refresh-${tag}-${i}` },
    })),
  );
  return queue;
}

async function finished(queue: Queue, tag: string, count: number) {
  return until(
    `${count} refresh jobs finished`,
    async () => {
      const jobs = (await queue.getJobs(['completed', 'failed'], 0, -1)).filter((j) =>
        j.id?.startsWith(`e2e-refresh-${tag}-`),
      );
      return jobs.length === count && jobs;
    },
    30_000,
    100,
  );
}

async function newProduct(priceIdr: number) {
  const sku = uniqueSku('AUTH');
  const product = await makeProduct(stack.database.db, stack.crafterId, {
    title: 'Tas Anyaman Pandan Motif Ciater Handmade',
    description: 'Tas anyaman pandan buatan tangan perajin Tangerang Selatan, kuat dan ringan.',
    category: 'kerajinan/anyaman',
    imageUrls: [`${stack.control}/demo-images/auth-e2e.png`],
    variants: [{ sku, options: {}, priceIdr, stock: 5, weightGrams: 300 }],
  });
  return { ...product, sku };
}

async function listingOf(productId: string) {
  const { items } = await stack.json<{
    items: Array<{
      id: string;
      state: string;
      inSync: boolean;
      lastError: { code: string | null; en: string; id: string | null } | null;
    }>;
  }>('GET', `/v1/products/${productId}/listings`);
  return items[0];
}

describe('shop authorization and refusals (real processes)', () => {
  it('two workers refresh the same Shopee connection at once: one refresh at Shopee, the shop stays healthy', {
    timeout: 90_000,
  }, async () => {
    // Both worker processes listen on the connections queue before any job is queued.
    const probe = new Queue(QUEUE.connections, { connection: stack.redis, prefix: stack.prefix });
    await until(
      'two workers on the connections queue',
      async () => (await probe.getWorkers()).length >= 2,
      30_000,
      100,
    );
    await probe.close();
    // One process can drain a burst before the other wakes (each job is quick), so a round in which
    // only one process took jobs proves nothing about the race and is repeated, at most five times.
    // Every round, whoever ran it, must make exactly one refresh at Shopee and fail no job.
    let raced = false;
    for (let round = 0; round < 5 && !raced; round += 1) {
      const before = (await shopeeCalls(REFRESH)).length;
      await makeTokenDue();
      const queue = await queueRefreshes(10, `race${round}`);
      const jobs = await finished(queue, `race${round}`, 10);
      await queue.close();
      expect(jobs.map((j) => j.failedReason).filter(Boolean)).toEqual([]);
      expect((await shopeeCalls(REFRESH)).length - before).toBe(1);
      raced = new Set(jobs.map((j) => j.processedBy)).size === 2;
    }
    expect(raced, 'no round had refresh jobs run by both worker processes').toBe(true);
    const view = await stack.json<ConnectionView>('GET', `/v1/connections/${stack.shopee.id}`);
    expect(view).toMatchObject({ status: 'active', health: { state: 'healthy' } });

    // The committed pair is the one in use: a publish goes out with the new token.
    const product = await newProduct(120_000);
    await stack.json('POST', `/v1/products/${product.id}/listings`, { connectionIds: [stack.shopee.id] });
    await until(
      'the product live on Shopee',
      async () => (await remoteShops(stack)).shopee.get(product.sku)?.[0]?.price === 120_000,
      30_000,
      200,
    );
  });

  it('a revoked grant → reauth_required on the connection and its listings; after a reconnect the waiting edit goes out', {
    timeout: 120_000,
  }, async () => {
    const product = await newProduct(150_000);
    await stack.json('POST', `/v1/products/${product.id}/listings`, { connectionIds: [stack.shopee.id] });
    await until('the listing live', async () => (await listingOf(product.id))?.state === 'live', 30_000, 200);

    // Someone else spends the shop's single-use refresh token: our grant is revoked.
    const [row] = await stack.database.db
      .select()
      .from(channelConnections)
      .where(eq(channelConnections.id, stack.shopee.id));
    const keyring = parseKeyring(stack.credentialsKeys.spec, stack.credentialsKeys.activeKeyId);
    const stored = openJson<ConnectionSecrets>(
      keyring,
      row?.secretsSealed as Parameters<typeof openJson>[1],
      secretsContext(stack.shopee.id),
    );
    if (stored.kind !== 'oauth') throw new Error('expected OAuth secrets');
    await shopeeRefreshToken(
      createChannelHttp(stack.shopeePartner.baseUrl, 5_000),
      { ...stack.shopeePartner, callsPerSecond: undefined },
      stored.refreshToken,
      stack.shopee.externalShopId,
    );

    // Our next refresh is refused: the connection and its listings need the crafter.
    await makeTokenDue();
    const queue = await queueRefreshes(1, 'revoked');
    await finished(queue, 'revoked', 1);
    await queue.close();
    const view = await stack.json<ConnectionView>('GET', `/v1/connections/${stack.shopee.id}`);
    expect(view).toMatchObject({ status: 'reauth_required', health: { state: 'reauth_required' } });
    expect(view.health.lastError).toMatch(/Shopee/);
    const waiting = await listingOf(product.id);
    expect(waiting?.state).toBe('reauth_required');

    // An edit meanwhile waits for the crafter (nothing reaches Shopee).
    const res = await stack.call(
      'PATCH',
      `/v1/products/${product.id}`,
      { variants: [{ sku: product.sku, options: {}, priceIdr: 175_000, stock: 5, weightGrams: 300 }] },
      { 'if-match': `"${product.version}"` },
    );
    expect(res.status, await res.clone().text()).toBe(200);
    const updatesBefore = (await shopeeCalls('/api/v2/product/update_price')).length;
    await until(
      'the listing behind its product, still waiting',
      async () => {
        const l = await listingOf(product.id);
        return l?.state === 'reauth_required' && !l.inSync;
      },
      10_000,
      200,
    );

    // The crafter reconnects the same shop: the waiting edit goes out, the listing is live again.
    const again = await stack.connectShopee(stack.shopee.externalShopId);
    expect(again.id).toBe(stack.shopee.id);
    await until(
      'the edit on Shopee and the listing live and in sync',
      async () => {
        const l = await listingOf(product.id);
        const shown = (await remoteShops(stack)).shopee.get(product.sku)?.[0]?.price;
        return l?.state === 'live' && l.inSync && shown === 175_000;
      },
      40_000,
      200,
    );
    expect((await shopeeCalls('/api/v2/product/update_price')).length).toBeGreaterThan(updatesBefore);
    expect(await stack.json<ConnectionView>('GET', `/v1/connections/${stack.shopee.id}`)).toMatchObject({
      status: 'active',
    });
  });

  it('a permanent refusal: the listing is failed with Shopee’s reason in plain words, and no retry storm', {
    timeout: 90_000,
  }, async () => {
    // Shopee takes prices up to Rp 1,000,000 here (its limits come from get_item_limit, per shop).
    await stack.sandboxPost('/shopee/configure', { itemLimit: { priceMax: 1_000_000 } });
    try {
      const refusedBefore = (await shopeeCalls('/api/v2/product/add_item')).filter(
        (c) => c.errorCode === 'error_price_exceed_max_limitt',
      ).length;
      const product = await newProduct(2_500_000);
      await stack.json('POST', `/v1/products/${product.id}/listings`, { connectionIds: [stack.shopee.id] });
      const failed = await until(
        'the listing failed',
        async () => {
          const l = await listingOf(product.id);
          return l?.state === 'failed' && l;
        },
        30_000,
        200,
      );
      expect(failed.lastError?.code).toBe('error_price_exceed_max_limitt');
      expect(failed.lastError?.en).toMatch(/^Shopee refused the change: .*price/i);
      expect(failed.lastError?.id).toMatch(/^Shopee menolak perubahan/);

      // The job failed for good on its first attempt, and the refused call was made once, also after
      // longer than the first retry's backoff (2 s) and a reconciler pass would take.
      const queue = new Queue(PUSH_QUEUE.shopee, { connection: stack.redis, prefix: stack.prefix });
      const job = await until(
        'the failed push job',
        async () =>
          (await queue.getJobs(['failed'], 0, -1)).find(
            (j) => (j.data as { listingId?: string }).listingId === failed.id,
          ),
        10_000,
        100,
      );
      await queue.close();
      expect(job.attemptsMade).toBe(1);
      const observeUntil = Date.now() + 8_000;
      await until('the observation window', async () => Date.now() > observeUntil, 10_000, 500);
      const refused = (await shopeeCalls('/api/v2/product/add_item')).filter(
        (c) => c.errorCode === 'error_price_exceed_max_limitt',
      ).length;
      expect(refused - refusedBefore).toBe(1);
      expect((await listingOf(product.id))?.state).toBe('failed');
    } finally {
      await stack.sandboxPost('/shopee/configure', { itemLimit: { priceMax: 150_000_000 } });
    }
    expect((await scanForSecrets(stack)).leaks).toEqual([]);
  });
});
