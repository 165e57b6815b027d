/**
 * A fresh clone of the current commit in a folder only its owner can enter (mode 700, as a clone
 * under /root or a `mktemp -d` folder is), with node_modules as a hard-linked copy of this
 * checkout's: the files really live inside the private folder, as after `npm ci` there, without
 * the time and network of an install. Uncommitted changes are not in the clone.
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

export interface PrivateClone {
  /** The clone (its parent folder is mode 700). */
  dir: string;
  commit: string;
  remove(): Promise<void>;
}

export async function clonePrivately(label: string): Promise<PrivateClone> {
  const parent = await mkdtemp(join(tmpdir(), `kriya-${label}-`));
  const mode = (await stat(parent)).mode & 0o777;
  if (mode !== 0o700) throw new Error(`mkdtemp gave mode ${mode.toString(8)}, expected 700`);
  const dir = join(parent, 'kriya-sync');
  // TEST_CLONE_COMMIT runs these tests against another commit (e.g. to see them fail before a fix).
  const commit = execFileSync('git', ['rev-parse', process.env.TEST_CLONE_COMMIT ?? 'HEAD'], {
    cwd: repoRoot,
    encoding: 'utf8',
  }).trim();
  execFileSync('git', ['clone', '--quiet', '--no-checkout', repoRoot, dir]);
  execFileSync('git', ['checkout', '--quiet', '--detach', commit], { cwd: dir });
  execFileSync('cp', ['-al', join(repoRoot, 'node_modules'), join(dir, 'node_modules')]);
  return { dir, commit, remove: () => rm(parent, { recursive: true, force: true }) };
}
