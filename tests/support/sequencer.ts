import { relative } from "node:path";
import { BaseSequencer, type TestSpecification } from "vitest/node";

/**
 * The files that take longest on this 2-core machine, longest first (measured on a fresh clone's `npm
 * test`). Vitest orders a fresh clone's files, which have no timings cached yet, by project and then by
 * size; the parity month's file is small, so it started last and ran alone for most of a minute while the
 * other worker had nothing left. Starting the long ones first lets the short ones fill in beside them.
 */
const SLOWEST_FIRST = [
  "tests/integration/parity.test.ts",
  "tests/integration/lifecycle.test.ts",
  "tests/e2e/data-rights.test.ts",
  "tests/e2e/explain.test.ts",
  "tests/integration/memory-table-decisions.test.ts",
  "tests/e2e/crm.test.ts",
  "tests/e2e/http.test.ts",
  "tests/e2e/cli.test.ts",
  "tests/infra/bundles.test.ts",
  "tests/e2e/connect-shopify.test.ts",
  "tests/e2e/whatif.test.ts",
  "tests/e2e/whatif-sample.test.ts",
  "tests/integration/sending.test.ts",
  "tests/infra/stack.test.ts",
  "tests/integration/bounded-profiles.test.ts",
];

/** Vitest's order (timings cached by earlier runs, else size), with the known long files moved first. */
export class SlowestFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const ordered = await super.sort(files);
    const rank = (file: TestSpecification) => {
      const index = SLOWEST_FIRST.indexOf(relative(process.cwd(), file.moduleId).replaceAll("\\", "/"));
      return index === -1 ? SLOWEST_FIRST.length : index;
    };
    // A stable sort: every other file keeps Vitest's place for it.
    return [...ordered].sort((a, b) => rank(a) - rank(b));
  }
}
