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
  // CDK's built-in CloudFormation validation (a WebAssembly engine, about 4 s to start and 1 s a synth) only
  // warns, and the template is the same without it: `cdk synth` and the infra tests keep it.
  const app = new App({
    context: { "aws:cdk:bundling-stacks": [] },
    outdir: undefined,
    builtinCloudFormationValidation: false,
  });
  const stack = new ShopcareStack(app, "Shopcare", { config });
  const assembly = app.synth();
  return assembly.getStackArtifact(stack.artifactId).template as CloudFormationTemplate;
}
