import { and, asc, eq, gt, ilike, or, sql } from 'drizzle-orm';
import type { DbOrTx } from '../db/client.js';
import { crafterScopeCondition, inRegionSubtree } from '../db/repositories/scope-sql.js';
import { crafters, regions } from '../db/schema/index.js';
import { type Scope, scopeIncludesRegion, scopeOf } from '../domain/scope.js';
import { ForbiddenError, NotFoundError, ValidationError, VersionMismatchError } from '../lib/errors.js';
import { recordAudit } from './audit.js';
import type { ServiceContext } from './context.js';

export type CrafterRow = typeof crafters.$inferSelect;
export type CraftCategory = CrafterRow['craftCategory'];
export type CrafterStatus = CrafterRow['status'];

export interface CreateCrafterInput {
  businessName: string;
  ownerName: string;
  phone: string;
  kelurahanCode: string;
  craftCategory: CraftCategory;
  status?: CrafterStatus | undefined;
}

export type UpdateCrafterInput = { [K in keyof CreateCrafterInput]?: CreateCrafterInput[K] | undefined };

/** Fields a crafter may change on its own record; the rest belongs to the council. */
const CRAFTER_EDITABLE = new Set(['businessName', 'ownerName', 'phone', 'craftCategory']);

async function assertKelurahanInScope(tx: DbOrTx, scope: Scope, code: string): Promise<void> {
  const [region] = await tx
    .select({ code: regions.code, level: regions.level })
    .from(regions)
    .where(eq(regions.code, code));
  if (!region || !scopeIncludesRegion(scope, region.code)) throw new NotFoundError(`Kelurahan ${code}`);
  if (region.level !== 'kelurahan') {
    throw new ValidationError('A crafter belongs to a kelurahan, not a kecamatan or city.', {
      issues: [{ path: 'body.kelurahanCode', message: `${code} is a ${region.level}` }],
    });
  }
}

/** Loads one crafter inside the caller's scope (404 otherwise), optionally locking it. */
export async function findCrafterInScope(
  tx: DbOrTx,
  scope: Scope,
  id: string,
  lock = false,
): Promise<CrafterRow> {
  const query = tx
    .select()
    .from(crafters)
    .where(and(eq(crafters.id, id), crafterScopeCondition(scope)));
  const [row] = lock ? await query.for('update') : await query;
  if (!row) throw new NotFoundError('Crafter');
  return row;
}

export async function getCrafter(ctx: ServiceContext, id: string): Promise<CrafterRow> {
  return findCrafterInScope(ctx.db, scopeOf(ctx.principal), id);
}

export async function listCrafters(
  ctx: ServiceContext,
  query: {
    limit: number;
    after?: string | undefined;
    regionCode?: string | undefined;
    status?: CrafterStatus | undefined;
    q?: string | undefined;
  },
): Promise<CrafterRow[]> {
  return ctx.db
    .select()
    .from(crafters)
    .where(
      and(
        crafterScopeCondition(scopeOf(ctx.principal)),
        query.regionCode ? inRegionSubtree(crafters.kelurahanCode, query.regionCode) : undefined,
        query.status ? eq(crafters.status, query.status) : undefined,
        query.q
          ? or(
              ilike(crafters.businessName, `%${escapeLike(query.q)}%`),
              ilike(crafters.ownerName, `%${escapeLike(query.q)}%`),
            )
          : undefined,
        query.after ? gt(crafters.id, query.after) : undefined,
      ),
    )
    .orderBy(asc(crafters.id))
    .limit(query.limit);
}

export function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}

export async function createCrafter(ctx: ServiceContext, input: CreateCrafterInput): Promise<CrafterRow> {
  const scope = scopeOf(ctx.principal);
  return ctx.db.transaction(async (tx) => {
    await assertKelurahanInScope(tx, scope, input.kelurahanCode);
    const [created] = await tx.insert(crafters).values(input).returning();
    if (!created) throw new Error('insert returned nothing');
    await recordAudit(tx, {
      actorUserId: ctx.principal.userId,
      action: 'crafter.create',
      entityType: 'crafter',
      entityId: created.id,
      after: created,
      requestId: ctx.requestId,
    });
    return created;
  });
}

/**
 * Changes a crafter if it still has one of the versions in `ifMatch` (the caller's `If-Match`), so
 * that two admins editing the same crafter cannot silently overwrite each other.
 */
export async function updateCrafter(
  ctx: ServiceContext,
  id: string,
  ifMatch: readonly number[],
  input: UpdateCrafterInput,
): Promise<CrafterRow> {
  const scope = scopeOf(ctx.principal);
  if (ctx.principal.role === 'crafter') {
    const forbidden = Object.keys(definedOnly(input)).filter((k) => !CRAFTER_EDITABLE.has(k));
    if (forbidden.length > 0) {
      throw new ForbiddenError(`A crafter may not change ${forbidden.join(', ')}; ask your council admin.`);
    }
  }
  return ctx.db.transaction(async (tx) => {
    const before = await findCrafterInScope(tx, scope, id, true);
    if (!ifMatch.includes(before.version)) throw new VersionMismatchError(before.version);
    if (input.kelurahanCode !== undefined) await assertKelurahanInScope(tx, scope, input.kelurahanCode);
    const [after] = await tx
      .update(crafters)
      .set({ ...definedOnly(input), version: sql`${crafters.version} + 1`, updatedAt: sql`now()` })
      .where(eq(crafters.id, id))
      .returning();
    if (!after) throw new NotFoundError('Crafter');
    await recordAudit(tx, {
      actorUserId: ctx.principal.userId,
      action: 'crafter.update',
      entityType: 'crafter',
      entityId: id,
      before,
      after,
      requestId: ctx.requestId,
    });
    return after;
  });
}

/** Drops keys whose value is undefined, so a PATCH only touches the fields it names. */
function definedOnly<T extends object>(input: T): Partial<T> {
  return Object.fromEntries(Object.entries(input).filter(([, v]) => v !== undefined)) as Partial<T>;
}
