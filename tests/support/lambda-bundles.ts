import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { build } from "esbuild";
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
    entryPoints: [`functions/lambda/${name}.ts`],
    bundle: true,
    minify: true,
    platform: "node",
    target: "node22",
    format: "cjs",
    outfile,
    ...(options.bundleAwsSdk ? { mainFields: ["module", "main"] } : { external: ["@aws-sdk/*"] }),
    define: compiledConfigDefine(config),
    logLevel: "silent",
  });
  return outfile;
}
