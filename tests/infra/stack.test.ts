import { App, Validations } from "aws-cdk-lib";
import { Annotations, Match, Template } from "aws-cdk-lib/assertions";
import { Queue } from "aws-cdk-lib/aws-sqs";
import { AwsSolutionsChecks } from "cdk-nag";
import { describe, expect, it, vi } from "vitest";
import { parseShopConfig } from "../../functions/core/config/config.js";
import { synthesizeTemplate } from "../../functions/local/emulator/synth.js";
import { ShopcareStack } from "../../infra/shopcare-stack.js";
import { STATE_MACHINES } from "../support/cfn.js";
import { DEPLOYED_PROVIDERS, PROVIDER_CONFIGS } from "../support/providers.js";

function synth(withNag: boolean, rawConfig: unknown = {}) {
  const app = new App({ context: { "aws:cdk:bundling-stacks": [] } });
  const stack = new ShopcareStack(app, "Shopcare", { config: parseShopConfig(rawConfig) });
  if (withNag) Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { app, stack };
}

describe("ShopcareStack", () => {
  it.each(DEPLOYED_PROVIDERS)(
    "synthesizes with sms.provider %s and passes cdk-nag AwsSolutions with every finding fixed or acknowledged",
    (provider) => {
      const { app } = synth(true, PROVIDER_CONFIGS[provider]);
      expect(() => app.synth()).not.toThrow();
    },
  );

  it("passes cdk-nag with a campaign scheduled (its Scheduler role and schedule)", () => {
    const app = new App({ context: { "aws:cdk:bundling-stacks": [] } });
    const config = parseShopConfig({
      segments: { everyone: {} },
      campaigns: [
        {
          id: "newyear",
          segment: "everyone",
          at: "2027-02-06T10:00:00+08:00",
          template: "【{shop}】{name}，新年快乐！回T退订",
        },
      ],
    });
    const stack = new ShopcareStack(app, "Shopcare", { config });
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    expect(() => app.synth()).not.toThrow();
    // Schedules are made at deploy time by the campaign starts' custom resource, never in the template.
    Template.fromStack(stack).resourceCountIs("AWS::Scheduler::Schedule", 0);
    Template.fromStack(stack).resourceCountIs("Custom::CampaignStarts", 1);
  });

  it("deploys the Aliyun push routes, token-checked, only for the aliyun provider", () => {
    const routes = (provider: keyof typeof PROVIDER_CONFIGS) =>
      Object.values(
        Template.fromStack(synth(false, PROVIDER_CONFIGS[provider]).stack).findResources(
          "AWS::ApiGatewayV2::Route",
        ),
      )
        .map((route) => route.Properties.RouteKey)
        .sort();
    // Every provider's API serves the webhooks and the tracked short links.
    const webhooks = [
      "GET /l/{code}",
      "POST /webhooks/generic",
      "POST /webhooks/kuaidi100",
      "POST /webhooks/shopify",
    ];
    expect(routes("sns")).toEqual(webhooks);
    expect(routes("end-user-messaging")).toEqual(webhooks);
    expect(routes("aliyun")).toEqual(
      ["POST /inbound/aliyun/receipts", "POST /inbound/aliyun/replies", ...webhooks].sort(),
    );
    const aliyun = Template.fromStack(synth(false, PROVIDER_CONFIGS.aliyun).stack);
    const inboundHttp = Object.values(aliyun.findResources("AWS::Lambda::Function")).find(
      (fn) => fn.Properties.Environment?.Variables?.SHOPCARE_HANDLER === "inbound-http",
    );
    expect(Object.keys(inboundHttp?.Properties.Environment.Variables)).toContain("ALIYUN_SECRET_ARN");
    // The secret starts as the JSON the functions read, with the push token generated.
    aliyun.hasResourceProperties("AWS::SecretsManager::Secret", {
      GenerateSecretString: Match.objectLike({
        SecretStringTemplate: JSON.stringify({ accessKeyId: "", accessKeySecret: "" }),
        GenerateStringKey: "inboundToken",
      }),
    });
  });

  it("keeps operator-entered secrets and every Lambda version when the stack or a version is replaced", () => {
    const template = Template.fromStack(synth(false, PROVIDER_CONFIGS.aliyun).stack);
    const secrets = Object.values(template.findResources("AWS::SecretsManager::Secret"));
    expect(secrets).toHaveLength(2);
    for (const secret of secrets) expect(secret.DeletionPolicy).toBe("Retain");
    const versions = Object.values(template.findResources("AWS::Lambda::Version"));
    expect(versions.length).toBeGreaterThan(0);
    for (const version of versions) expect(version.DeletionPolicy).toBe("Retain");
  });

  it("warns at synth that AWS's SMS cannot reach mainland numbers, unless the provider is aliyun", () => {
    const warnings = (raw: unknown) =>
      Annotations.fromStack(synth(false, raw).stack)
        .findWarning("*", Match.stringLikeRegexp("cannot reach mainland Chinese numbers"))
        .map((entry) => String(entry.entry.data));
    expect(warnings({})).toHaveLength(1);
    expect(warnings({ sms: { provider: "end-user-messaging" } })).toHaveLength(1);
    expect(warnings(PROVIDER_CONFIGS.aliyun)).toEqual([]);
    expect(warnings({ webhooks: { defaultCountry: "US" } })).toEqual([]);
  });

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

  it("names every state machine log group under /aws/vendedlogs/states/", () => {
    const template = Template.fromStack(synth(false).stack);
    const groups = Object.values(template.findResources("AWS::Logs::LogGroup"))
      .map((group) => group.Properties.LogGroupName as string | undefined)
      .filter((name) => name?.includes("states"));
    expect(groups).toHaveLength(STATE_MACHINES);
    for (const name of groups) expect(name).toMatch(/^\/aws\/vendedlogs\/states\/Shopcare-[a-z0-9-]+$/);
  });

  it("fails synth when cdk-nag finds an unacknowledged problem", () => {
    const { app, stack } = synth(true);
    // An unencrypted queue without TLS enforcement is what AwsSolutions-SQS3/SQS4 exist to catch.
    new Queue(stack, "Careless", { enforceSSL: false });
    expect(() => app.synth()).toThrow(/AwsSolutions-SQS4/);
  });

  it("builds the webhook API, queue, table, Lambdas on nodejs22.x and one machine per journey", () => {
    const template = Template.fromStack(synth(false).stack);
    for (const source of ["generic", "shopify", "kuaidi100"]) {
      template.hasResourceProperties("AWS::ApiGatewayV2::Route", { RouteKey: `POST /webhooks/${source}` });
    }
    // Signing secrets live in Secrets Manager (generated for generic), never in the template or cdk.json.
    template.hasResourceProperties("AWS::SecretsManager::Secret", {
      GenerateSecretString: Match.objectLike({ GenerateStringKey: "generic" }),
    });
    const ingest = Object.values(template.findResources("AWS::Lambda::Function")).find(
      (fn) => fn.Properties.Environment?.Variables?.SHOPCARE_HANDLER === "ingest",
    );
    expect(Object.keys(ingest?.Properties.Environment.Variables)).toContain("WEBHOOK_SECRET_ARN");
    template.resourceCountIs("AWS::DynamoDB::Table", 1);
    // Orders and decisions on gsi1; kept webhooks on gsi2, keys only (their bodies stay out of indexes).
    template.hasResourceProperties("AWS::DynamoDB::Table", {
      GlobalSecondaryIndexes: [
        Match.objectLike({ IndexName: "gsi1", Projection: { ProjectionType: "ALL" } }),
        Match.objectLike({ IndexName: "gsi2", Projection: { ProjectionType: "KEYS_ONLY" } }),
      ],
    });
    template.hasResourceProperties("AWS::Lambda::EventSourceMapping", {
      FunctionResponseTypes: ["ReportBatchItemFailures"],
      // A bounded number of dispatchers drain a peak; the backlog waits in SQS.
      ScalingConfig: { MaximumConcurrency: 5 },
    });
    // Six times dispatch's 60 s timeout ("Using Lambda with Amazon SQS").
    template.hasResourceProperties("AWS::SQS::Queue", {
      VisibilityTimeout: 360,
      RedrivePolicy: Match.objectLike({ maxReceiveCount: 5 }),
    });
    const functions = template.findResources("AWS::Lambda::Function");
    const handlers = Object.values(functions)
      .map((fn) => fn.Properties.Environment?.Variables?.SHOPCARE_HANDLER)
      .filter(Boolean)
      .sort();
    expect(handlers).toEqual(["campaign", "clicks", "dispatch", "inbound-sns", "ingest", "link", "step"]);
    for (const fn of Object.values(functions).filter(
      (f) => f.Properties.Environment?.Variables?.SHOPCARE_HANDLER,
    )) {
      expect(fn.Properties.Runtime).toBe("nodejs22.x");
    }
    const journeys = [
      "payment-reminder",
      "shipped",
      "arrived",
      "review-care",
      "gift-30",
      "gift-100",
      "winback",
    ];
    for (const journey of journeys) {
      template.hasResourceProperties("AWS::StepFunctions::StateMachine", {
        StateMachineType: "STANDARD",
        Tags: [{ Key: "shopcare:journey", Value: journey }],
        LoggingConfiguration: Match.objectLike({ IncludeExecutionData: false, Level: "ALL" }),
      });
    }
    template.resourceCountIs("AWS::StepFunctions::StateMachine", STATE_MACHINES);
    // The operators' topic and the inbound topic (two-way SMS replies, delivery events).
    template.resourceCountIs("AWS::SNS::Topic", 2);
  });

  it("publishes a version per deploy and starts executions on the live alias, with tasks on exact Lambda versions", () => {
    const template = Template.fromStack(synth(false).stack);
    template.resourceCountIs("AWS::StepFunctions::StateMachineVersion", STATE_MACHINES);
    const versions = template.findResources("AWS::StepFunctions::StateMachineVersion");
    for (const version of Object.values(versions)) {
      expect(version.DeletionPolicy).toBe("Retain");
      expect(version.UpdateReplacePolicy).toBe("Retain");
    }
    template.hasResourceProperties("AWS::StepFunctions::StateMachineAlias", { Name: "live" });
    const [machine] = Object.values(template.findResources("AWS::StepFunctions::StateMachine"));
    const parts = machine?.Properties.DefinitionString["Fn::Join"][1] as unknown[];
    const refs = parts.filter((part) => typeof part === "object").map((part) => JSON.stringify(part));
    expect(refs.length).toBeGreaterThan(0);
    for (const ref of refs) expect(ref).toMatch(/"Ref":".*FunctionCurrentVersion/);
    const dispatch = Object.values(template.findResources("AWS::Lambda::Function")).find(
      (fn) => fn.Properties.Environment?.Variables?.SHOPCARE_HANDLER === "dispatch",
    );
    const arns = dispatch?.Properties.Environment.Variables.JOURNEY_STATE_MACHINES;
    expect(JSON.stringify(arns)).toContain("LiveAlias");
  });

  it("refuses to deploy the local-only outbox provider, naming the field", () => {
    const app = new App({ context: { "aws:cdk:bundling-stacks": [] } });
    expect(
      () => new ShopcareStack(app, "Shopcare", { config: parseShopConfig({ sms: { provider: "outbox" } }) }),
    ).toThrow(/shop\.sms\.provider: "outbox" exists only in the local runtime/);
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
    // campaign, inbound-sns and clicks in an SNS shop without campaigns.
    expect(alarms).toHaveLength(3 * STATE_MACHINES + 9 + 6);
    const perFunction = alarms.filter((alarm) =>
      / function failed 5 times in 5 minutes/.test(String(alarm.Properties.AlarmDescription)),
    );
    expect(
      perFunction.map((alarm) => String(alarm.Properties.AlarmDescription).split(" ")[1]).sort(),
    ).toEqual(["campaign", "clicks", "dispatch", "inbound-sns", "ingest", "step"]);
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
    expect(metrics.filter((name) => name === "ApproximateNumberOfMessagesVisible")).toHaveLength(2);
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

  it("waits on the plan's sendAt in JSONPath (no JSONata) so the local engine runs the same definition", () => {
    const template = Template.fromStack(synth(false).stack);
    const [machine] = Object.values(template.findResources("AWS::StepFunctions::StateMachine"));
    const definition = JSON.stringify(machine?.Properties.DefinitionString);
    expect(definition).toContain('\\"TimestampPath\\":\\"$.next.sendAt\\"');
    expect(definition).not.toContain("JSONata");
  });

  it("retries the Step and GiveUp tasks with full jitter, so steps that failed together do not retry together", () => {
    const template = Template.fromStack(synth(false).stack);
    for (const machine of Object.values(template.findResources("AWS::StepFunctions::StateMachine"))) {
      const definition = JSON.parse(
        (machine.Properties.DefinitionString["Fn::Join"][1] as unknown[])
          .map((part) => (typeof part === "string" ? part : "ARN"))
          .join(""),
      );
      for (const state of ["Step", "GiveUp"]) {
        const retriers = definition.States[state].Retry as {
          ErrorEquals: string[];
          JitterStrategy?: string;
        }[];
        const ours = retriers.filter((retrier) => !retrier.ErrorEquals.includes("Lambda.ServiceException"));
        expect(ours.length).toBeGreaterThan(0);
        for (const retrier of ours)
          expect(retrier, `${state} ${retrier.ErrorEquals}`).toMatchObject({ JitterStrategy: "FULL" });
      }
    }
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
