/**
 * `npm run bench [-- name ...]`: runs every module in bench/ that exports `main` (catalogue,
 * sandbox, ...), one after the other so they do not compete for the CPU. Each writes its own section
 * of BENCHMARKS.md. Exits non-zero if any benchmark fails, after running the rest.
 */
import { readdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

const benchDir = fileURLToPath(new URL('.', import.meta.url));

export async function benchModules(): Promise<string[]> {
  const files = await readdir(benchDir);
  return files
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts') && f !== 'run.ts')
    .map((f) => f.slice(0, -'.ts'.length))
    .sort();
}

export async function main(only: string[] = process.argv.slice(2)): Promise<void> {
  const names = (await benchModules()).filter((n) => only.length === 0 || only.includes(n));
  const unknown = only.filter((n) => !names.includes(n));
  if (unknown.length > 0) throw new Error(`no benchmark named ${unknown.join(', ')}`);
  const failed: string[] = [];
  for (const name of names) {
    const mod = (await import(`./${name}.js`)) as { main?: unknown };
    if (typeof mod.main !== 'function') continue;
    process.stdout.write(`\n=== bench/${name} ===\n`);
    const started = Date.now();
    try {
      await (mod.main as () => Promise<unknown>)();
      process.stdout.write(
        `=== bench/${name}: done in ${((Date.now() - started) / 1000).toFixed(0)} s ===\n`,
      );
    } catch (err) {
      failed.push(name);
      process.stderr.write(
        `bench/${name} failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
      );
    }
  }
  if (failed.length > 0) throw new Error(`failed: ${failed.join(', ')}`);
}

const isMain = process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1];
if (isMain) {
  main().then(
    () => process.exit(0),
    (err: unknown) => {
      process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
      process.exit(1);
    },
  );
}
