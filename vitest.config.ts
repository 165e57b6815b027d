import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/helpers/global-setup.ts'],
    pool: 'forks',
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Unit tests first would be nice, but vitest orders by duration cache; keep files isolated instead.
    sequence: { concurrent: false },
  },
});
