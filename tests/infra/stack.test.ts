import { App, Validations } from "aws-cdk-lib";
import { Annotations, Match, Template } from "aws-cdk-lib/assertions";
import { Queue } from "aws-cdk-lib/aws-sqs";
import { AwsSolutionsChecks } from "cdk-nag";
import { describe, expect, it } from "vitest";
import { parseShopConfig } from "../../functions/core/config/config.js";
import { ShopcareStack } from "../../infra/shopcare-stack.js";
import { STATE_MACHINES } from "../support/cfn.js";
import { DEPLOYED_PROVIDERS, PROVIDER_CONFIGS } from "../support/providers.js";
import { synth } from "../support/stack.js";

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
    // The webhook secrets, Aliyun's AccessKey and (a Shopify shop's) the Admin API token.
    expect(secrets).toHaveLength(3);
    for (const secret of secrets) expect(secret.DeletionPolicy).toBe("Retain");
    const versions = Object.values(template.findResources("AWS::Lambda::Version"));
    expect(versions.length).toBeGreaterThan(0);
    for (const version of versions) expect(version.DeletionPolicy).toBe("Retain");
  });

  it("keeps a Shopify shop's Admin API token in a retained secret of its own, passing cdk-nag, only with shopify.shop", () => {
    // Arrange
    const shopify = { shopify: { shop: "acme.myshopify.com" } };
    const { app, stack } = synth(true, shopify);

    // Act
    const template = Template.fromStack(stack);

    // Assert
    expect(() => app.synth()).not.toThrow();
    const tokens = Object.values(template.findResources("AWS::SecretsManager::Secret")).filter((secret) =>
      String(secret.Properties.Description).includes("Shopify Admin API access token of acme.myshopify.com"),
    );
    expect(tokens).toHaveLength(1);
    expect(tokens[0]?.DeletionPolicy).toBe("Retain");
    expect(Object.keys(template.findOutputs("ShopifyAdminSecretArn"))).toEqual(["ShopifyAdminSecretArn"]);
    expect(Object.keys(Template.fromStack(synth(false).stack).findOutputs("ShopifyAdminSecretArn"))).toEqual(
      [],
    );
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
    // Orders and decisions on gsi1; kept webhooks on gsi2, keys only (their bodies stay out of indexes);
    // whose data an item holds on gsi3, keys only (forget and export). One index added per deploy, as
    // CloudFormation's UpdateTable allows.
    template.hasResourceProperties("AWS::DynamoDB::Table", {
      GlobalSecondaryIndexes: [
        Match.objectLike({ IndexName: "gsi1", Projection: { ProjectionType: "ALL" } }),
        Match.objectLike({ IndexName: "gsi2", Projection: { ProjectionType: "KEYS_ONLY" } }),
        Match.objectLike({ IndexName: "gsi3", Projection: { ProjectionType: "KEYS_ONLY" } }),
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
    expect(handlers).toEqual([
      "campaign",
      "clicks",
      "dispatch",
      "inbound-sns",
      "ingest",
      "link",
      "retention",
      "step",
      "tracking",
    ]);
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
});
