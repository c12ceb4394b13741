import { defineConfig } from 'vitest/config';

/**
 * Files whose assertions are about staying responsive while hostile input is
 * processed (a liveness probe's deadline).
 * They run last, one at a time: beside another server-starting suite on a
 * 2-core machine, a probe measures the neighbour's CPU, not the registry.
 */
const RESPONSIVENESS = [
  'e2e/hostile-modules.e2e.test.ts',
  'e2e/trial-hostile.e2e.test.ts',
  'e2e/contracts.e2e.test.ts',
  'e2e/scans.e2e.test.ts',
  'libs/sandbox/src/trial-runner.test.ts',
];

const shared = {
  exclude: ['node_modules/**', 'dist/**'],
  testTimeout: 60_000,
  hookTimeout: 120_000,
  pool: 'forks' as const,
};

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          ...shared,
          name: 'suite',
          include: ['libs/**/*.test.ts', 'apps/**/*.test.ts', 'scripts/**/*.test.ts', 'testing/**/*.test.ts', 'e2e/**/*.test.ts'],
          exclude: [...shared.exclude, ...RESPONSIVENESS],
          // Integration suites start real servers (PostgreSQL, s3rver, the API); two cores.
          maxWorkers: 2,
          sequence: { groupOrder: 0 },
        },
      },
      {
        test: {
          ...shared,
          name: 'responsiveness',
          include: RESPONSIVENESS,
          maxWorkers: 1,
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
