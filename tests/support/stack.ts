import { App, Validations } from "aws-cdk-lib";
import { AwsSolutionsChecks } from "cdk-nag";
import { parseShopConfig } from "../../functions/core/config/config.js";
import { ShopcareStack } from "../../infra/shopcare-stack.js";

/** A shop's stack in an app of its own (no bundling), with cdk-nag's AWS Solutions checks if asked. */
export function synth(withNag: boolean, rawConfig: unknown = {}) {
  const app = new App({ context: { "aws:cdk:bundling-stacks": [] } });
  const stack = new ShopcareStack(app, "Shopcare", { config: parseShopConfig(rawConfig) });
  if (withNag) Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { app, stack };
}
