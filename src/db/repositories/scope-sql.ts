import { type SQL, sql } from 'drizzle-orm';
import type { PgColumn } from 'drizzle-orm/pg-core';
import type { Scope } from '../../domain/scope.js';
import { crafters } from '../schema/index.js';

/** `column` is `code` or lies below it in the region tree. */
export function inRegionSubtree(column: PgColumn | SQL, code: string): SQL {
  return sql`(${column} = ${code} or starts_with(${column}, ${`${code}.`}))`;
}

/**
 * Condition on the `crafters` table limiting rows to the caller's scope. Queries that return
 * crafter-owned data join `crafters` and apply this; nothing else decides visibility.
 */
export function crafterScopeCondition(scope: Scope): SQL {
  switch (scope.kind) {
    case 'all':
      return sql`true`;
    case 'region':
      return inRegionSubtree(crafters.kelurahanCode, scope.regionCode);
    case 'crafter':
      return sql`${crafters.id} = ${scope.crafterId}`;
  }
}
