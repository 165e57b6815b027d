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
import postgres from 'postgres';
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
  private listening = false;
  private readonly pages: LRUCache<string, { generation: string; body: Buffer }>;
  private connection: postgres.Sql | undefined;
  private lastPayload = '';
  private stopped = false;
  private retryTimer: NodeJS.Timeout | undefined;
  private retryMs = 5_000;
  private onError: ((err: unknown) => void) | undefined;

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
    this.stopped = false;
    this.retryMs = options.retryMs ?? 5_000;
    this.onError = options.onError;
    // Not `sql.listen()`: postgres.js re-listens after a drop by itself but tells nobody that the
    // connection was lost, and that moment is exactly when the cache must stop serving. `onnotify` is
    // the (untyped) connection option postgres.js's own listen() is built on.
    const connectionOptions: postgres.Options<Record<string, never>> & {
      onnotify: (channel: string, payload: string) => void;
    } = {
      max: 1,
      idle_timeout: 0,
      max_lifetime: null,
      fetch_types: false,
      connect_timeout: 10,
      onnotice: () => {},
      onnotify: (channel, payload) => {
        if (channel !== CATALOGUE_CHANNEL) return;
        this.lastPayload = payload;
        this.changed(scopesOfChange(payload));
      },
      onclose: () => this.connectionLost(),
    };
    this.connection = postgres(databaseUrl, connectionOptions);
    await this.listen();
  }

  private async listen(): Promise<void> {
    const connection = this.connection;
    if (!connection || this.stopped) return;
    try {
      await connection.unsafe(`listen ${CATALOGUE_CHANNEL}`);
      if (this.stopped) return;
      // (Re)connected: notifications may have been missed while down.
      this.invalidate();
      this.listening = true;
    } catch (err) {
      this.onError?.(err);
      this.scheduleListen();
    }
  }

  private connectionLost(): void {
    const wasListening = this.listening;
    this.listening = false;
    this.invalidate();
    if (this.stopped) return;
    // A failed connect also closes; listen() reports that one itself.
    if (wasListening) this.onError?.(new Error('the LISTEN connection was closed'));
    this.scheduleListen();
  }

  private scheduleListen(): void {
    if (this.stopped || this.retryTimer) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      void this.listen();
    }, this.retryMs);
    this.retryTimer.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    this.listening = false;
    await this.connection?.end({ timeout: 0 });
    this.connection = undefined;
  }

  /** True while the LISTEN connection is up, i.e. while pages are served and stored. */
  isListening(): boolean {
    return this.listening;
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
    if (!this.listening) return undefined;
    const entry = this.pages.get(key);
    return entry && entry.generation === this.currentGeneration(scopeKey) ? entry.body : undefined;
  }

  set(key: string, scopeKey: string, generationBeforeQuery: string, body: Buffer): void {
    if (!this.listening || generationBeforeQuery !== this.currentGeneration(scopeKey)) return;
    this.pages.set(key, { generation: generationBeforeQuery, body });
  }
}
