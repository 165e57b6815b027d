/**
 * A crafter's own stock changes, outside a product edit: a count (what is on the shelf, based on the
 * stock revision the crafter read) or an adjustment (units received, damaged, sold offline). Both
 * become ledger movements with the crafter as actor; neither bumps the product's version.
 */
import { and, desc, eq, lt } from 'drizzle-orm';
import { stockMovements, variants } from '../db/schema/index.js';
import { scopeOf } from '../domain/scope.js';
import { planStock, type StockPlan } from '../domain/stock.js';
import { ConflictError, ValidationError } from '../lib/errors.js';
import type { ServiceContext } from './context.js';
import { applyStockPlan, findProductInScope, type ProductView, resolveStockPlan } from './products.js';

export type StockChangeInput =
  | {
      kind: 'count';
      stockRevision: number;
      variants: { sku: string; stock: number }[];
      note?: string | undefined;
    }
  | { kind: 'adjustment'; variants: { sku: string; delta: number }[]; note?: string | undefined };

function unknownSkus(product: ProductView, skus: readonly string[]): void {
  const live = new Set(product.variants.map((v) => v.sku));
  const issues = skus.flatMap((sku, i) =>
    live.has(sku)
      ? []
      : [{ path: `body.variants.${i}.sku`, message: 'no variant of this product has this SKU' }],
  );
  if (issues.length > 0) {
    throw new ValidationError('A SKU is not one of this product’s variants; nothing was saved.', {
      detailId: 'Ada SKU yang bukan varian produk ini; tidak ada yang disimpan.',
      issues,
    });
  }
}

/**
 * Records a count or an adjustment of a product's variants, in one transaction under the product's
 * lock. A count is the crafter's change relative to what they read at `stockRevision`, applied on
 * top of any sale since (see src/domain/stock.ts). An adjustment may not take stock below zero.
 */
export async function changeProductStock(
  ctx: ServiceContext,
  productId: string,
  input: StockChangeInput,
): Promise<ProductView> {
  const scope = scopeOf(ctx.principal);
  return ctx.db.transaction(async (tx) => {
    const before = await findProductInScope(tx, scope, productId, true);
    unknownSkus(
      before,
      input.variants.map((v) => v.sku),
    );
    let plan: StockPlan;
    if (input.kind === 'count') {
      plan = await resolveStockPlan(tx, before, input.variants, input.stockRevision, 'body.stockRevision');
    } else {
      const bySku = new Map(before.variants.map((v) => [v.sku, v]));
      const below = input.variants.filter((a) => (bySku.get(a.sku)?.stock ?? 0) + a.delta < 0);
      if (below.length > 0) {
        const what = below.map((a) => `${a.sku} has ${bySku.get(a.sku)?.stock ?? 0}`).join(', ');
        throw new ConflictError(
          'stock_below_zero',
          `That would take stock below zero (${what}); nothing was saved.`,
          {
            detailId: `Stok akan menjadi minus (${what}); tidak ada yang disimpan.`,
          },
        );
      }
      plan = planStock(
        before.variants,
        input.variants.map((a) => ({ sku: a.sku, stock: (bySku.get(a.sku)?.stock ?? 0) + a.delta })),
        { kind: 'none', movedSinceVersion: false },
      );
    }
    await applyStockPlan(tx, ctx, before.id, plan, input.kind, false, input.note);
    return findProductInScope(tx, scope, productId);
  });
}

export interface StockMovementView {
  id: number;
  variantId: string;
  sku: string;
  kind: typeof stockMovements.$inferSelect.kind;
  delta: number;
  onHandAfter: number;
  stockRevision: number;
  orderLineId: string | null;
  actorUserId: string | null;
  note: string | null;
  createdAt: Date;
}

/** A product's stock movements in scope, newest first, optionally of one variant; keyset on the revision. */
export async function listProductStockMovements(
  ctx: ServiceContext,
  productId: string,
  query: { variantId?: string | undefined; limit: number; before?: number | undefined },
): Promise<{ items: StockMovementView[]; next: number | null }> {
  const product = await findProductInScope(ctx.db, scopeOf(ctx.principal), productId);
  const rows = await ctx.db
    .select({
      id: stockMovements.id,
      variantId: stockMovements.variantId,
      sku: variants.sku,
      kind: stockMovements.kind,
      delta: stockMovements.delta,
      onHandAfter: stockMovements.onHandAfter,
      stockRevision: stockMovements.stockRevision,
      orderLineId: stockMovements.orderLineId,
      actorUserId: stockMovements.actorUserId,
      note: stockMovements.note,
      createdAt: stockMovements.createdAt,
    })
    .from(stockMovements)
    .innerJoin(variants, eq(variants.id, stockMovements.variantId))
    .where(
      and(
        eq(stockMovements.productId, product.id),
        query.variantId ? eq(stockMovements.variantId, query.variantId) : undefined,
        query.before !== undefined ? lt(stockMovements.stockRevision, query.before) : undefined,
      ),
    )
    .orderBy(desc(stockMovements.stockRevision))
    .limit(query.limit);
  const last = rows.at(-1);
  return { items: rows, next: rows.length === query.limit && last ? last.stockRevision : null };
}
