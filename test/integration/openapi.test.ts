/**
 * The OpenAPI document at /docs/json is what client generators, integrators and the planned web app
 * read. It is checked here by tools that are not ours: an independent OpenAPI 3.1 validator, and
 * openapi-typescript, whose generated client must compile under the project's TypeScript.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { validate } from '@readme/openapi-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from '../helpers/api.js';

const run = promisify(execFile);
const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;

interface Operation {
  operationId?: string;
  tags?: string[];
}
type Document = {
  tags?: { name: string; description?: string }[];
  paths: Record<string, Partial<Record<(typeof HTTP_METHODS)[number], Operation>>>;
  components?: { schemas?: Record<string, unknown> };
};

let api: TestApi;
let doc: Document;
let workDir: string;
beforeAll(async () => {
  // With queues, as the API process runs: the queue dashboard's routes are registered too.
  api = await startTestApi('openapi', {}, { withQueues: true });
  const res = await api.app.inject({ method: 'GET', url: '/docs/json' });
  expect(res.statusCode).toBe(200);
  doc = res.json();
  workDir = await mkdtemp(path.join(tmpdir(), 'kriya-openapi-'));
});
afterAll(async () => {
  await api?.close();
  if (workDir) await rm(workDir, { recursive: true, force: true });
});

function operations(): { method: string; route: string; op: Operation }[] {
  return Object.entries(doc.paths).flatMap(([route, item]) =>
    HTTP_METHODS.flatMap((method) => (item[method] ? [{ method, route, op: item[method] }] : [])),
  );
}

describe('OpenAPI document', () => {
  it('passes an independent OpenAPI 3.1 validator, every $ref resolving', async () => {
    expect(doc).toHaveProperty('openapi', '3.1.0');
    // The validator resolves references in place, so it gets its own copy.
    const result = await validate(structuredClone(doc) as never);
    expect(result.valid ? [] : result.errors.map((e) => e.message)).toEqual([]);
    const refs = [...JSON.stringify(doc).matchAll(/"\$ref":"#\/components\/schemas\/([^"]+)"/g)].map(
      (m) => m[1],
    );
    expect(refs.length).toBeGreaterThan(0);
    for (const name of new Set(refs)) expect(doc.components?.schemas, name).toHaveProperty([name ?? '']);
  });

  it('gives every operation a unique operationId and declares every tag it uses, with a description', () => {
    const ops = operations();
    expect(ops.length).toBeGreaterThan(15);
    const missing = ops.filter(({ op }) => !op.operationId).map(({ method, route }) => `${method} ${route}`);
    expect(missing).toEqual([]);
    const ids = ops.map(({ op }) => op.operationId);
    expect(ids.filter((id, i) => ids.indexOf(id) !== i)).toEqual([]);
    const declared = new Map((doc.tags ?? []).map((t) => [t.name, t.description]));
    const used = new Set(ops.flatMap(({ op }) => op.tags ?? []));
    expect([...used].filter((t) => !declared.has(t))).toEqual([]);
    for (const [name, description] of declared) expect(description, name).toBeTruthy();
    for (const { method, route, op } of ops) expect(op.tags?.length, `${method} ${route}`).toBeGreaterThan(0);
  });

  it('keeps the operationIds clients are generated with', () => {
    const byRoute = Object.fromEntries(
      operations().map(({ method, route, op }) => [`${method} ${route}`, op.operationId]),
    );
    expect(byRoute).toMatchObject({
      'get /v1/products': 'listProducts',
      'post /v1/products': 'createProduct',
      'get /v1/products/{id}': 'getProduct',
      'patch /v1/products/{id}': 'updateProduct',
      'put /v1/products/{id}': 'replaceProduct',
      'delete /v1/products/{id}': 'deleteProduct',
      'get /v1/products/export.csv': 'exportProductsCsv',
      'post /v1/products/import': 'importProductsCsv',
      'get /v1/crafters': 'listCrafters',
      'patch /v1/crafters/{id}': 'updateCrafter',
      'post /v1/auth/login': 'login',
    });
  });

  it('generates a typed client with openapi-typescript that compiles under the project TypeScript', async () => {
    const specFile = path.join(workDir, 'openapi.json');
    await writeFile(specFile, JSON.stringify(doc));
    // openapi-typescript builds its output with the TypeScript 5 JS API (tools/openapi-codegen).
    const codegen = createRequire(import.meta.url).resolve('@kriya-sync/openapi-codegen/package.json');
    const cli = path.join(path.dirname(codegen), 'node_modules/openapi-typescript/bin/cli.js');
    await run(process.execPath, [cli, specFile, '--output', path.join(workDir, 'api.d.ts')], {
      timeout: 60_000,
    });
    await writeFile(
      path.join(workDir, 'client.ts'),
      [
        "import type { components, operations, paths } from './api.js';",
        "type Page = paths['/v1/products']['get']['responses']['200']['content']['application/json'];",
        "type Product = components['schemas']['Product'];",
        'export const page: Page = { items: [], nextCursor: null };',
        'export const price = (p: Product): number => p.variants[0]?.priceIdr ?? 0;',
        "type Crafter = operations['updateCrafter']['responses']['200']['content']['application/json'];",
        'export const version = (c: Crafter): number => c.version;',
        "type Problem = components['schemas']['Problem'];",
        'export const code = (p: Problem): string => p.code;',
        // The types are real, not `any`: a wrong shape must not compile.
        '// @ts-expect-error nextCursor is a string or null',
        'export const wrong: Page = { items: [], nextCursor: 42 };',
        '',
      ].join('\n'),
    );
    await writeFile(
      path.join(workDir, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          strict: true,
          noEmit: true,
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          target: 'ES2023',
          exactOptionalPropertyTypes: true,
          noUncheckedIndexedAccess: true,
          types: [],
        },
        files: ['client.ts'],
      }),
    );
    const tsc = path.resolve('node_modules/typescript/bin/tsc');
    const result = await run(process.execPath, [tsc, '-p', path.join(workDir, 'tsconfig.json')], {
      timeout: 60_000,
    }).catch((err: { stdout?: string; stderr?: string }) => ({
      stdout: err.stdout ?? '',
      stderr: err.stderr ?? 'failed',
    }));
    expect(`${result.stdout}${result.stderr}`).toBe('');
  });
});
