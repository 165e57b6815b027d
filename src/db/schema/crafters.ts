import { index, integer, pgEnum, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { regions } from './regions.js';

export const craftCategory = pgEnum('craft_category', ['crafts', 'fashion', 'culinary', 'other']);
export const crafterStatus = pgEnum('crafter_status', ['active', 'inactive']);

/** A crafter (pengrajin) or small business (UMKM) registered with the council. */
export const crafters = pgTable(
  'crafters',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    businessName: text('business_name').notNull(),
    ownerName: text('owner_name').notNull(),
    phone: text('phone').notNull(),
    kelurahanCode: text('kelurahan_code')
      .notNull()
      .references(() => regions.code),
    craftCategory: craftCategory('craft_category').notNull(),
    status: crafterStatus('status').notNull().default('active'),
    version: integer('version').notNull().default(1),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('crafters_kelurahan_idx').on(t.kelurahanCode, t.id)],
);
