import { App } from "aws-cdk-lib";
import { ShopcareStack } from "../../../infra/shopcare-stack.js";
import type { ShopConfig } from "../../core/config/config.js";
import type { CloudFormationTemplate } from "./engine.js";

/**
 * Synthesizes the real shopcare stack in-process for the local runtime. Bundling is skipped (the local
 * runtime calls the handlers in-process); everything else — state machine definitions, function
 * environments, table keys — is exactly what `cdk synth` produces for this config.
 */
export function synthesizeTemplate(config: ShopConfig): CloudFormationTemplate {
  const app = new App({ context: { "aws:cdk:bundling-stacks": [] }, outdir: undefined });
  const stack = new ShopcareStack(app, "Shopcare", { config });
  const assembly = app.synth();
  return assembly.getStackArtifact(stack.artifactId).template as CloudFormationTemplate;
}
