import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['packages/*/src/**/*.test.ts', 'actions/*/src/**/*.test.ts', 'test/**/*.test.ts'],
    // End-to-end tests spawn cargo, claude and git; the machine has 2 cores.
    testTimeout: 120_000,
    hookTimeout: 300_000,
    pool: 'forks',
    maxWorkers: 2,
    server: {
      deps: {
        // GitHub's workflow parser imports JSON without import attributes; let vite transform it.
        inline: [/@actions\/workflow-parser/, /@actions\/expressions/],
      },
    },
  },
});
