import { SchedulerClient } from "@aws-sdk/client-scheduler";
import { SFNClient } from "@aws-sdk/client-sfn";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { campaignStartSpecs } from "../../functions/core/customers/campaign-schedules.js";
import { createCampaignSchedulesHandler } from "../../functions/handlers/campaign-schedules.js";
import { AwsCampaignSchedules } from "../../functions/providers/campaign-schedules.js";
import { FakeAws, fakeClientConfig } from "../support/fake-aws.js";
import { FakeScheduler } from "../support/fake-scheduler.js";

/**
 * Issue 33: each campaign starts once, decided by the deploy's clock, never the synth's. The custom resource's
 * handler with the real Scheduler and Step Functions clients against protocol-level fakes.
 */

const MACHINE = "arn:aws:states:ap-southeast-1:123456789012:stateMachine:CampaignsJourney:live";
const TARGET = {
  group: "Shopcare-CampaignSchedules",
  targetArn: "arn:aws:scheduler:::aws-sdk:sfn:startExecution",
  stateMachineArn: MACHINE,
  roleArn: "arn:aws:iam::123456789012:role/CampaignSchedulerRole",
  deadLetterArn: "arn:aws:sqs:ap-southeast-1:123456789012:CampaignScheduleDeadLetters",
};

const campaign = (id: string, at: string, until?: string) => ({ id, at, ...(until ? { until } : {}) });
const event = (
  RequestType: "Create" | "Update" | "Delete",
  campaigns: ReturnType<typeof campaign>[],
  old?: ReturnType<typeof campaign>[],
) => ({
  RequestType,
  ResourceProperties: { ServiceToken: "x", Campaigns: JSON.stringify(campaignStartSpecs(campaigns)) },
  ...(old
    ? { OldResourceProperties: { ServiceToken: "x", Campaigns: JSON.stringify(campaignStartSpecs(old)) } }
    : {}),
});

describe("campaign starts at deploy time (the custom resource against Scheduler and Step Functions fakes)", () => {
  const scheduler = new FakeScheduler();
  const states = new FakeAws();
  let now = new Date("2027-06-01T00:00:00Z");
  let handler: ReturnType<typeof createCampaignSchedulesHandler>;

  beforeAll(async () => {
    await Promise.all([scheduler.start(), states.start()]);
    scheduler.now = () => now;
    const port = new AwsCampaignSchedules(
      new SchedulerClient(fakeClientConfig(scheduler as never)),
      new SFNClient(fakeClientConfig(states)),
      TARGET,
    );
    handler = createCampaignSchedulesHandler({ port, now: () => now });
  });
  afterAll(async () => Promise.all([scheduler.stop(), states.stop()]));

  it("schedules a campaign ahead, starts a late one at once by its name, leaves one that is over; reschedules, unschedules and deletes with later deploys", async () => {
    // Arrange: the first deploy on 1 June.
    const ahead = campaign("warmup-618", "2027-06-10T10:00:00+08:00");
    const late = campaign("late", "2027-05-31T10:00:00+08:00");
    const over = campaign("over", "2027-01-01T10:00:00+08:00");

    // Act: create; a deploy a minute later that changes nothing for them; the ahead one moved and the late
    // one dropped; the stack deleted.
    const created = await handler(event("Create", [ahead, late, over]));
    const startsAfterCreate = [...states.executions.keys()];
    now = new Date("2027-06-01T00:01:00Z");
    const again = await handler(event("Update", [ahead, late, over], [ahead, late, over]));
    const moved = campaign("warmup-618", "2027-06-11T10:00:00+08:00");
    const updated = await handler(event("Update", [moved, over], [ahead, late, over]));
    const schedule = scheduler.schedules.get(`${TARGET.group}/campaign-warmup-618`);
    const deleted = await handler(event("Delete", [moved, over]));

    // Assert
    expect(JSON.parse(created.Data.Actions)).toEqual({
      "warmup-618": "scheduled",
      late: "started",
      over: "over",
    });
    expect(startsAfterCreate).toEqual([
      "arn:aws:states:ap-southeast-1:123456789012:execution:CampaignsJourney:campaign-late",
    ]);
    // The running campaign's start again is the same execution (Step Functions: same name and input).
    expect(JSON.parse(again.Data.Actions)).toEqual({
      "warmup-618": "rescheduled",
      late: "started",
      over: "over",
    });
    expect(states.executions.size).toBe(1);
    // The late one had no schedule to delete (it was started, never scheduled).
    expect(JSON.parse(updated.Data.Actions)).toEqual({ "warmup-618": "rescheduled", over: "over" });
    expect(schedule?.body).toMatchObject({
      ScheduleExpression: "at(2027-06-11T02:00:00)",
      ScheduleExpressionTimezone: "UTC",
      FlexibleTimeWindow: { Mode: "OFF" },
      Target: {
        Arn: TARGET.targetArn,
        RoleArn: TARGET.roleArn,
        DeadLetterConfig: { Arn: TARGET.deadLetterArn },
        RetryPolicy: { MaximumRetryAttempts: 20, MaximumEventAgeInSeconds: 21600 },
      },
    });
    expect(
      JSON.parse(String((schedule?.body.Target as { Input?: string } | undefined)?.Input)),
    ).toMatchObject({
      StateMachineArn: MACHINE,
      Name: "campaign-warmup-618",
    });
    expect(JSON.parse(deleted.Data.Actions)).toEqual({ "warmup-618": "unscheduled" });
    expect(scheduler.schedules.size).toBe(0);
    expect(deleted.PhysicalResourceId).toBe(created.PhysicalResourceId);
  });

  it("counts a late campaign that already ran as started (ExecutionAlreadyExists), and never starts one whose until has passed", async () => {
    // Arrange: the campaign ran and ended; a later deploy (another campaign added) finds it within its until.
    now = new Date("2027-07-01T00:00:00Z");
    const long = campaign("summer", "2027-06-20T10:00:00+08:00", "2027-07-20T10:00:00+08:00");
    const [spec] = campaignStartSpecs([long]);
    states.executions.set(
      "arn:aws:states:ap-southeast-1:123456789012:execution:CampaignsJourney:campaign-summer",
      { input: String(spec?.input), status: "ABORTED" },
    );
    const before = states.executions.size;

    // Act
    const added = await handler(
      event("Update", [long, campaign("ended", "2027-06-01T10:00:00+08:00")], [long]),
    );

    // Assert
    expect(JSON.parse(added.Data.Actions)).toEqual({ summer: "already-started", ended: "over" });
    expect(states.executions.size).toBe(before);
  });
});
