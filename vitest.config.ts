import { availableParallelism } from "node:os";
import { defineConfig } from "vitest/config";
import { SlowestFirst } from "./tests/support/sequencer.js";

/**
 * Projects per layer (docs/testing.md): `unit` and `infra` run without Java and start no DynamoDB Local;
 * `integration` and `e2e` share one DynamoDB Local per run (tests/support/global-setup.ts), each file on its
 * own tables. `npm test` runs them all; `npx vitest run --project unit` one layer.
 */
export default defineConfig({
  test: {
    pool: "forks",
    // Test files share their worker's module cache: aws-cdk-lib, the synthesized templates
    // (tests/support/local.ts) and the engine load once per worker instead of once per file — on this
    // 2-core machine a third of the suite's time was imports. A file that changes process-wide state (the
    // environment, fake timers) puts it back when it ends.
    isolate: false,
    sequence: { sequencer: SlowestFirst },
    // Vitest's default outside watch mode is one worker fewer than the CPUs: one on a 2-core machine, where
    // most test files wait on DynamoDB Local, a child CLI or Chromium rather than compute.
    maxWorkers: Math.max(2, availableParallelism()),
    testTimeout: 120_000,
    hookTimeout: 120_000,
    env: { POWERTOOLS_LOG_LEVEL: "SILENT" },
    projects: [
      { extends: true, test: { name: "unit", include: ["tests/unit/**/*.test.ts"] } },
      { extends: true, test: { name: "infra", include: ["tests/infra/**/*.test.ts"] } },
      {
        extends: true,
        test: {
          name: "integration",
          include: ["tests/integration/**/*.test.ts"],
          globalSetup: ["tests/support/global-setup.ts"],
        },
      },
      {
        extends: true,
        test: {
          name: "e2e",
          include: ["tests/e2e/**/*.test.ts"],
          globalSetup: ["tests/support/global-setup.ts"],
        },
      },
    ],
  },
});
