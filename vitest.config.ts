import { defineConfig } from "vitest/config";

/**
 * Projects per layer (docs/testing.md): `unit` and `infra` run without Java and start no DynamoDB Local;
 * `integration` and `e2e` share one DynamoDB Local per run (tests/support/global-setup.ts), each file on its
 * own tables. `npm test` runs them all; `npx vitest run --project unit` one layer.
 */
export default defineConfig({
  test: {
    pool: "forks",
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
