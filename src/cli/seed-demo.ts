/**
 * Demo data for `npm start`: an operator, a crafter in a Tangsel kelurahan with its own login, and
 * active products with two variants each in demo categories, through the same services the API
 * uses (connecting the crafter's sandbox shops and publishing happen once the stack runs, see
 * src/dev/demo-shops.ts). Idempotent: a second run creates nothing and returns no
 * credentials; generated passwords are returned (and printed) only by the run that created them.
 *
 * CLI: `tsx src/cli/seed-demo.ts` (reads DATABASE_URL through the config schema).
 */
import { fileURLToPath } from 'node:url';
import { and, eq, isNull, sql } from 'drizzle-orm';
import { createDatabase, type Database } from '../db/client.js';
import { crafters, products, regions, users } from '../db/schema/index.js';
import { productContentSchema } from '../domain/catalogue.js';
import { generatePassword, hashPassword } from '../lib/password.js';
import { recordAudit } from '../services/audit.js';
import type { ServiceContext } from '../services/context.js';
import { createCrafter } from '../services/crafters.js';
import { createProduct } from '../services/products.js';
import { createUser, createUserUnscoped } from '../services/users.js';

export const DEMO_OPERATOR_USERNAME = 'demo-operator';
export const DEMO_CRAFTER_USERNAME = 'demo-crafter';
/** Ciater, Serpong: a kelurahan of the Tangsel file shipped in data/regions. */
export const DEMO_KELURAHAN_CODE = '36.74.01.1001';
export const DEMO_PRODUCT_TITLE = 'Batik Tulis Tangsel — kemeja';

export interface Credentials {
  username: string;
  password: string;
}

export interface SeedDemoResult {
  /** Present only when this run created the operator. */
  operator?: Credentials;
  /** Present only when this run created the crafter's user. */
  crafterUser?: Credentials;
}

export interface SeedDemoOptions {
  /** Origin of the sandbox, whose demo photos the products show (none: products without photos). */
  imageOrigin?: string | undefined;
}

export async function seedDemo(databaseUrl: string, options: SeedDemoOptions = {}): Promise<SeedDemoResult> {
  // One connection: the session advisory lock below then covers every statement of this seed, so
  // two stacks seeding the same database at once do not both create the accounts.
  const handle = createDatabase(databaseUrl, { max: 1 });
  try {
    await handle.db.execute(sql`select pg_advisory_lock(hashtext('kriya-seed-demo'))`);
    const result: SeedDemoResult = {};
    const operator = await ensureOperator(handle.db);
    if (operator.created) result.operator = operator.created;
    const ctx: ServiceContext = {
      db: handle.db,
      principal: { userId: operator.id, role: 'operator', crafterId: null, regionCode: null },
      requestId: 'seed-demo',
    };
    const crafter = await ensureCrafter(ctx);
    if (crafter.created) result.crafterUser = crafter.created;
    await ensureProducts(ctx, crafter.crafterId, options.imageOrigin);
    await handle.db.execute(sql`select pg_advisory_unlock(hashtext('kriya-seed-demo'))`);
    return result;
  } finally {
    await handle.close();
  }
}

/**
 * Gives the demo accounts that exist new generated passwords and returns them (`npm run
 * demo:passwords`): the way to working demo credentials once the ones printed at creation are lost,
 * without dropping the database. Accounts that do not exist are left out of the result.
 */
export async function resetDemoPasswords(databaseUrl: string): Promise<SeedDemoResult> {
  const handle = createDatabase(databaseUrl, { max: 1 });
  try {
    const result: SeedDemoResult = {};
    const accounts = [
      ['operator', DEMO_OPERATOR_USERNAME],
      ['crafterUser', DEMO_CRAFTER_USERNAME],
    ] as const;
    for (const [key, username] of accounts) {
      const password = generatePassword();
      const passwordHash = await hashPassword(password);
      const reset = await handle.db.transaction(async (tx) => {
        const [user] = await tx
          .update(users)
          .set({ passwordHash, updatedAt: new Date() })
          .where(sql`lower(${users.username}) = ${username.toLowerCase()}`)
          .returning({ id: users.id });
        if (!user) return false;
        await recordAudit(tx, {
          actorUserId: null,
          action: 'user.password_reset',
          entityType: 'user',
          entityId: user.id,
          requestId: 'demo-passwords',
        });
        return true;
      });
      if (reset) result[key] = { username, password };
    }
    return result;
  } finally {
    await handle.close();
  }
}

async function findUser(db: Database, username: string) {
  const [user] = await db
    .select({ id: users.id, crafterId: users.crafterId })
    .from(users)
    .where(sql`lower(${users.username}) = ${username.toLowerCase()}`);
  return user;
}

async function ensureOperator(db: Database): Promise<{ id: string; created?: Credentials }> {
  const existing = await findUser(db, DEMO_OPERATOR_USERNAME);
  if (existing) return { id: existing.id };
  const password = generatePassword();
  const created = await createUserUnscoped(db, {
    username: DEMO_OPERATOR_USERNAME,
    displayName: 'Demo operator',
    password,
    role: 'operator',
  });
  if (!created) throw new Error(`user ${DEMO_OPERATOR_USERNAME} appeared while seeding; run the seed again`);
  await recordAudit(db, {
    actorUserId: null,
    action: 'user.create',
    entityType: 'user',
    entityId: created.id,
    after: created,
    requestId: 'seed-demo',
  });
  return { id: created.id, created: { username: DEMO_OPERATOR_USERNAME, password } };
}

const DEMO_CRAFTER = {
  businessName: 'Batik Ciater Lestari',
  ownerName: 'Siti Rahmawati',
  phone: '+6281200000001',
  kelurahanCode: DEMO_KELURAHAN_CODE,
  craftCategory: 'fashion',
  status: 'active',
} as const;

async function ensureCrafter(ctx: ServiceContext): Promise<{ crafterId: string; created?: Credentials }> {
  const existingUser = await findUser(ctx.db, DEMO_CRAFTER_USERNAME);
  if (existingUser?.crafterId) return { crafterId: existingUser.crafterId };

  const [kelurahan] = await ctx.db
    .select({ code: regions.code })
    .from(regions)
    .where(eq(regions.code, DEMO_KELURAHAN_CODE));
  if (!kelurahan) {
    throw new Error(
      `region ${DEMO_KELURAHAN_CODE} is missing: import data/regions/tangsel.csv before seeding`,
    );
  }
  // A run that stopped between the crafter and its user left the crafter: reuse it.
  const [existingCrafter] = await ctx.db
    .select({ id: crafters.id })
    .from(crafters)
    .where(
      and(
        eq(crafters.businessName, DEMO_CRAFTER.businessName),
        eq(crafters.kelurahanCode, DEMO_KELURAHAN_CODE),
      ),
    );
  const crafterId = existingCrafter?.id ?? (await createCrafter(ctx, DEMO_CRAFTER)).id;

  const password = generatePassword();
  await createUser(ctx, {
    username: DEMO_CRAFTER_USERNAME,
    displayName: 'Siti (demo crafter)',
    password,
    role: 'crafter',
    crafterId,
  });
  return { crafterId, created: { username: DEMO_CRAFTER_USERNAME, password } };
}

/**
 * The demo products, one per demo category (the council's default category mappings place them on
 * Shopee and TikTok Shop). Validated by the API's own schema, so each is one the API would accept;
 * the photos are added after validation, because they come from the sandbox's loopback address,
 * which the schema (rightly) refuses from crafters.
 */
const DEMO_PRODUCTS = [
  {
    photo: 'batik',
    content: {
      title: DEMO_PRODUCT_TITLE,
      description: 'Kemeja batik tulis, pewarna alami, dibuat di Ciater, Serpong.',
      category: 'batik',
      attributes: { material: 'katun primisima', motif: 'kembang kenanga' },
      status: 'active',
      variants: [
        { sku: 'DEMO-BATIK-M', options: { size: 'M' }, priceIdr: 350_000, stock: 12, weightGrams: 250 },
        { sku: 'DEMO-BATIK-L', options: { size: 'L' }, priceIdr: 375_000, stock: 8, weightGrams: 270 },
      ],
    },
  },
  {
    photo: 'tas-anyaman',
    content: {
      title: 'Tas Anyaman Pandan Ciater',
      description: 'Tas anyaman pandan buatan tangan perajin Ciater, kuat dan ringan untuk sehari-hari.',
      category: 'kerajinan/anyaman',
      attributes: { bahan: 'pandan' },
      status: 'active',
      variants: [
        {
          sku: 'DEMO-TAS-MERAH',
          options: { warna: 'Merah' },
          priceIdr: 150_000,
          stock: 10,
          weightGrams: 400,
        },
        { sku: 'DEMO-TAS-HIJAU', options: { warna: 'Hijau' }, priceIdr: 155_000, stock: 6, weightGrams: 400 },
      ],
    },
  },
] as const;

function demoProducts(imageOrigin: string | undefined) {
  return DEMO_PRODUCTS.map(({ photo, content }) => ({
    ...productContentSchema.parse(content),
    imageUrls: imageOrigin ? [`${imageOrigin}/__sandbox/demo-images/${photo}.png`] : [],
  }));
}

async function ensureProducts(ctx: ServiceContext, crafterId: string, imageOrigin: string | undefined) {
  for (const product of demoProducts(imageOrigin)) {
    const [existing] = await ctx.db
      .select({ id: products.id })
      .from(products)
      .where(
        and(eq(products.crafterId, crafterId), eq(products.title, product.title), isNull(products.deletedAt)),
      );
    if (!existing) await createProduct(ctx, { ...product, crafterId });
  }
}

const isMain = process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1];
if (isMain) {
  const { loadConfigOrExit } = await import('../config/env.js');
  const config = loadConfigOrExit();
  try {
    const created = await seedDemo(config.databaseUrl);
    if (created.operator)
      process.stdout.write(`demo operator: ${created.operator.username} / ${created.operator.password}\n`);
    if (created.crafterUser)
      process.stdout.write(
        `demo crafter user: ${created.crafterUser.username} / ${created.crafterUser.password}\n`,
      );
    if (!created.operator && !created.crafterUser)
      process.stdout.write('demo data already present; nothing created\n');
  } catch (err) {
    process.stderr.write(`demo seed failed: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  }
}
