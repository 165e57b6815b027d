import { and, asc, eq, gt, or, type SQL, sql } from 'drizzle-orm';
import type { Database, DbOrTx } from '../db/client.js';
import { inRegionSubtree } from '../db/repositories/scope-sql.js';
import { crafters, regions, users } from '../db/schema/index.js';
import {
  type Principal,
  type Role,
  scopeIncludesCrafter,
  scopeIncludesRegion,
  scopeOf,
} from '../domain/scope.js';
import { ConflictError, ForbiddenError, InvalidCredentialsError, NotFoundError } from '../lib/errors.js';
import { dummyPasswordHash, hashPassword, verifyPassword } from '../lib/password.js';
import { recordAudit } from './audit.js';
import type { ServiceContext } from './context.js';

export interface UserView {
  id: string;
  username: string;
  displayName: string;
  role: Role;
  crafterId: string | null;
  regionCode: string | null;
  disabled: boolean;
  createdAt: Date;
}

const userColumns = {
  id: users.id,
  username: users.username,
  displayName: users.displayName,
  role: users.role,
  crafterId: users.crafterId,
  regionCode: users.regionCode,
  disabled: users.disabled,
  createdAt: users.createdAt,
};

/** A logged-in user: who they are, and the token version their tokens must carry. */
export type AuthenticatedUser = Principal & { tokenVersion: number };

/** Checks a username and password; the same time is spent whether or not the user exists. */
export async function authenticateUser(
  db: DbOrTx,
  username: string,
  password: string,
): Promise<AuthenticatedUser> {
  const [user] = await db
    .select({ ...userColumns, passwordHash: users.passwordHash, tokenVersion: users.tokenVersion })
    .from(users)
    .where(sql`lower(${users.username}) = lower(${username})`);
  const ok = await verifyPassword(password, user?.passwordHash ?? (await dummyPasswordHash()));
  if (!user || !ok || user.disabled) throw new InvalidCredentialsError();
  return {
    userId: user.id,
    role: user.role,
    crafterId: user.crafterId,
    regionCode: user.regionCode,
    tokenVersion: user.tokenVersion,
  };
}

/** What decides whether a user's tokens still work; null when the user no longer exists. */
export interface TokenHolderState {
  tokenVersion: number;
  disabled: boolean;
}

export async function tokenHolderState(db: DbOrTx, userId: string): Promise<TokenHolderState | null> {
  const [row] = await db
    .select({ tokenVersion: users.tokenVersion, disabled: users.disabled })
    .from(users)
    .where(eq(users.id, userId));
  return row ?? null;
}

type RevocationListener = (userId: string) => void;
const revocationListeners = new Set<RevocationListener>();

/**
 * Calls `listener` with the user's id after each change made through this process that revokes the
 * user's tokens (disabled, password changed, deleted), once it is committed; returns the unsubscribe.
 * Lets the API drop what it remembers about that user at once instead of when its cache expires.
 */
export function onTokensRevoked(listener: RevocationListener): () => void {
  revocationListeners.add(listener);
  return () => revocationListeners.delete(listener);
}

function tokensRevoked(userId: string): void {
  for (const listener of revocationListeners) listener(userId);
}

/** The user in the caller's scope, locked for the change; 404 outside it, like everywhere. */
async function userInScopeForUpdate(tx: DbOrTx, principal: Principal, id: string): Promise<UserView> {
  const [user] = await tx
    .select(userColumns)
    .from(users)
    .where(and(eq(users.id, id), userScopeCondition(principal)))
    .for('update');
  if (!user) throw new NotFoundError('User');
  return user;
}

/** Disables (or enables again) a user in the caller's scope. Disabling revokes every token at once. */
export async function setUserDisabled(ctx: ServiceContext, id: string, disabled: boolean): Promise<UserView> {
  const updated = await ctx.db.transaction(async (tx) => {
    const before = await userInScopeForUpdate(tx, ctx.principal, id);
    const [after] = await tx
      .update(users)
      .set({ disabled, updatedAt: new Date() })
      .where(eq(users.id, id))
      .returning(userColumns);
    await recordAudit(tx, {
      actorUserId: ctx.principal.userId,
      action: disabled ? 'user.disable' : 'user.enable',
      entityType: 'user',
      entityId: id,
      before,
      after,
      requestId: ctx.requestId,
    });
    return after!;
  });
  tokensRevoked(id);
  return updated;
}

/** Sets a new password for a user in the caller's scope (or the caller). Revokes every older token. */
export async function setUserPassword(ctx: ServiceContext, id: string, password: string): Promise<void> {
  const passwordHash = await hashPassword(password);
  await ctx.db.transaction(async (tx) => {
    await userInScopeForUpdate(tx, ctx.principal, id);
    await tx.update(users).set({ passwordHash, updatedAt: new Date() }).where(eq(users.id, id));
    await recordAudit(tx, {
      actorUserId: ctx.principal.userId,
      action: 'user.password_change',
      entityType: 'user',
      entityId: id,
      requestId: ctx.requestId,
    });
  });
  tokensRevoked(id);
}

/** Deletes a user in the caller's scope; its tokens stop working at once. */
export async function deleteUser(ctx: ServiceContext, id: string): Promise<void> {
  await ctx.db.transaction(async (tx) => {
    const before = await userInScopeForUpdate(tx, ctx.principal, id);
    await tx.delete(users).where(eq(users.id, id));
    await recordAudit(tx, {
      actorUserId: ctx.principal.userId,
      action: 'user.delete',
      entityType: 'user',
      entityId: id,
      before,
      requestId: ctx.requestId,
    });
  });
  tokensRevoked(id);
}

/** Users visible to the caller: operators see all; admins the admins and crafters of their subtree; crafters themselves. */
function userScopeCondition(principal: Principal): SQL {
  const scope = scopeOf(principal);
  switch (scope.kind) {
    case 'all':
      return sql`true`;
    case 'crafter':
      return eq(users.id, principal.userId);
    case 'region':
      return or(
        eq(users.id, principal.userId),
        and(eq(users.role, 'admin'), inRegionSubtree(users.regionCode, scope.regionCode)),
        and(
          eq(users.role, 'crafter'),
          sql`exists (select 1 from ${crafters} where ${crafters.id} = ${users.crafterId} and ${inRegionSubtree(crafters.kelurahanCode, scope.regionCode)})`,
        ),
      )!;
  }
}

export async function getUser(ctx: ServiceContext, id: string): Promise<UserView> {
  const [user] = await ctx.db
    .select(userColumns)
    .from(users)
    .where(and(eq(users.id, id), userScopeCondition(ctx.principal)));
  if (!user) throw new NotFoundError('User');
  return user;
}

export async function listUsers(
  ctx: ServiceContext,
  query: { limit: number; after?: string | undefined; role?: Role | undefined },
): Promise<UserView[]> {
  return ctx.db
    .select(userColumns)
    .from(users)
    .where(
      and(
        userScopeCondition(ctx.principal),
        query.role ? eq(users.role, query.role) : undefined,
        query.after ? gt(users.id, query.after) : undefined,
      ),
    )
    .orderBy(asc(users.id))
    .limit(query.limit);
}

export interface CreateUserInput {
  username: string;
  displayName: string;
  password: string;
  role: Role;
  crafterId?: string | undefined;
  regionCode?: string | undefined;
}

/**
 * Operators create any user. Admins create admins for nodes in their subtree and crafter users for
 * crafters in their subtree; never operators. Out-of-scope references answer 404 like everywhere.
 */
export async function createUser(ctx: ServiceContext, input: CreateUserInput): Promise<UserView> {
  const scope = scopeOf(ctx.principal);
  if (input.role === 'operator' && scope.kind !== 'all')
    throw new ForbiddenError('Only operators create operators.');
  const passwordHash = await hashPassword(input.password);
  return ctx.db.transaction(async (tx) => {
    let crafterId: string | null = null;
    let regionCode: string | null = null;
    if (input.role === 'crafter') {
      if (!input.crafterId) throw new NotFoundError('Crafter');
      const [crafter] = await tx
        .select({ id: crafters.id, kelurahanCode: crafters.kelurahanCode })
        .from(crafters)
        .where(eq(crafters.id, input.crafterId));
      if (!crafter || !scopeIncludesCrafter(scope, crafter)) throw new NotFoundError('Crafter');
      crafterId = crafter.id;
    } else if (input.role === 'admin') {
      if (!input.regionCode) throw new NotFoundError('Region');
      const [region] = await tx
        .select({ code: regions.code })
        .from(regions)
        .where(eq(regions.code, input.regionCode));
      if (!region || !scopeIncludesRegion(scope, region.code)) throw new NotFoundError('Region');
      regionCode = region.code;
    }
    const [created] = await tx
      .insert(users)
      .values({
        username: input.username,
        displayName: input.displayName,
        passwordHash,
        role: input.role,
        crafterId,
        regionCode,
      })
      .onConflictDoNothing()
      .returning(userColumns);
    if (!created) {
      throw new ConflictError('username_taken', `The username "${input.username}" is already taken.`, {
        detailId: `Nama pengguna "${input.username}" sudah dipakai.`,
      });
    }
    await recordAudit(tx, {
      actorUserId: ctx.principal.userId,
      action: 'user.create',
      entityType: 'user',
      entityId: created.id,
      after: created,
      requestId: ctx.requestId,
    });
    return created;
  });
}

/** Creates a user without a caller (demo seed, operator bootstrap). */
export async function createUserUnscoped(db: Database, input: CreateUserInput): Promise<UserView | null> {
  const [created] = await db
    .insert(users)
    .values({
      username: input.username,
      displayName: input.displayName,
      passwordHash: await hashPassword(input.password),
      role: input.role,
      crafterId: input.crafterId ?? null,
      regionCode: input.regionCode ?? null,
    })
    .onConflictDoNothing()
    .returning(userColumns);
  return created ?? null;
}
