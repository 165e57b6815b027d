/**
 * Demo data for `npm start`: an operator, a crafter in a Tangsel kelurahan with its own login, and
 * one active product with two variants. Idempotent: a second run creates nothing and returns no
 * credentials; generated passwords are returned (and printed) only by the run that created them.
 *
 * CLI: `tsx src/cli/seed-demo.ts` (reads DATABASE_URL through the config schema).
 */
import { fileURLToPath } from 'node:url';
import { and, eq, isNull, sql } from 'drizzle-orm';
import { createDatabase, type Tx } from '../db/client.js';
import { crafters, products, regions, users, variants } from '../db/schema/index.js';
import { generatePassword, hashPassword } from '../lib/password.js';
import { recordAudit } from '../services/audit.js';

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

export async function seedDemo(databaseUrl: string): Promise<SeedDemoResult> {
  const handle = createDatabase(databaseUrl, { max: 1 });
  try {
    return await handle.db.transaction(async (tx) => {
      // Two stacks seeding the same database at once: the second waits and then finds everything.
      await tx.execute(sql`select pg_advisory_xact_lock(hashtext('kriya-seed-demo'))`);
      const result: SeedDemoResult = {};
      const operator = await ensureOperator(tx);
      if (operator.created) result.operator = operator.created;
      const crafter = await ensureCrafter(tx, operator.id);
      if (crafter.created) result.crafterUser = crafter.created;
      await ensureProduct(tx, crafter.crafterId, operator.id);
      return result;
    });
  } finally {
    await handle.close();
  }
}

async function findUser(tx: Tx, username: string) {
  const [user] = await tx
    .select({ id: users.id, crafterId: users.crafterId })
    .from(users)
    .where(sql`lower(${users.username}) = ${username.toLowerCase()}`);
  return user;
}

async function ensureOperator(tx: Tx): Promise<{ id: string; created?: Credentials }> {
  const existing = await findUser(tx, DEMO_OPERATOR_USERNAME);
  if (existing) return { id: existing.id };
  const password = generatePassword();
  const [row] = await tx
    .insert(users)
    .values({
      username: DEMO_OPERATOR_USERNAME,
      displayName: 'Demo operator',
      passwordHash: await hashPassword(password),
      role: 'operator',
    })
    .returning({ id: users.id });
  if (!row) throw new Error('inserting the demo operator returned no row');
  await recordAudit(tx, {
    actorUserId: null,
    action: 'user.create',
    entityType: 'user',
    entityId: row.id,
    after: { username: DEMO_OPERATOR_USERNAME, role: 'operator' },
  });
  return { id: row.id, created: { username: DEMO_OPERATOR_USERNAME, password } };
}

async function ensureCrafter(
  tx: Tx,
  actorUserId: string,
): Promise<{ crafterId: string; created?: Credentials }> {
  const existing = await findUser(tx, DEMO_CRAFTER_USERNAME);
  if (existing?.crafterId) return { crafterId: existing.crafterId };

  const [kelurahan] = await tx
    .select({ code: regions.code })
    .from(regions)
    .where(eq(regions.code, DEMO_KELURAHAN_CODE));
  if (!kelurahan) {
    throw new Error(
      `region ${DEMO_KELURAHAN_CODE} is missing: import data/regions/tangsel.csv before seeding`,
    );
  }
  const crafterValues = {
    businessName: 'Batik Ciater Lestari',
    ownerName: 'Siti Rahmawati',
    phone: '+6281200000001',
    kelurahanCode: DEMO_KELURAHAN_CODE,
    craftCategory: 'fashion' as const,
    status: 'active' as const,
  };
  const [crafter] = await tx.insert(crafters).values(crafterValues).returning({ id: crafters.id });
  if (!crafter) throw new Error('inserting the demo crafter returned no row');
  await recordAudit(tx, {
    actorUserId,
    action: 'crafter.create',
    entityType: 'crafter',
    entityId: crafter.id,
    after: crafterValues,
  });

  const password = generatePassword();
  const [user] = await tx
    .insert(users)
    .values({
      username: DEMO_CRAFTER_USERNAME,
      displayName: 'Siti (demo crafter)',
      passwordHash: await hashPassword(password),
      role: 'crafter',
      crafterId: crafter.id,
    })
    .returning({ id: users.id });
  if (!user) throw new Error('inserting the demo crafter user returned no row');
  await recordAudit(tx, {
    actorUserId,
    action: 'user.create',
    entityType: 'user',
    entityId: user.id,
    after: { username: DEMO_CRAFTER_USERNAME, role: 'crafter', crafterId: crafter.id },
  });
  return { crafterId: crafter.id, created: { username: DEMO_CRAFTER_USERNAME, password } };
}

async function ensureProduct(tx: Tx, crafterId: string, actorUserId: string): Promise<void> {
  const [existing] = await tx
    .select({ id: products.id })
    .from(products)
    .where(
      and(
        eq(products.crafterId, crafterId),
        eq(products.title, DEMO_PRODUCT_TITLE),
        isNull(products.deletedAt),
      ),
    );
  if (existing) return;
  const productValues = {
    crafterId,
    title: DEMO_PRODUCT_TITLE,
    description: 'Kemeja batik tulis, pewarna alami, dibuat di Ciater, Serpong.',
    category: 'fashion/shirts',
    attributes: { material: 'katun primisima', motif: 'kembang kenanga' },
    imageUrls: [],
    status: 'active' as const,
  };
  const [product] = await tx.insert(products).values(productValues).returning({ id: products.id });
  if (!product) throw new Error('inserting the demo product returned no row');
  const variantValues = [
    {
      sku: 'DEMO-BATIK-M',
      options: { size: 'M', colour: 'indigo' },
      priceIdr: 350_000,
      stock: 12,
      weightGrams: 250,
      position: 0,
    },
    {
      sku: 'DEMO-BATIK-L',
      options: { size: 'L', colour: 'indigo' },
      priceIdr: 375_000,
      stock: 8,
      weightGrams: 270,
      position: 1,
    },
  ];
  await tx.insert(variants).values(variantValues.map((v) => ({ ...v, productId: product.id, crafterId })));
  await recordAudit(tx, {
    actorUserId,
    action: 'product.create',
    entityType: 'product',
    entityId: product.id,
    after: { ...productValues, variants: variantValues },
  });
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
