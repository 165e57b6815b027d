import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/helpers/global-setup.ts'],
    pool: 'forks',
    // Two files at a time: most end-to-end suites wait on real processes, clocks and rate limits
    // rather than the CPU, so on a 2-core machine two at once halve the run (one at a time is
    // Vitest's default there). Suites keep their own database and queue prefix, so they never meet.
    maxWorkers: 2,
    reporters: ['default', './test/helpers/summary-reporter.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    sequence: { concurrent: false },
  },
});
