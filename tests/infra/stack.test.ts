import { App, Validations } from "aws-cdk-lib";
import { Match, Template } from "aws-cdk-lib/assertions";
import { Queue } from "aws-cdk-lib/aws-sqs";
import { AwsSolutionsChecks } from "cdk-nag";
import { describe, expect, it } from "vitest";
import { parseShopConfig } from "../../functions/core/config.js";
import { ShopcareStack } from "../../infra/shopcare-stack.js";

function synth(withNag: boolean) {
  const app = new App({ context: { "aws:cdk:bundling-stacks": [] } });
  const stack = new ShopcareStack(app, "Shopcare", { config: parseShopConfig({}) });
  if (withNag) Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { app, stack };
}

describe("ShopcareStack", () => {
  it("passes cdk-nag AwsSolutions with every finding fixed or acknowledged", () => {
    const { app } = synth(true);
    expect(() => app.synth()).not.toThrow();
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
    template.hasResourceProperties("AWS::ApiGatewayV2::Route", { RouteKey: "POST /inbound/aliyun/replies" });
    template.hasResourceProperties("AWS::ApiGatewayV2::Route", { RouteKey: "POST /inbound/aliyun/receipts" });
    template.resourceCountIs("AWS::DynamoDB::Table", 1);
    template.hasResourceProperties("AWS::Lambda::EventSourceMapping", {
      FunctionResponseTypes: ["ReportBatchItemFailures"],
    });
    const functions = template.findResources("AWS::Lambda::Function");
    const handlers = Object.values(functions)
      .map((fn) => fn.Properties.Environment?.Variables?.SHOPCARE_HANDLER)
      .filter(Boolean)
      .sort();
    expect(handlers).toEqual(["dispatch", "inbound-http", "inbound-sns", "ingest", "step"]);
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
    template.resourceCountIs("AWS::StepFunctions::StateMachine", 7);
    // The operators' topic and the inbound topic (two-way SMS replies, delivery events).
    template.resourceCountIs("AWS::SNS::Topic", 2);
  });

  it("publishes a version per deploy and starts executions on the live alias, with tasks on exact Lambda versions", () => {
    const template = Template.fromStack(synth(false).stack);
    template.resourceCountIs("AWS::StepFunctions::StateMachineVersion", 7);
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
      expect(metrics.filter((name) => name === metric)).toHaveLength(7);
    }
    // Plus dead letters (table and SQS), provider errors and daily SMS spend.
    expect(alarms).toHaveLength(25);
    expect(metrics).toEqual(
      expect.arrayContaining(["DeadLetters", "ProviderErrors", "ApproximateNumberOfMessagesVisible"]),
    );
    const spend = alarms.find((alarm) => JSON.stringify(alarm.Properties.Metrics ?? []).includes("SmsCost"));
    expect(spend?.Properties).toMatchObject({ Threshold: 500, EvaluationPeriods: 1 });
    template.resourceCountIs("AWS::CloudWatch::Dashboard", 1);
    for (const alarm of alarms) expect(alarm.Properties.AlarmActions).toHaveLength(1);
  });

  it("waits on the plan's sendAt in JSONPath (no JSONata) so the local engine runs the same definition", () => {
    const template = Template.fromStack(synth(false).stack);
    const [machine] = Object.values(template.findResources("AWS::StepFunctions::StateMachine"));
    const definition = JSON.stringify(machine?.Properties.DefinitionString);
    expect(definition).toContain('\\"TimestampPath\\":\\"$.next.sendAt\\"');
    expect(definition).not.toContain("JSONata");
  });
});
