/**
 * Category mappings: the council's translation of each canonical category (products.category) into a
 * channel's leaf category, its required attributes, a brand and (Shopee) a logistics channel. Anyone
 * logged in may read them; only a city-level admin or an operator changes them, since they apply to
 * every crafter. A change asks for a push of the listings it affects (a listing parked
 * `needs_attention` for want of a mapping then goes out).
 */
import { and, asc, eq, sql } from 'drizzle-orm';
import type { DbOrTx } from '../db/client.js';
import { channelCategoryMappings } from '../db/schema/index.js';
import type { CategoryMapping } from '../domain/placement.js';
import { ForbiddenError } from '../lib/errors.js';
import { recordAudit } from './audit.js';
import type { ServiceContext } from './context.js';
import { requestPushesWhere } from './listing-outbox.js';

export type MappingRow = typeof channelCategoryMappings.$inferSelect;
export type MappingChannel = 'shopee' | 'tiktok_shop';

export interface MappingInput {
  channelCategoryId: string;
  requiredAttributes: Array<{ id: string; name: string; valueId?: string | undefined; value: string }>;
  brandId: string | null;
  brandName: string | null;
  logisticsChannelId: string | null;
  logisticsSizeId: string | null;
  packageCm: { length: number; width: number; height: number } | null;
}

/** The mapping of one category on one channel, as placementFor takes it (undefined: none). */
export async function findMapping(
  db: DbOrTx,
  channel: MappingRow['channel'],
  category: string,
): Promise<CategoryMapping | undefined> {
  const [row] = await db
    .select()
    .from(channelCategoryMappings)
    .where(
      and(
        eq(channelCategoryMappings.channel, channel),
        eq(channelCategoryMappings.canonicalCategory, category),
      ),
    );
  return row;
}

export async function listMappings(
  db: DbOrTx,
  filter: { channel?: MappingRow['channel'] | undefined } = {},
): Promise<MappingRow[]> {
  return db
    .select()
    .from(channelCategoryMappings)
    .where(filter.channel ? eq(channelCategoryMappings.channel, filter.channel) : undefined)
    .orderBy(asc(channelCategoryMappings.canonicalCategory), asc(channelCategoryMappings.channel));
}

/** City-level admins (bound to the city node or above) and operators maintain the mappings. */
function assertMayMaintain(ctx: ServiceContext): void {
  const p = ctx.principal;
  if (p.role === 'operator') return;
  if (p.role === 'admin' && p.regionCode && p.regionCode.split('.').length <= 2) return;
  throw new ForbiddenError('Only a city-level admin or an operator maintains the category mappings.', {
    detailId: 'Hanya admin tingkat kota atau operator yang dapat mengubah pemetaan kategori.',
  });
}

/** Creates or replaces the mapping; returns it and whether it was created. */
export async function putMapping(
  ctx: ServiceContext,
  channel: MappingChannel,
  category: string,
  input: MappingInput,
): Promise<{ mapping: MappingRow; created: boolean }> {
  assertMayMaintain(ctx);
  const values = {
    channelCategoryId: input.channelCategoryId,
    requiredAttributes: input.requiredAttributes.map((a) => ({
      id: a.id,
      name: a.name,
      ...(a.valueId ? { valueId: a.valueId } : {}),
      value: a.value,
    })),
    brandId: input.brandId,
    brandName: input.brandName,
    logisticsChannelId: input.logisticsChannelId,
    logisticsSizeId: input.logisticsSizeId,
    packageCm: input.packageCm,
    updatedByUserId: ctx.principal.userId,
  };
  return ctx.db.transaction(async (tx) => {
    const [before] = await tx
      .select()
      .from(channelCategoryMappings)
      .where(
        and(
          eq(channelCategoryMappings.channel, channel),
          eq(channelCategoryMappings.canonicalCategory, category),
        ),
      )
      .for('update');
    const [row] = await tx
      .insert(channelCategoryMappings)
      .values({ channel, canonicalCategory: category, ...values })
      .onConflictDoUpdate({
        target: [channelCategoryMappings.channel, channelCategoryMappings.canonicalCategory],
        set: { ...values, version: sql`${channelCategoryMappings.version} + 1`, updatedAt: sql`now()` },
      })
      .returning();
    if (!row) throw new Error('upsert returned nothing');
    await recordAudit(tx, {
      actorUserId: ctx.principal.userId,
      action: before ? 'category_mapping.update' : 'category_mapping.create',
      entityType: 'category_mapping',
      entityId: row.id,
      ...(before ? { before } : {}),
      after: row,
      requestId: ctx.requestId,
    });
    // The listings this mapping places go out again with it.
    await requestPushesWhere(tx, sql`c.channel = ${channel} and p.category = ${category}`);
    return { mapping: row, created: !before };
  });
}
