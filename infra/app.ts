#!/usr/bin/env node
import { Annotations, App, Validations } from "aws-cdk-lib";
import { AwsSolutionsChecks } from "cdk-nag";
import { ConfigError, parseShopConfig, templateWarnings } from "../functions/core/config/config.js";
import { ShopcareStack } from "./shopcare-stack.js";

/**
 * The CDK app: `npx cdk synth` / `npx cdk deploy`. The shop config is read from `cdk.json`'s `shop`
 * context and validated before anything is built; cdk-nag's AWS Solutions checks run on every synth.
 */
const app = new App();
try {
  // `-c shop='{…}'` on the command line arrives as a string; cdk.json's context as an object.
  const raw = app.node.tryGetContext("shop");
  const config = parseShopConfig(typeof raw === "string" ? JSON.parse(raw) : raw);
  const stack = new ShopcareStack(app, app.node.tryGetContext("stackName") ?? "Shopcare", { config });
  for (const warning of templateWarnings(config)) {
    Annotations.of(stack).addWarningV2("shopcare:template-lint", warning);
  }
} catch (error) {
  if (error instanceof ConfigError) {
    console.error(error.message);
    process.exit(1);
  }
  throw error;
}
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
