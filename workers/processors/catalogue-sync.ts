import type { Job } from 'bullmq';
import { eq } from 'drizzle-orm';
import type { Database } from '../../src/db/client.js';
import { products } from '../../src/db/schema/index.js';
import { catalogueSyncJob } from '../../src/queues/definitions.js';

export interface CatalogueSyncResult {
  productId: string;
  /** The product version this run saw (the current one, not the job's). */
  currentVersion: number | null;
  deleted: boolean;
  /** Channels pushed to. Connections and listings arrive with the outward-sync work. */
  channels: number;
}

/**
 * Loads the product's CURRENT state (never the job's snapshot) and fans it out to the crafter's
 * channel connections. Idempotent: running it twice pushes the same current state twice.
 */
export async function processCatalogueSync(db: Database, job: Job): Promise<CatalogueSyncResult> {
  const data = catalogueSyncJob.parse(job.data);
  const [product] = await db
    .select({ version: products.version, deletedAt: products.deletedAt })
    .from(products)
    .where(eq(products.id, data.productId));
  return {
    productId: data.productId,
    currentVersion: product?.version ?? null,
    deleted: !product || product.deletedAt !== null,
    channels: 0,
  };
}
