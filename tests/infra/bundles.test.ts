import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync } from "node:fs";
import { join } from "node:path";
import { build } from "esbuild";
import { describe, expect, it } from "vitest";
import { parseShopConfig } from "../../functions/core/config.js";
import { compiledConfigDefine, HANDLERS } from "../../infra/shopcare-stack.js";

/** What the stack puts in each function's environment (ARNs and URLs stand in as strings). */
const LAMBDA_ENV = {
  TABLE_NAME: "shopcare",
  EVENTS_QUEUE_URL: "https://sqs.ap-southeast-1.amazonaws.com/123456789012/events",
  WEBHOOK_SECRET_ARN: "arn:aws:secretsmanager:ap-southeast-1:123456789012:secret:webhooks",
  JOURNEY_STATE_MACHINES: "{}",
  MAX_RECEIVE_COUNT: "5",
  HANDOFF_TOPIC_ARN: "arn:aws:sns:ap-southeast-1:123456789012:operators",
  AWS_REGION: "ap-southeast-1",
  POWERTOOLS_LOG_LEVEL: "SILENT",
};

describe("Lambda bundles", () => {
  it("every handler's bundle, built as the stack builds it, initialises with only the stack's environment", async () => {
    // Inside the project, so the bundles resolve the AWS SDK from node_modules as Lambda's runtime provides it.
    const cache = join(process.cwd(), "node_modules", ".cache");
    mkdirSync(cache, { recursive: true });
    const dir = mkdtempSync(join(cache, "shopcare-bundles-"));
    const config = parseShopConfig({});
    const failures: string[] = [];
    for (const name of HANDLERS) {
      const outfile = join(dir, `${name}.cjs`);
      await build({
        entryPoints: [`functions/lambda/${name}.ts`],
        bundle: true,
        minify: true,
        platform: "node",
        target: "node22",
        format: "cjs",
        outfile,
        external: ["@aws-sdk/*"],
        define: compiledConfigDefine(config),
        logLevel: "silent",
      });
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
