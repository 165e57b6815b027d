import { sql } from 'drizzle-orm';
import { type AnyPgColumn, check, index, pgEnum, pgTable, text, timestamp } from 'drizzle-orm/pg-core';

export const regionLevel = pgEnum('region_level', ['city', 'kecamatan', 'kelurahan']);

/**
 * Kemendagri region tree: city `36.74` → kecamatan `36.74.01` → kelurahan `36.74.01.1001`.
 * A child's code always starts with its parent's code and a dot, so a subtree is a prefix match.
 */
export const regions = pgTable(
  'regions',
  {
    code: text('code').primaryKey(),
    name: text('name').notNull(),
    level: regionLevel('level').notNull(),
    parentCode: text('parent_code').references((): AnyPgColumn => regions.code),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    index('regions_parent_idx').on(t.parentCode),
    check(
      'regions_parent_prefix',
      sql`${t.parentCode} is null or starts_with(${t.code}, ${t.parentCode} || '.')`,
    ),
  ],
);
