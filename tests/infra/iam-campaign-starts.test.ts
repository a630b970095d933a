import { describe, expect, it } from "vitest";
import { parseShopConfig } from "../../functions/core/config/config.js";
import { CampaignRunStateSchema } from "../../functions/core/customers/campaigns.js";
import { synthesizeTemplate } from "../../functions/local/emulator/synth.js";
import { ACCOUNT, ResolvedTemplate } from "../support/cfn.js";

import {
  CAMPAIGN_TEXT,
  type Call,
  decide,
  denied,
  functionCalls,
  functionOf,
} from "../support/iam-contract.js";

describe("campaign starts (a deploy-time custom resource, EventBridge Scheduler starting the campaigns' machine)", () => {
  const config = parseShopConfig({
    segments: { buyers: { minPaidOrders: 1 } },
    campaigns: [
      { id: "warmup-618", segment: "buyers", at: "2027-06-10T10:00:00+08:00", template: CAMPAIGN_TEXT },
      { id: "over", segment: "buyers", at: "2027-01-01T10:00:00+08:00", template: CAMPAIGN_TEXT },
    ],
  });
  const resolved = new ResolvedTemplate(synthesizeTemplate(config));
  const starterId = functionOf(resolved, "campaign-schedules");
  const starterEnv = resolved.resolve(resolved.resources[starterId]?.Properties.Environment.Variables);
  const schedulerRoleId = resolved.idByValue("AWS::IAM::Role", starterEnv.SCHEDULER_ROLE_ARN) as string;
  const queueId = resolved.idByValue("AWS::SQS::Queue", starterEnv.SCHEDULE_DEAD_LETTER_ARN) as string;

  it("hands the custom resource every campaign of the config as it is, nothing of the synth's clock", () => {
    const [starts] = resolved.idsOf("Custom::CampaignStarts").map((id) => resolved.resources[id]?.Properties);
    const specs = JSON.parse(starts.Campaigns) as {
      id: string;
      at: string;
      until: string;
      name: string;
      input: string;
    }[];
    expect(specs.map(({ id, at, until, name }) => ({ id, at, until, name }))).toEqual([
      {
        id: "warmup-618",
        at: "2027-06-10T02:00:00.000Z",
        until: "2027-06-13T02:00:00.000Z",
        name: "campaign-warmup-618",
      },
      {
        id: "over",
        at: "2027-01-01T02:00:00.000Z",
        until: "2027-01-04T02:00:00.000Z",
        name: "campaign-over",
      },
    ]);
    expect(CampaignRunStateSchema.parse(JSON.parse(specs[0]?.input ?? "{}")).stage).toBe("warmup-618");
    expect(resolved.idsOf("AWS::Scheduler::Schedule")).toEqual([]);
    // The universal target in the stack's partition ("Using universal targets in EventBridge Scheduler").
    expect(starterEnv.SCHEDULE_TARGET_ARN).toBe("arn:aws:scheduler:::aws-sdk:sfn:startExecution");
    expect(JSON.stringify(resolved.resources[starterId]?.Properties.Environment)).toContain("AWS::Partition");
  });

  it("allows every call the campaign starter's code makes: its schedules, the role it passes, the start on the live alias", async () => {
    const calls = (await functionCalls(config, resolved)).filter((call) =>
      call.label.startsWith("campaign-schedules "),
    );
    expect(calls.map((call) => call.action).sort()).toEqual([
      "iam:PassRole",
      "iam:PassRole",
      "scheduler:CreateSchedule",
      "scheduler:DeleteSchedule",
      "scheduler:UpdateSchedule",
      "states:StartExecution",
    ]);
    expect(await denied(calls)).toEqual([]);
    // Nothing beyond them: another group's schedule, a schedule not a campaign's, the unqualified machine.
    const [create] = calls.filter((call) => call.action === "scheduler:CreateSchedule");
    const other = (resource: string) => decide({ ...(create as Call), resource });
    expect(await other(String(create?.resource).replace(/schedule\/[^/]+\//, "schedule/default/"))).not.toBe(
      "Allowed",
    );
    expect(await other(String(create?.resource).replace(/campaign-[^/]+$/, "someone-else"))).not.toBe(
      "Allowed",
    );
  });

  it("lets the schedules start a campaign through their role on the live alias only, and reach the dead-letter queue", async () => {
    const principal = resolved.attr(schedulerRoleId, "Arn");
    const identityPolicies = resolved.rolePolicies(schedulerRoleId);
    const parts = String(starterEnv.CAMPAIGNS_STATE_MACHINE_ARN).split(":");
    const start: Call = {
      label: "scheduler StartExecution",
      principal,
      identityPolicies,
      action: "states:StartExecution",
      resource: parts.slice(0, 7).join(":"),
      context: { "states:StateMachineQualifier": ["live"] },
    };
    const deadLetter: Call = {
      label: "scheduler dead-letter event",
      principal,
      identityPolicies,
      action: "sqs:SendMessage",
      resource: starterEnv.SCHEDULE_DEAD_LETTER_ARN,
      resourcePolicy: resolved.queuePolicy(queueId),
    };
    expect(parts[7]).toBe("live");
    expect(await decide(start)).toBe("Allowed");
    expect(await decide({ ...start, context: {} })).not.toBe("Allowed");
    expect(await decide(deadLetter)).toBe("Allowed");
    // The campaigns' machine, not a journey's.
    const machineId = resolved.idByValue("AWS::StepFunctions::StateMachine", start.resource) as string;
    expect(resolved.resources[machineId]?.Properties.Tags).toContainEqual({
      Key: "shopcare:journey",
      Value: "campaign",
    });
    const trust = resolved.resolve(resolved.resources[schedulerRoleId]?.Properties.AssumeRolePolicyDocument);
    const assume: Call = {
      label: "scheduler AssumeRole",
      principal: "scheduler.amazonaws.com",
      action: "sts:AssumeRole",
      resource: principal,
      resourcePolicy: trust,
      context: { "aws:SourceAccount": ACCOUNT },
    };
    expect(await decide(assume)).toBe("Allowed");
    expect(await decide({ ...assume, context: { "aws:SourceAccount": "210987654321" } })).not.toBe("Allowed");
  });

  it("alarms CampaignNotStarted when a schedule's start lands in the dead-letter queue, to the operators' topic", () => {
    const alarmId = resolved.idsOf("AWS::CloudWatch::Alarm").find((id) => id.includes("CampaignNotStarted"));
    const alarm = resolved.resources[alarmId as string]?.Properties;
    expect(alarm?.Dimensions).toEqual([
      { Name: "QueueName", Value: { "Fn::GetAtt": [queueId, "QueueName"] } },
    ]);
    expect(alarm?.AlarmActions).toHaveLength(1);
  });
});
