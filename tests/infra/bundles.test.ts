import { execSync, spawnSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { build } from "esbuild";
import { describe, expect, it } from "vitest";
import { parseShopConfig } from "../../functions/core/config/config.js";
import { synthesizeTemplate } from "../../functions/local/emulator/synth.js";
import { phoneDataCommands } from "../../infra/shop-function.js";
import type { HandlerName } from "../../infra/shopcare-stack.js";
import { buildLambdaBundle, LAMBDA_ENV, lambdaBundleInputs } from "../support/lambda-bundles.js";
import { CAMPAIGN_CONFIG, DEPLOYED_PROVIDERS, PROVIDER_CONFIGS } from "../support/providers.js";

/**
 * Each function's environment as the synthesized template sets it: literal values as they are, references
 * (ARNs, URLs, names) as stand-in strings. A variable the template does not set is absent.
 */
function environmentsOf(
  template: ReturnType<typeof synthesizeTemplate>,
): Map<HandlerName, Record<string, string>> {
  const environments = new Map<HandlerName, Record<string, string>>();
  for (const resource of Object.values(template.Resources)) {
    const variables = resource.Properties?.Environment?.Variables as Record<string, unknown> | undefined;
    const handler = variables?.SHOPCARE_HANDLER as HandlerName | undefined;
    if (!variables || !handler) continue;
    const environment: Record<string, string> = {};
    for (const [name, value] of Object.entries(variables)) {
      environment[name] =
        typeof value === "string"
          ? value
          : ((LAMBDA_ENV as Record<string, string>)[name] ?? `stand-in-${name}`);
    }
    environments.set(handler, environment);
  }
  return environments;
}

describe("Lambda bundles", () => {
  it.each([...DEPLOYED_PROVIDERS, "sns with a campaign"] as const)(
    "every handler the %s stack deploys, bundled as the stack builds it, initialises with only its template environment",
    async (provider) => {
      const config = parseShopConfig(
        provider === "sns with a campaign" ? CAMPAIGN_CONFIG : PROVIDER_CONFIGS[provider],
      );
      const failures: string[] = [];
      for (const [name, environment] of environmentsOf(synthesizeTemplate(config))) {
        const outfile = await buildLambdaBundle(name, config, `bundle-test-${provider.replaceAll(" ", "-")}`);
        const probe = `const m = require(${JSON.stringify(outfile)}); if (typeof m.handler !== "function") throw new Error("no handler export");`;
        const result = spawnSync(process.execPath, ["-e", probe], {
          env: {
            PATH: process.env.PATH,
            AWS_REGION: "ap-southeast-1",
            POWERTOOLS_LOG_LEVEL: "SILENT",
            ...environment,
          },
          cwd: process.cwd(),
          encoding: "utf8",
        });
        if (result.status !== 0)
          failures.push(`${name}: ${result.stderr.split("\n").find((line) => /^\w*Error: /.test(line))}`);
      }
      expect(failures).toEqual([]);
    },
  );
});

describe("the hot path's bundles", () => {
  // Issue 34: the functions every webhook and step runs carry no reporting, explain or local-tool code (a
  // smaller bundle loads faster on a cold start, and a report's change cannot break sending).
  it.each(["ingest", "dispatch", "step", "link"] as const)(
    "the %s bundle holds no insight (report, explain, statistics) and no local tool",
    async (name) => {
      const config = parseShopConfig(CAMPAIGN_CONFIG);

      const inputs = await lambdaBundleInputs(name, config);

      expect(inputs).toContain(`functions/lambda/${name}.ts`);
      expect(inputs.filter((input) => /^functions\/(core\/insight|local)\//.test(input))).toEqual([]);
    },
  );
});

describe("the phone data beside a bundle", () => {
  it("answers a number's zones and region from a CJS bundle reading only what the bundling copied", async () => {
    // Arrange: the commands the stack's bundling runs, into an empty task root; the adapter bundled as the
    // functions are (CJS, node22), run from a folder without node_modules.
    const taskRoot = mkdtempSync(join(tmpdir(), "shopcare-task-"));
    for (const command of phoneDataCommands(process.cwd(), taskRoot)) execSync(command, { shell: "/bin/sh" });
    const outfile = join(taskRoot, "index.js");
    await build({
      stdin: {
        contents: `const { join } = require("node:path");
          const { LibphonenumberPlaces } = require("./functions/adapters/phones/phone-places.ts");
          const phones = new LibphonenumberPlaces(join(process.env.LAMBDA_TASK_ROOT, "phone-data"));
          process.stdout.write(JSON.stringify([phones.placeOf("+13055550100"), phones.zonesOfRegion("US-FL")]));`,
        resolveDir: process.cwd(),
        loader: "ts",
      },
      bundle: true,
      platform: "node",
      target: "node22",
      format: "cjs",
      outfile,
      logLevel: "silent",
    });

    // Act
    const result = spawnSync(process.execPath, [outfile], {
      env: { PATH: process.env.PATH, LAMBDA_TASK_ROOT: taskRoot },
      cwd: tmpdir(),
      encoding: "utf8",
    });

    // Assert: a Miami number is in New York's time and Florida; Florida's numbers span two zones.
    expect(result.stderr).toBe("");
    expect(JSON.parse(result.stdout)).toEqual([
      { zones: ["America/New_York"], region: "US-FL" },
      ["America/Chicago", "America/New_York"],
    ]);
  });
});
