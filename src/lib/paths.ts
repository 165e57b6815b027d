/**
 * Files shipped beside the code (migrations in drizzle/, region data in data/) are found from the
 * package root, not from the file asking: the same module runs as src/…/x.ts under tsx and as
 * dist/src/…/x.js once built, and both must read the one drizzle/ and data/ at the root.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The nearest folder at or above this module that holds a package.json (the repository or /app). */
function findPackageRoot(start: string): string {
  let dir = start;
  for (;;) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`no package.json above ${start}`);
    dir = parent;
  }
}

export const packageRoot = findPackageRoot(dirname(fileURLToPath(import.meta.url)));

/** Absolute path of a file or folder shipped at the package root, e.g. `fromPackageRoot('drizzle')`. */
export function fromPackageRoot(...segments: string[]): string {
  return join(packageRoot, ...segments);
}
