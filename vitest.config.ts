import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // One redis-server and one PostgreSQL for the whole run; see test/support/global-setup.ts.
    globalSetup: ['test/support/global-setup.ts'],
    // Child processes rather than worker threads: tests start servers, kill workers and use
    // native sockets, and a crashed fork cannot take the runner down with it.
    pool: 'forks',
    // Test files run in parallel, sized for the 2-core machines CI and benchmarks use; the
    // servers under test need the remaining CPU.
    maxWorkers: 2,
    testTimeout: 30_000,
    hookTimeout: 60_000,
    teardownTimeout: 30_000,
  },
});
