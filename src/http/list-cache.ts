/**
 * Cache of serialised catalogue list pages, per API process. Bodies are kept as UTF-8 bytes, so a
 * hit costs no serialisation and no encoding.
 *
 * Correctness comes from Postgres, not from timing: triggers send `kriya_catalogue_changed` after
 * every committed change to products, variants or crafters (drizzle/0001), and this process LISTENs.
 * Each notification bumps a generation number; a page is stored with the generation read BEFORE its
 * query ran and served only while the generation is unchanged, so a page that raced a change is
 * never served. Writes made through this process bump the generation at once (read-your-writes);
 * writes through another process are seen as soon as their notification arrives (milliseconds).
 * While the LISTEN connection is not up, nothing is served from the cache. A TTL bounds the damage
 * of a notification lost with a dropped connection.
 */
import { LRUCache } from 'lru-cache';
import type postgres from 'postgres';

export const CATALOGUE_CHANNEL = 'kriya_catalogue_changed';

export interface ListCacheOptions {
  /** Total bytes of cached bodies. */
  maxBytes?: number;
  ttlMs?: number;
}

export class ListCache {
  private generation = 0;
  private listening = false;
  private readonly pages: LRUCache<string, { generation: number; body: Buffer }>;
  private unlisten: (() => Promise<void>) | undefined;
  private lastPayload = '';

  constructor(options: ListCacheOptions = {}) {
    this.pages = new LRUCache({
      maxSize: options.maxBytes ?? 32 * 1024 * 1024,
      sizeCalculation: (entry) => entry.body.length + 64,
      ttl: options.ttlMs ?? 60_000,
    });
  }

  /** Starts listening. postgres.js re-listens after reconnects; each (re)listen bumps the generation. */
  async start(sql: postgres.Sql): Promise<void> {
    const meta = await sql.listen(
      CATALOGUE_CHANNEL,
      (payload) => {
        this.lastPayload = payload;
        this.invalidate();
      },
      () => {
        // (Re)connected: notifications may have been missed while down.
        this.invalidate();
        this.listening = true;
      },
    );
    this.unlisten = meta.unlisten;
    this.listening = true;
  }

  async stop(): Promise<void> {
    this.listening = false;
    await this.unlisten?.();
  }

  /** Current generation; read it BEFORE querying the page you will `set`. */
  currentGeneration(): number {
    return this.generation;
  }

  /** Payload of the newest change notification (the table name); lets tests wait for a barrier. */
  lastNotification(): string {
    return this.lastPayload;
  }

  invalidate(): void {
    this.generation += 1;
  }

  get(key: string): Buffer | undefined {
    if (!this.listening) return undefined;
    const entry = this.pages.get(key);
    return entry && entry.generation === this.generation ? entry.body : undefined;
  }

  set(key: string, generationBeforeQuery: number, body: Buffer): void {
    if (!this.listening || generationBeforeQuery !== this.generation) return;
    this.pages.set(key, { generation: generationBeforeQuery, body });
  }
}
