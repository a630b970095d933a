import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { parseShopConfig } from "../../functions/core/config.js";
import { HANDLERS } from "../../infra/shopcare-stack.js";
import { buildLambdaBundle, LAMBDA_ENV } from "../support/lambda-bundles.js";

describe("Lambda bundles", () => {
  it("every handler's bundle, built as the stack builds it, initialises with only the stack's environment", async () => {
    const config = parseShopConfig({});
    const failures: string[] = [];
    for (const name of HANDLERS) {
      const outfile = await buildLambdaBundle(name, config, "bundle-test");
      const probe = `const m = require(${JSON.stringify(outfile)}); if (typeof m.handler !== "function") throw new Error("no handler export");`;
      const result = spawnSync(process.execPath, ["-e", probe], {
        env: { PATH: process.env.PATH, ...LAMBDA_ENV },
        cwd: process.cwd(),
        encoding: "utf8",
      });
      if (result.status !== 0)
        failures.push(`${name}: ${result.stderr.split("\n").find((line) => /^\w*Error: /.test(line))}`);
    }
    expect(failures).toEqual([]);
  });
});
