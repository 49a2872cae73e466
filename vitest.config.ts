import { defineConfig } from 'vitest/config';

// CI asks for a JSON report (scripts/test-summary.mjs turns it into "N passed, N failed").
const report = process.env.FLOWSIG_TEST_REPORT;

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'test/**/*.test.tsx'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    reporters: report ? ['default', 'json'] : ['default'],
    outputFile: report ? { json: report } : undefined,
  },
});
