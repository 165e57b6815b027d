/**
 * Cache of serialised catalogue list pages, per API process. Bodies are kept as UTF-8 bytes, so a
 * hit costs no serialisation and no encoding.
 *
 * Correctness comes from Postgres, not from timing: triggers send `kriya_catalogue_changed` after
 * every committed change to products, variants or crafters (drizzle/0001, 0002), naming the
 * crafters and kelurahan it touched, and this process LISTENs. Each scope a page can be read in
 * (`all`, a region code, a crafter) has a generation; a notification bumps the generations of the
 * scopes that can see the change (`all`, the crafters, every region containing the kelurahan). A
 * page is stored with its scope's generation read BEFORE its query and served only while that is
 * unchanged, so a page that raced a change is never served. A notification that names nothing
 * specific ("*", TRUNCATE) and every write through this process (read-your-writes) bump a global
 * epoch that invalidates every page.
 *
 * Notifications lost while the LISTEN connection is down would leave stale pages, so from the moment
 * that connection closes until LISTEN succeeds again nothing is served or stored, and the epoch is
 * bumped both when it is lost and when it is back: no page cached before the loss is served after it.
 * The TTL is only a last bound for a connection that dies silently (no FIN; TCP keepalive notices).
 */
import { LRUCache } from 'lru-cache';
import { listenForNotifications, type NotificationListener } from '../db/notification-listener.js';
import type { Scope } from '../domain/scope.js';

export const CATALOGUE_CHANNEL = 'kriya_catalogue_changed';

export interface ListCacheOptions {
  /** Total bytes of cached bodies. */
  maxBytes?: number;
  ttlMs?: number;
}

/** The cache key part that says who may read a page: callers with equal scopes share pages. */
export function cacheScopeKey(scope: Scope): string {
  switch (scope.kind) {
    case 'all':
      return 'all';
    case 'region':
      return `region:${scope.regionCode}`;
    case 'crafter':
      return `crafter:${scope.crafterId}`;
  }
}

/** `36.74.01.1001` → `region:36.74`, `region:36.74.01`, `region:36.74.01.1001`. */
function regionScopesContaining(kelurahanCode: string): string[] {
  const parts = kelurahanCode.split('.');
  const scopes: string[] = [];
  for (let i = 2; i <= parts.length; i += 1) scopes.push(`region:${parts.slice(0, i).join('.')}`);
  return scopes;
}

/** The scopes a notification payload reaches, or null when it does not say (→ everything). */
export function scopesOfChange(payload: string): string[] | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(payload);
  } catch {
    return null;
  }
  const change = parsed as { c?: unknown; k?: unknown } | null;
  if (!change || !Array.isArray(change.c) || !Array.isArray(change.k)) return null;
  const scopes = new Set<string>(['all']);
  for (const id of change.c) if (typeof id === 'string') scopes.add(`crafter:${id}`);
  for (const code of change.k) {
    if (typeof code !== 'string') return null;
    for (const scope of regionScopesContaining(code)) scopes.add(scope);
  }
  return [...scopes];
}

export class ListCache {
  private epoch = 0;
  private readonly scopeGenerations = new Map<string, number>();
  private readonly pages: LRUCache<string, { generation: string; body: Buffer }>;
  private lastPayload = '';
  private listener: NotificationListener | undefined;

  constructor(options: ListCacheOptions = {}) {
    this.pages = new LRUCache({
      maxSize: options.maxBytes ?? 32 * 1024 * 1024,
      sizeCalculation: (entry) => entry.body.length + 64,
      ttl: options.ttlMs ?? 60_000,
    });
  }

  /**
   * Starts listening on a connection of its own. If Postgres cannot be reached now, or whenever that
   * connection is lost later, the cache is off (every request queries) and LISTEN is retried every
   * `retryMs`; so the API can start, and report not ready, while Postgres is down.
   */
  async start(
    databaseUrl: string,
    options: { retryMs?: number; onError?: (err: unknown) => void } = {},
  ): Promise<void> {
    await this.listener?.stop();
    const listener = listenForNotifications(databaseUrl, CATALOGUE_CHANNEL, {
      onNotify: (payload) => {
        this.lastPayload = payload;
        this.changed(scopesOfChange(payload));
      },
      // (Re)connected, or lost: notifications may have been missed meanwhile.
      onListening: () => this.invalidate(),
      onClosed: () => this.invalidate(),
      ...(options.onError ? { onError: options.onError } : {}),
      ...(options.retryMs === undefined ? {} : { retryMs: options.retryMs }),
    });
    this.listener = listener;
    await listener.started;
  }

  async stop(): Promise<void> {
    const listener = this.listener;
    this.listener = undefined;
    await listener?.stop();
  }

  /** True while the LISTEN connection is up, i.e. while pages are served and stored. */
  isListening(): boolean {
    return this.listener?.isListening() ?? false;
  }

  /** Payload of the newest change notification; lets tests wait for a barrier. */
  lastNotification(): string {
    return this.lastPayload;
  }

  /** The generation of a scope; read it BEFORE querying the page you will `set`. */
  currentGeneration(scopeKey: string): string {
    return `${this.epoch}.${this.scopeGenerations.get(scopeKey) ?? 0}`;
  }

  /** Drops every page. */
  invalidate(): void {
    this.epoch += 1;
  }

  /** Drops the pages of the given scopes (null: of every scope). */
  changed(scopeKeys: readonly string[] | null): void {
    if (scopeKeys === null) {
      this.invalidate();
      return;
    }
    for (const key of scopeKeys) this.scopeGenerations.set(key, (this.scopeGenerations.get(key) ?? 0) + 1);
  }

  get(key: string, scopeKey: string): Buffer | undefined {
    if (!this.isListening()) return undefined;
    const entry = this.pages.get(key);
    return entry && entry.generation === this.currentGeneration(scopeKey) ? entry.body : undefined;
  }

  set(key: string, scopeKey: string, generationBeforeQuery: string, body: Buffer): void {
    if (!this.isListening() || generationBeforeQuery !== this.currentGeneration(scopeKey)) return;
    this.pages.set(key, { generation: generationBeforeQuery, body });
  }
}
