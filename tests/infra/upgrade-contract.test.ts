import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runSimulation } from "@cloud-copilot/iam-simulate";
import { App } from "aws-cdk-lib";
import { afterAll, describe, expect, it } from "vitest";
import { parseShopConfig, type ShopConfig } from "../../functions/core/config/config.js";
import { ShopcareStack } from "../../infra/shopcare-stack.js";
import {
  ACCOUNT,
  type CfnTemplate,
  type Json,
  ResolvedTemplate,
  STATE_MACHINES,
  VersionNumbers,
} from "../support/cfn.js";

/**
 * The upgrade contract: an update deploy must leave every execution that is already waiting able to run
 * to its end. Such an execution runs on the state machine version it started on, whose definition names
 * exact Lambda versions, under the machine's role as the *new* template defines it. So after the update,
 * each state machine version and Lambda version the old template's machines reference must still exist —
 * kept in the new template, or removed from it under `DeletionPolicy: Retain`, which CloudFormation
 * honours from the template in which the resource last stood ("DeletionPolicy attribute", CloudFormation
 * user guide) — and the new roles must still allow invoking those Lambda versions.
 */

const before = parseShopConfig({});
// One timing changed, as an operator would: the config is compiled into the bundles, so every function
// and every machine gets a new version.
const after = parseShopConfig({ journeys: { gift30: { after: "31d" } } });

const outdirs: string[] = [];
afterAll(() => {
  for (const dir of outdirs) rmSync(dir, { recursive: true, force: true });
});

/**
 * Synthesizes as `cdk deploy` does, bundles included: a Lambda version's logical id hashes the function's
 * code asset, and the asset is only real when the bundles are built.
 */
function synthesizeForDeploy(config: ShopConfig): CfnTemplate {
  const outdir = mkdtempSync(join(tmpdir(), "shopcare-upgrade-"));
  outdirs.push(outdir);
  const app = new App({ outdir });
  const stack = new ShopcareStack(app, "Shopcare", { config });
  return app.synth().getStackArtifact(stack.artifactId).template as CfnTemplate;
}

/** The Lambda version resources a machine's definition names (`Ref` to an `AWS::Lambda::Version`). */
function referencedLambdaVersions(resolved: ResolvedTemplate, machineId: string): string[] {
  const text = JSON.stringify(resolved.resources[machineId]?.Properties.DefinitionString);
  return [...text.matchAll(/"Ref":"([A-Za-z0-9]+)"/g)]
    .map((match) => match[1] as string)
    .filter((id) => resolved.resources[id]?.Type === "AWS::Lambda::Version");
}

/** The machine versions a template publishes for a machine (what its `live` alias points at). */
function machineVersions(resolved: ResolvedTemplate, machineId: string): string[] {
  return resolved
    .idsOf("AWS::StepFunctions::StateMachineVersion")
    .filter((id) => resolved.resources[id]?.Properties.StateMachineArn?.Ref === machineId);
}

/**
 * Whether an update replaces a resource kept under the same logical id: every property of a Lambda
 * version or a state machine version is immutable, so any change is a replacement ("Update requires:
 * Replacement" in their CloudFormation references).
 */
function replaced(id: string, old: ResolvedTemplate, next: ResolvedTemplate): boolean {
  const [before, after] = [old.resources[id], next.resources[id]];
  return (
    before !== undefined &&
    after !== undefined &&
    JSON.stringify(old.resolve(before.Properties)) !== JSON.stringify(next.resolve(after.Properties))
  );
}

/** Why the old resource `id` would not exist after the update, if it would not. */
function survives(id: string, old: ResolvedTemplate, next: ResolvedTemplate): string | undefined {
  const resource = old.resources[id];
  const kept = next.resources[id];
  if (!kept)
    return resource?.DeletionPolicy === "Retain"
      ? undefined
      : `${id} (${resource?.Type}) is deleted: DeletionPolicy ${resource?.DeletionPolicy ?? "Delete"}`;
  // A replacement deletes the old physical resource unless the new template says to keep it.
  if (replaced(id, old, next) && kept.UpdateReplacePolicy !== "Retain")
    return `${id} (${resource?.Type}) is replaced: UpdateReplacePolicy ${kept.UpdateReplacePolicy ?? "Delete"}`;
  return undefined;
}

describe("upgrade contract (two synths, one timing changed)", () => {
  const versions = new VersionNumbers();
  const old = new ResolvedTemplate(synthesizeForDeploy(before), versions);
  const next = new ResolvedTemplate(synthesizeForDeploy(after), versions);
  const machines = old.idsOf("AWS::StepFunctions::StateMachine");

  it("publishes new versions for the change (so the contract is tested against a real replacement)", () => {
    expect(machines).toHaveLength(STATE_MACHINES);
    expect(next.idsOf("AWS::StepFunctions::StateMachine").sort()).toEqual([...machines].sort());
    const oldLambdaVersions = machines.flatMap((id) => referencedLambdaVersions(old, id));
    expect(oldLambdaVersions.length).toBeGreaterThan(0);
    expect(oldLambdaVersions.filter((id) => !next.resources[id]).length).toBeGreaterThan(0);
    const oldMachineVersions = machines.flatMap((id) => machineVersions(old, id));
    expect(oldMachineVersions).toHaveLength(STATE_MACHINES);
    expect(oldMachineVersions.filter((id) => !next.resources[id] || replaced(id, old, next))).toHaveLength(
      STATE_MACHINES,
    );
  });

  it("keeps every Lambda version and state machine version the old machines reference", () => {
    const problems = machines.flatMap((machineId) =>
      [...referencedLambdaVersions(old, machineId), ...machineVersions(old, machineId)]
        .map((id) => survives(id, old, next))
        .filter((problem): problem is string => problem !== undefined),
    );
    expect(problems).toEqual([]);
  });

  it("lets each machine's new role invoke the Lambda versions its old executions wait to call", async () => {
    const failures: string[] = [];
    for (const machineId of machines) {
      const roleId = next.roleOf(machineId);
      for (const versionId of referencedLambdaVersions(old, machineId)) {
        // The ARN as the old deploy published it (`function:<name>:<n>`): the function itself is not
        // replaced, so its name and ARN are the same in both templates.
        const versionArn = old.ref(versionId);
        expect(
          versionArn.startsWith(`${next.functionArnOf(old.resources[versionId]?.Properties.FunctionName)}:`),
        ).toBe(true);
        const result = await runSimulation(
          {
            request: {
              principal: next.attr(roleId, "Arn"),
              action: "lambda:InvokeFunction",
              resource: { resource: versionArn, accountId: ACCOUNT },
              contextVariables: {},
            },
            identityPolicies: next.rolePolicies(roleId) as { name: string; policy: Json }[],
            serviceControlPolicies: [],
            resourceControlPolicies: [],
          },
          {},
        );
        const decision = result.resultType === "error" ? JSON.stringify(result.errors) : result.overallResult;
        if (decision !== "Allowed") failures.push(`${machineId} → ${versionArn}: ${decision}`);
      }
    }
    expect(failures).toEqual([]);
  });
});
