import { Template } from "aws-cdk-lib/assertions";
import { describe, expect, it, vi } from "vitest";
import { parseShopConfig } from "../../functions/core/config/config.js";
import { synthesizeTemplate } from "../../functions/local/emulator/synth.js";
import { STATE_MACHINES } from "../support/cfn.js";
import { synth } from "../support/stack.js";

describe("ShopcareStack: its alarms, and what each deploy keeps", () => {
  it("alarms when no webhook is accepted for alarms.silentAfter inside the notice window (UTC hours)", () => {
    const silence = (raw: unknown) =>
      Object.values(Template.fromStack(synth(false, raw).stack).findResources("AWS::CloudWatch::Alarm")).find(
        (alarm) => JSON.stringify(alarm.Properties.Metrics ?? []).includes("WebhooksAccepted"),
      )?.Properties;
    const defaults = silence({});
    expect(defaults).toMatchObject({
      EvaluationPeriods: 6,
      DatapointsToAlarm: 6,
      ComparisonOperator: "LessThanThreshold",
      Threshold: 1,
      TreatMissingData: "breaching",
    });
    // 08:00–22:00 in Asia/Shanghai (UTC+8) is 00:00–14:00 UTC.
    const expressions = (properties: typeof defaults) =>
      ((properties?.Metrics ?? []) as { Expression?: string }[]).map((m) => m.Expression).join(" ");
    const expression = expressions(defaults);
    expect(expression).toContain("HOUR(filled) >= 0 AND HOUR(filled) < 14");
    expect(expression).toContain("FILL(");
    const berlin = silence({ timeZone: "Etc/GMT-1", alarms: { silentAfter: "3h" } });
    expect(berlin?.EvaluationPeriods).toBe(3);
    expect(expressions(berlin)).toContain("HOUR(filled) >= 7 AND HOUR(filled) < 21");
    expect(() => parseShopConfig({ alarms: { silentAfter: "90m" } })).toThrow(/shop\.alarms\.silentAfter/);
    // The metric is counted from ingest's log line, on ingest's log group.
    const template = Template.fromStack(synth(false).stack);
    const filter = Object.values(template.findResources("AWS::Logs::MetricFilter")).find((f) =>
      JSON.stringify(f.Properties.MetricTransformations).includes("WebhooksAccepted"),
    );
    expect(filter?.Properties).toMatchObject({
      FilterPattern: '{ $.message = "webhook accepted" }',
      MetricTransformations: [
        {
          MetricNamespace: "shopcare",
          MetricName: "WebhooksAccepted",
          MetricValue: "1",
          Dimensions: [{ Key: "service", Value: "$.service" }],
        },
      ],
    });
    const ingestLogs = Object.values(template.findResources("AWS::Lambda::Function")).find(
      (fn) => fn.Properties.Environment?.Variables?.SHOPCARE_HANDLER === "ingest",
    )?.Properties.LoggingConfig?.LogGroup;
    expect(filter?.Properties.LogGroupName).toEqual(ingestLogs);
  });

  it("alarms on failed, throttled and timed-out executions and notifies the operators' topic", () => {
    const template = Template.fromStack(synth(false).stack);
    const alarms = Object.values(template.findResources("AWS::CloudWatch::Alarm"));
    const metrics = alarms.map((alarm) => alarm.Properties.MetricName);
    for (const metric of ["ExecutionThrottled", "ExecutionsFailed", "ExecutionsTimedOut"]) {
      expect(metrics.filter((name) => name === metric)).toHaveLength(STATE_MACHINES);
    }
    // Plus dead letters (table, events SQS, inbound SQS), provider errors, a misconfigured provider, daily
    // SMS spend, webhooks not queued, webhook silence and short links answering errors.
    // Three per state machine (failed, throttled, timed out), nine for the rest of the shop, and one per
    // function (errors) but the link function's, which ShortLinkErrors watches: ingest, dispatch, step,
    // campaign, inbound-sns, clicks and retention in an SNS shop without campaigns. A shop in China (the
    // default country) subscribes its parcels: the tracking function's errors, subscriptions handed off and
    // tries crashed into its dead-letter queue.
    expect(alarms).toHaveLength(3 * STATE_MACHINES + 9 + 7 + 3);
    const perFunction = alarms.filter((alarm) =>
      / function failed 5 times in 5 minutes/.test(String(alarm.Properties.AlarmDescription)),
    );
    expect(
      perFunction.map((alarm) => String(alarm.Properties.AlarmDescription).split(" ")[1]).sort(),
    ).toEqual(["campaign", "clicks", "dispatch", "inbound-sns", "ingest", "retention", "step", "tracking"]);
    for (const alarm of perFunction)
      expect(alarm.Properties).toMatchObject({
        Namespace: "AWS/Lambda",
        MetricName: "Errors",
        Threshold: 5,
        Period: 300,
      });
    const linkErrors = alarms.find((alarm) =>
      String(alarm.Properties.AlarmDescription).includes("short links"),
    );
    expect(linkErrors?.Properties).toMatchObject({
      Namespace: "AWS/Lambda",
      MetricName: "Errors",
      Threshold: 5,
      Period: 300,
      Statistic: "Sum",
    });
    expect(metrics).toEqual(
      expect.arrayContaining(["DeadLetters", "ProviderErrors", "ApproximateNumberOfMessagesVisible"]),
    );
    // The events, inbound and parcel tracking dead-letter queues.
    expect(metrics.filter((name) => name === "ApproximateNumberOfMessagesVisible")).toHaveLength(3);
    // One shop-wide metric: an alarm's metric math may hold at most 10 metrics, fewer than the journeys.
    const spend = alarms.find((alarm) => alarm.Properties.MetricName === "SmsCost");
    expect(spend?.Properties).toMatchObject({
      Threshold: 500,
      EvaluationPeriods: 1,
      Statistic: "Sum",
      Period: 86_400,
      Dimensions: [{ Name: "service", Value: "shopcare" }],
    });
    template.resourceCountIs("AWS::CloudWatch::Dashboard", 1);
    const [operatorsTopic] = Object.entries(template.findResources("AWS::SNS::Topic")).find(([, topic]) =>
      JSON.stringify(topic.Properties.DisplayName).includes("operators"),
    ) ?? [""];
    for (const alarm of alarms) expect(alarm.Properties.AlarmActions).toEqual([{ Ref: operatorsTopic }]);
  });

  it("keeps no source address in the HTTP API's access log: a short link's line would tie a customer's address to the click", () => {
    // Arrange
    const { stack } = synth(false, { links: { baseUrl: "https://s.shop.cn" } });

    // Act
    const stages = Object.values(Template.fromStack(stack).findResources("AWS::ApiGatewayV2::Stage"));
    const format = String(stages[0]?.Properties?.AccessLogSettings?.Format ?? "");

    // Assert: the log is kept (cdk-nag APIG1), without the caller's address.
    expect(stages).toHaveLength(1);
    expect(format).toContain("$context.routeKey");
    expect(format).not.toMatch(/sourceIp|identity\.|\$context\.path/);
  });

  it("synthesizes byte for byte the same template at any time on the synth machine's clock, with no literal partition", () => {
    // Arrange: a campaign whose time falls between the two synths (the synth-time schedule once moved it).
    const config = parseShopConfig({
      timeZone: "America/New_York",
      segments: { everyone: {} },
      campaigns: [
        {
          id: "spring",
          segment: "everyone",
          at: "2027-06-10T09:35:00Z",
          template: "[{shop}] {name}, spring sale. Reply STOP to opt out",
        },
      ],
    });
    const synthAt = (iso: string) => {
      vi.useFakeTimers({ toFake: ["Date"] });
      vi.setSystemTime(new Date(iso));
      try {
        return JSON.stringify(synthesizeTemplate(config));
      } finally {
        vi.useRealTimers();
      }
    };

    // Act
    const first = synthAt("2027-06-10T09:31:41Z");
    const second = synthAt("2027-06-10T09:38:14Z");
    const winter = synthAt("2027-01-15T12:00:00Z");

    // Assert: nothing of the clock, and every ARN in the stack's partition (AWS China is arn:aws-cn).
    expect(second).toBe(first);
    expect(winter).toBe(first);
    expect(first).not.toContain("arn:aws:");
  });

  it("synthesizes campaigns whose ids would once have made one logical id (warm-up, warmup): nothing per campaign is a resource", () => {
    // Arrange
    const template = "【{shop}】{name}，预热开始。拒收请回复R";
    const config = parseShopConfig({
      segments: { everyone: {} },
      campaigns: ["warm-up", "warmup"].map((id) => ({
        id,
        segment: "everyone",
        at: "2027-06-10T10:00:00+08:00",
        template,
      })),
    });

    // Act
    const synthesized = synthesizeTemplate(config);
    const starts = Object.values(synthesized.Resources).find(
      (resource) => resource.Type === "Custom::CampaignStarts",
    );

    // Assert: one custom resource holds both, each with its own execution and schedule name.
    const names = (
      JSON.parse(String(starts?.Properties?.Campaigns)) as { name: string; schedule: string }[]
    ).map(({ name, schedule }) => [name, schedule]);
    expect(names).toEqual([
      ["campaign-warm-up", "campaign-warm-up"],
      ["campaign-warmup", "campaign-warmup"],
    ]);
  });

  it("names only the birthday machine in a stack: the one name a destroyed stack's waiting executions can hold (doctor says how to free it)", () => {
    // Arrange: the same stack twice, as before a destroy and after (a new app, the same name).
    const config = parseShopConfig({
      segments: { all: {} },
      campaigns: [
        {
          id: "a",
          segment: "all",
          at: "2027-06-10T10:00:00+08:00",
          template: "【{shop}】{name}，上新。拒收请回复R",
        },
      ],
    });
    const named = () =>
      Object.values(synthesizeTemplate(config).Resources)
        .filter((resource) =>
          [
            "AWS::StepFunctions::StateMachine",
            "AWS::Scheduler::ScheduleGroup",
            "AWS::SQS::Queue",
            "AWS::DynamoDB::Table",
          ].includes(resource.Type),
        )
        .map(
          (resource) =>
            resource.Properties?.StateMachineName ??
            resource.Properties?.Name ??
            resource.Properties?.QueueName ??
            resource.Properties?.TableName,
        )
        .filter((name) => name !== undefined);

    // Act
    const [before, after] = [named(), named()];

    // Assert: everything else gets a name CloudFormation makes unique per stack; the birthday's is fixed.
    expect(before).toEqual(["Shopcare-birthday"]);
    expect(after).toEqual(before);
  });
});
