/** The Dockerfile names only files that are in the repository (COPY sources and files its comments point to). */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../helpers/clone.js';

const dockerfile = readFileSync(join(repoRoot, 'Dockerfile'), 'utf8');

describe('Dockerfile', () => {
  it('copies only paths that exist in the repository', () => {
    const sources = [...dockerfile.matchAll(/^COPY\s+(?!--from)(.+)$/gm)].flatMap((m) =>
      (m[1] ?? '').trim().split(/\s+/).slice(0, -1),
    );
    expect(sources.length).toBeGreaterThan(3);
    for (const source of sources) expect(existsSync(join(repoRoot, source)), source).toBe(true);
  });

  it('refers in its comments only to files that exist in the repository', () => {
    const comments = dockerfile.split('\n').filter((line) => line.trimStart().startsWith('#'));
    const named = comments.flatMap((line) =>
      [...line.matchAll(/[\w./-]+\.(?:md|ts|json|ya?ml)\b/g)].map((m) => m[0]),
    );
    for (const file of named) {
      const candidates = [file, file.replace(/^\/app\//, '')];
      expect(
        candidates.some((c) => existsSync(join(repoRoot, c))),
        `${file} is named in the Dockerfile but is not in the repository`,
      ).toBe(true);
    }
  });
});
