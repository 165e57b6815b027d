import { sql } from 'drizzle-orm';
import {
  boolean,
  check,
  integer,
  pgEnum,
  pgTable,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';
import { crafters } from './crafters.js';
import { regions } from './regions.js';

export const userRole = pgEnum('user_role', ['crafter', 'admin', 'operator']);

/**
 * People who log in. A `crafter` user is bound to one crafter, an `admin` to one region node
 * (kelurahan, kecamatan or the city), an `operator` to nothing (sees everything).
 */
export const users = pgTable(
  'users',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    username: text('username').notNull(),
    displayName: text('display_name').notNull(),
    passwordHash: text('password_hash').notNull(),
    role: userRole('role').notNull(),
    crafterId: uuid('crafter_id').references(() => crafters.id),
    regionCode: text('region_code').references(() => regions.code),
    disabled: boolean('disabled').notNull().default(false),
    /**
     * Embedded in every bearer token (`tv`); a token whose version is not the current one is refused.
     * A trigger (drizzle/0004) bumps it whenever the password, `disabled`, the role or its binding
     * changes, however the row is changed; bump it by hand to log a user out everywhere.
     */
    tokenVersion: integer('token_version').notNull().default(1),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('users_username_idx').on(sql`lower(${t.username})`),
    check(
      'users_role_binding',
      sql`(${t.role} = 'crafter' and ${t.crafterId} is not null and ${t.regionCode} is null)
       or (${t.role} = 'admin' and ${t.regionCode} is not null and ${t.crafterId} is null)
       or (${t.role} = 'operator' and ${t.crafterId} is null and ${t.regionCode} is null)`,
    ),
  ],
);
