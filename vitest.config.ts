import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Builds dist/ when it is older than src/: the CLI and fuzz tests run the build.
    globalSetup: ['test/support/dist.ts'],
    testTimeout: 30_000,
    // verify's start-up caches go to a folder of the test runs, not the developer's ~/.cache.
    env: { RULES2ACTIONS_CACHE: process.env.RULES2ACTIONS_CACHE ?? join(tmpdir(), `rules2actions-test-cache-${process.getuid?.() ?? 'user'}`) },
    // In CI, also a machine-readable summary that .ci/run turns into its closing line.
    reporters: process.env.CI ? ['default', ['json', { outputFile: '.vitest-results.json' }]] : ['default'],
  },
});
