import { readFileSync, writeFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parseShopConfig } from "../../functions/core/config/config.js";
import { synthesizeTemplate } from "../../functions/local/emulator/synth.js";
import { CAMPAIGN_CONFIG, PROVIDER_CONFIGS } from "../support/providers.js";

/**
 * A deployed shop updates in place: CloudFormation replaces a resource whose logical id changes, and for the
 * stateful ones that loses data (the table, secrets, keys, queues, log groups) or strands waiting executions
 * (state machines, their versions and aliases; functions and the roles their retained versions run as). The ids every stateful resource had when the stack was
 * last released are kept in `tests/fixtures/logical-ids.json` (written from 0.3.0's template, before the
 * stack was split into constructs); a refactor that moves one must pin it with `overrideLogicalId`.
 * New resources may appear; none of these may go or change type. `UPDATE_LOGICAL_IDS=1` rewrites the file
 * (only for a release that means to add to it).
 */
const STATEFUL = new Set([
  "AWS::DynamoDB::Table",
  "AWS::SecretsManager::Secret",
  "AWS::KMS::Key",
  "AWS::SQS::Queue",
  "AWS::SNS::Topic",
  "AWS::Logs::LogGroup",
  "AWS::StepFunctions::StateMachine",
  "AWS::StepFunctions::StateMachineVersion",
  "AWS::StepFunctions::StateMachineAlias",
  "AWS::Lambda::Function",
  // A function version keeps the role it was published with: a replaced role would leave the versions that
  // waiting executions invoke without one.
  "AWS::IAM::Role",
  "AWS::Scheduler::ScheduleGroup",
]);

const FIXTURE = "tests/fixtures/logical-ids.json";

const CONFIGS: Readonly<Record<string, unknown>> = {
  ...PROVIDER_CONFIGS,
  "sns with a campaign and short links": {
    ...CAMPAIGN_CONFIG,
    links: { baseUrl: "https://s.shop.cn", targets: { "review-care": "https://shop.cn/o/{orderId}" } },
  },
};

/** `logical id → type` of every stateful resource the config's stack synthesizes. */
function statefulIds(raw: unknown): Record<string, string> {
  const template = synthesizeTemplate(parseShopConfig(raw)) as {
    Resources: Record<string, { Type: string }>;
  };
  return Object.fromEntries(
    Object.entries(template.Resources)
      .filter(([, resource]) => STATEFUL.has(resource.Type))
      .map(([id, resource]) => [id, resource.Type])
      .sort(([a], [b]) => String(a).localeCompare(String(b))),
  );
}

describe("the stateful resources' logical ids", () => {
  if (process.env.UPDATE_LOGICAL_IDS === "1") {
    const fixture = Object.fromEntries(
      Object.entries(CONFIGS).map(([name, raw]) => [name, statefulIds(raw)]),
    );
    writeFileSync(FIXTURE, `${JSON.stringify(fixture, null, 2)}\n`);
  }
  const released = JSON.parse(readFileSync(FIXTURE, "utf8")) as Record<string, Record<string, string>>;

  it.each(Object.keys(CONFIGS))("are those of the released stack (%s)", (name) => {
    const expected = released[name] ?? {};

    const actual = statefulIds(CONFIGS[name]);

    const kept = Object.fromEntries(Object.keys(expected).map((id) => [id, actual[id]]));
    expect(kept).toEqual(expected);
  });
});
