import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { type BuildOptions, build } from "esbuild";
import type { ShopConfig } from "../../functions/core/config/config.js";
import { compiledConfigDefine, type HandlerName } from "../../infra/shopcare-stack.js";

/** What the stack puts in each function's environment (ARNs and URLs stand in as strings). */
export const LAMBDA_ENV = {
  TABLE_NAME: "shopcare",
  EVENTS_QUEUE_URL: "https://sqs.ap-southeast-1.amazonaws.com/123456789012/events",
  WEBHOOK_SECRET_ARN: "arn:aws:secretsmanager:ap-southeast-1:123456789012:secret:webhooks",
  JOURNEY_STATE_MACHINES: "{}",
  MAX_RECEIVE_COUNT: "5",
  HANDOFF_TOPIC_ARN: "arn:aws:sns:ap-southeast-1:123456789012:operators",
  ALIYUN_SECRET_ARN: "arn:aws:secretsmanager:ap-southeast-1:123456789012:secret:aliyun",
  AWS_REGION: "ap-southeast-1",
  POWERTOOLS_LOG_LEVEL: "SILENT",
};

/** Options of {@link buildLambdaBundle}. */
export interface LambdaBundleOptions {
  /**
   * Bundle the AWS SDK too, tree-shaken from its ES modules, instead of leaving it to the runtime (the
   * benchmark's alternative for cold starts; the stack does not do this). @default false
   */
  readonly bundleAwsSdk?: boolean;
}

/**
 * Builds one handler's bundle as the stack does for `nodejs22.x` (minified CJS, the config compiled in,
 * the AWS SDK left to the runtime) and returns its path. The bundle lands under `node_modules/.cache`, so
 * it resolves the AWS SDK from node_modules as Lambda's runtime would provide it.
 */
export async function buildLambdaBundle(
  name: HandlerName,
  config: ShopConfig,
  tag: string,
  options: LambdaBundleOptions = {},
): Promise<string> {
  const dir = join(process.cwd(), "node_modules", ".cache", `shopcare-${tag}`);
  mkdirSync(dir, { recursive: true });
  const outfile = join(dir, `${name}${options.bundleAwsSdk ? "-with-sdk" : ""}.cjs`);
  await build({
    ...bundleOptions(name, config, options),
    outfile,
  });
  return outfile;
}

/**
 * The source files a handler's bundle holds, as esbuild's metafile lists them (paths from the repository
 * root): what the stack would ship, without writing the bundle.
 */
export async function lambdaBundleInputs(name: HandlerName, config: ShopConfig): Promise<string[]> {
  const result = await build({
    ...bundleOptions(name, config, {}),
    write: false,
    outdir: "out",
    metafile: true,
  });
  return Object.keys(result.metafile.inputs);
}

function bundleOptions(name: HandlerName, config: ShopConfig, options: LambdaBundleOptions) {
  return {
    entryPoints: [`functions/lambda/${name}.ts`],
    bundle: true,
    minify: true,
    platform: "node",
    target: "node22",
    format: "cjs",
    ...(options.bundleAwsSdk ? { mainFields: ["module", "main"] } : { external: ["@aws-sdk/*"] }),
    define: compiledConfigDefine(config),
    logLevel: "silent",
  } satisfies BuildOptions;
}
