import { readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

const benchmarksPath = fileURLToPath(new URL('../../BENCHMARKS.md', import.meta.url));

/**
 * Replaces (or appends) one named section of BENCHMARKS.md, delimited by HTML comment markers,
 * so each benchmark rewrites only its own figures.
 */
export async function writeBenchmarkSection(name: string, markdown: string): Promise<void> {
  const begin = `<!-- bench:${name}:begin -->`;
  const end = `<!-- bench:${name}:end -->`;
  let current = '';
  try {
    current = await readFile(benchmarksPath, 'utf8');
  } catch {
    current =
      '# Benchmarks\n\nWritten by `npm run bench` (see bench/). Figures come from the machine named in each section; compare orders of magnitude, not small differences.\n';
  }
  const block = `${begin}\n${markdown.trim()}\n${end}`;
  const start = current.indexOf(begin);
  const stop = current.indexOf(end);
  const next =
    start >= 0 && stop > start
      ? current.slice(0, start) + block + current.slice(stop + end.length)
      : `${current.trimEnd()}\n\n${block}\n`;
  await writeFile(benchmarksPath, next);
}

/** Machine description for benchmark headers. */
export async function machineLine(): Promise<string> {
  const os = await import('node:os');
  return `${os.cpus().length} cores (${os.cpus()[0]?.model ?? 'unknown'}), ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}, ${new Date().toISOString()}`;
}
