#!/usr/bin/env node
import { App, Validations } from "aws-cdk-lib";
import { AwsSolutionsChecks } from "cdk-nag";
import { ConfigError, parseShopConfig } from "../functions/core/config.js";
import { ShopcareStack } from "./shopcare-stack.js";

/**
 * The CDK app: `npx cdk synth` / `npx cdk deploy`. The shop config is read from `cdk.json`'s `shop`
 * context and validated before anything is built; cdk-nag's AWS Solutions checks run on every synth.
 */
const app = new App();
try {
  const config = parseShopConfig(app.node.tryGetContext("shop"));
  new ShopcareStack(app, app.node.tryGetContext("stackName") ?? "Shopcare", { config });
} catch (error) {
  if (error instanceof ConfigError) {
    console.error(error.message);
    process.exit(1);
  }
  throw error;
}
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
