import type { Database } from './client.js';

/**
 * Queries built once per database handle (drizzle's `.prepare()`, with `sql.placeholder` for the
 * values): for the hot paths, building a query with its tables' columns costs more CPU than
 * Postgres spends answering it. Keyed weakly, so a closed handle's queries go with it.
 */
export function perDatabase<T>(build: (db: Database) => T): (db: Database) => T {
  const cache = new WeakMap<Database, T>();
  return (db) => {
    let built = cache.get(db);
    if (built === undefined) {
      built = build(db);
      cache.set(db, built);
    }
    return built;
  };
}
