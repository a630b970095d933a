import { readFileSync } from "node:fs";
import { runSimulation } from "@cloud-copilot/iam-simulate";
import { build } from "esbuild";
import { describe, expect, it } from "vitest";
import { TABLE_KEYS } from "../../functions/adapters/dynamodb/store.js";
import { parseShopConfig, type ShopConfig } from "../../functions/core/config/config.js";
import { CampaignRunStateSchema } from "../../functions/core/customers/campaigns.js";
import { JOURNEY_IDS, journeyModule } from "../../functions/core/journeys/index.js";
import { synthesizeTemplate } from "../../functions/local/emulator/synth.js";
import { executionArn } from "../../functions/providers/step-functions.js";
import { ACCOUNT, type Json, REGION, ResolvedTemplate, STATE_MACHINES } from "../support/cfn.js";
import { DEPLOYED_PROVIDERS, PROVIDER_CONFIGS } from "../support/providers.js";

/**
 * The IAM contract: every AWS call shopcare makes at run time, evaluated against the synthesized
 * template's identity, resource and key policies by a policy evaluator (`@cloud-copilot/iam-simulate`,
 * which implements IAM's evaluation logic, conditions included), must be allowed. The calls are derived
 * from the code each function bundles (the SDK commands it constructs), so a new call without a grant
 * fails here, and a command this file does not know fails too until its IAM action is added.
 *
 * What AWS authorizes, per its documentation:
 * - StartExecution on an alias: the unqualified state machine ARN with `states:StateMachineQualifier`
 *   ("Authorization for versions and aliases in Step Functions workflows").
 * - StopExecution: the execution ARN, `execution:<machine>:<name>`, whatever version it runs.
 * - TransactWriteItems: each item's own action, PutItem / UpdateItem / DeleteItem / ConditionCheckItem
 *   ("Using IAM with DynamoDB transactions").
 * - SendMessageBatch: `sqs:SendMessage` ("Amazon SQS API permissions: Actions and resource reference").
 * - SNS Publish to an encrypted topic: `sns:Publish`, and the publisher's `kms:GenerateDataKey` and
 *   `kms:Decrypt` on the topic's key ("Encryption at rest", SNS developer guide).
 * - SNS Publish to a phone number: resource `*` ("Amazon SNS API permissions").
 * - End User Messaging SendTextMessage: the origination identity and the configuration set.
 * - A task invoking a Lambda version: `lambda:InvokeFunction` on the qualified ARN.
 */

type Context = Record<string, string | string[]>;

const CAMPAIGN_TEXT = "【{shop}】{name}，618预热开始啦，{level}会员专享。回T退订";

interface Call {
  readonly label: string;
  readonly principal: string;
  readonly action: string;
  readonly resource: string;
  readonly context?: Context;
  readonly identityPolicies?: { name: string; policy: Json }[];
  readonly resourcePolicy?: Json;
}

async function decide(call: Call): Promise<string> {
  const result = await runSimulation(
    {
      request: {
        principal: call.principal,
        action: call.action,
        resource: { resource: call.resource, accountId: ACCOUNT },
        // Every SDK call here is HTTPS; the topics' and queues' enforceSSL statements deny anything else.
        contextVariables: { "aws:SecureTransport": "true", ...call.context },
      },
      identityPolicies: call.identityPolicies ?? [],
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      resourcePolicy: call.resourcePolicy,
    },
    {},
  );
  if (result.resultType === "error") return `error: ${JSON.stringify(result.errors)}`;
  return result.overallResult;
}

/** The source files a Lambda entry bundles (shopcare's own, not its dependencies'). */
async function bundledSources(handler: string): Promise<string[]> {
  const result = await build({
    entryPoints: [`functions/lambda/${handler}.ts`],
    bundle: true,
    platform: "node",
    format: "cjs",
    write: false,
    metafile: true,
    external: ["@aws-sdk/*", "@aws-lambda-powertools/*"],
    logLevel: "silent",
  });
  return Object.keys(result.metafile.inputs)
    .filter((path) => path.startsWith("functions/"))
    .map((path) => readFileSync(path, "utf8"));
}

const queueArnOfUrl = (url: string) => {
  const [, , , account, name] = url.split("/");
  return `arn:aws:sqs:${REGION}:${account}:${name}`;
};

/**
 * The IAM requests one SDK command of a function makes, from the function's environment as the template
 * sets it. Unknown commands throw: add what AWS authorizes for them here.
 */
function requestsOf(
  command: string,
  env: Record<string, string>,
  config: ShopConfig,
  resolved: ResolvedTemplate,
): Omit<Call, "principal" | "identityPolicies" | "label">[] {
  const table = `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/${env.TABLE_NAME}`;
  const item = (...actions: string[]) => actions.map((action) => ({ action, resource: table }));
  switch (command) {
    case "GetCommand":
      return item("dynamodb:GetItem");
    case "PutCommand":
      return item("dynamodb:PutItem");
    case "UpdateCommand":
      return item("dynamodb:UpdateItem");
    case "DeleteCommand":
      return item("dynamodb:DeleteItem");
    case "ScanCommand":
      return item("dynamodb:Scan");
    case "QueryCommand":
      return [
        ...item("dynamodb:Query"),
        { action: "dynamodb:Query", resource: `${table}/index/${TABLE_KEYS.gsi1}` },
        { action: "dynamodb:Query", resource: `${table}/index/${TABLE_KEYS.gsi2}` },
      ];
    case "TransactWriteCommand":
      return item(
        "dynamodb:PutItem",
        "dynamodb:UpdateItem",
        "dynamodb:DeleteItem",
        "dynamodb:ConditionCheckItem",
      );
    case "CreateScheduleCommand":
    case "UpdateScheduleCommand":
    case "DeleteScheduleCommand": {
      // The schedule's ARN, `schedule/<group>/<name>` ("Actions, resources, and condition keys for Amazon
      // EventBridge Scheduler"); creating or updating one passes its execution role.
      const action = `scheduler:${command.replace(/Command$/, "")}`;
      const schedule = `arn:aws:scheduler:${REGION}:${ACCOUNT}:schedule/${env.SCHEDULE_GROUP}/campaign-warmup-618`;
      return [
        { action, resource: schedule },
        ...(command === "DeleteScheduleCommand"
          ? []
          : [
              {
                action: "iam:PassRole",
                resource: env.SCHEDULER_ROLE_ARN as string,
                context: { "iam:PassedToService": "scheduler.amazonaws.com" } as Context,
              },
            ]),
      ];
    }
    case "StartExecutionCommand":
    case "StopExecutionCommand": {
      const machines = (
        env.CAMPAIGNS_STATE_MACHINE_ARN
          ? { campaign: env.CAMPAIGNS_STATE_MACHINE_ARN }
          : JSON.parse(env.JOURNEY_STATE_MACHINES ?? "{}")
      ) as Record<string, string>;
      expect(Object.keys(machines).length).toBeGreaterThan(0);
      return Object.values(machines).map(
        (startArn): Omit<Call, "principal" | "identityPolicies" | "label"> => {
          const parts = startArn.split(":");
          if (command === "StopExecutionCommand")
            return {
              action: "states:StopExecution",
              resource: executionArn(startArn, "payment-reminder-o1"),
            };
          return {
            action: "states:StartExecution",
            resource: parts.slice(0, 7).join(":"),
            context: parts[7] ? ({ "states:StateMachineQualifier": [parts[7]] } as Context) : {},
          };
        },
      );
    }
    case "SendMessageBatchCommand": {
      const queueUrl = env.EVENTS_QUEUE_URL as string;
      const queueId = resolved.idByValue("AWS::SQS::Queue", queueUrl) as string;
      return [
        {
          action: "sqs:SendMessage",
          resource: queueArnOfUrl(queueUrl),
          resourcePolicy: resolved.queuePolicy(queueId),
        },
      ];
    }
    case "PublishCommand": {
      const topicArn = env.HANDOFF_TOPIC_ARN as string;
      const topicId = resolved.idByValue("AWS::SNS::Topic", topicArn) as string;
      const keyArn = resolved.resolve({ "Fn::GetAtt": [topicKeyId(resolved, topicId), "Arn"] });
      const keyPolicy = resolved.keyPolicy(topicKeyId(resolved, topicId));
      return [
        { action: "sns:Publish", resource: topicArn, resourcePolicy: resolved.topicPolicy(topicId) },
        { action: "kms:GenerateDataKey", resource: keyArn, resourcePolicy: keyPolicy },
        { action: "kms:Decrypt", resource: keyArn, resourcePolicy: keyPolicy },
        ...(config.sms.provider === "sns" ? [{ action: "sns:Publish", resource: "*" }] : []),
      ];
    }
    case "SendTextMessageCommand": {
      if (config.sms.provider !== "end-user-messaging") return [];
      const arn = (resource: string) => `arn:aws:sms-voice:${REGION}:${ACCOUNT}:${resource}`;
      const configurationSet = config.sms.endUserMessaging.configurationSetName;
      return [
        { action: "sms-voice:SendTextMessage", resource: arn("phone-number/phone-0123456789abcdef") },
        { action: "sms-voice:SendTextMessage", resource: arn("pool/pool-0123456789abcdef") },
        ...(configurationSet
          ? [{ action: "sms-voice:SendTextMessage", resource: arn(`configuration-set/${configurationSet}`) }]
          : []),
      ];
    }
    default:
      throw new Error(
        `${command}: which IAM action and resource does AWS authorize it as? Add it to requestsOf`,
      );
  }
}

function topicKeyId(resolved: ResolvedTemplate, topicId: string): string {
  const key = resolved.resources[topicId]?.Properties.KmsMasterKeyId;
  const keyId = key?.["Fn::GetAtt"]?.[0] ?? key?.Ref;
  if (!keyId || resolved.resources[keyId]?.Type !== "AWS::KMS::Key")
    throw new Error(`topic ${topicId} is not encrypted with a key of this stack (${JSON.stringify(key)})`);
  return keyId;
}

/** Every run-time call of every function in the template, with the function's role as principal. */
async function functionCalls(config: ShopConfig, resolved: ResolvedTemplate): Promise<Call[]> {
  const calls: Call[] = [];
  for (const id of resolved.idsOf("AWS::Lambda::Function")) {
    const properties = resolved.resources[id]?.Properties;
    const handler = properties.Environment?.Variables?.SHOPCARE_HANDLER as string | undefined;
    if (!handler) continue;
    const env = resolved.resolve(properties.Environment.Variables) as Record<string, string>;
    const roleId = resolved.roleOf(id);
    const base = {
      principal: resolved.attr(roleId, "Arn"),
      identityPolicies: resolved.rolePolicies(roleId),
    };
    const sources = (await bundledSources(handler)).join("\n");
    const commands = new Set([...sources.matchAll(/new (\w+Command)\(/g)].map((match) => match[1] as string));
    expect(commands.size, `${handler} makes no AWS call?`).toBeGreaterThan(0);
    for (const command of commands) {
      for (const request of requestsOf(command, env, config, resolved))
        calls.push({
          ...base,
          ...request,
          label: `${handler} ${command} → ${request.action} ${request.resource}`,
        });
    }
    // Powertools' getSecret reads the secrets the function's variables name (a variable the code needs but
    // the template does not set fails the cold start: tests/infra/bundles.test.ts).
    if (/\bgetSecret\(/.test(sources)) {
      for (const [name, arn] of Object.entries(env).filter(([variable]) => variable.endsWith("_SECRET_ARN")))
        calls.push({
          ...base,
          action: "secretsmanager:GetSecretValue",
          resource: arn,
          label: `${handler} getSecret(${name})`,
        });
    }
  }
  return calls;
}

/** The state machines' task invocations: each Lambda version ARN its definition names. */
function machineCalls(resolved: ResolvedTemplate): Call[] {
  return resolved.idsOf("AWS::StepFunctions::StateMachine").flatMap((id) => {
    const roleId = resolved.roleOf(id);
    const definition = JSON.parse(resolved.resolve(resolved.resources[id]?.Properties.DefinitionString));
    const targets = new Set(
      Object.values<Json>(definition.States)
        .filter((state) => state.Type === "Task")
        .map((state) => String(state.Resource)),
    );
    expect(targets.size).toBeGreaterThan(0);
    return [...targets].flatMap((resource): Call[] => {
      const base = {
        principal: resolved.attr(roleId, "Arn"),
        identityPolicies: resolved.rolePolicies(roleId),
      };
      // The hand-over starts a fresh execution of the machine itself, by `$$.StateMachine.Id` (unqualified,
      // or the alias it was started on): StartExecution authorizes the unqualified ARN with the qualifier.
      if (resource.endsWith(":states:::states:startExecution")) {
        const machineArn = resolved.attr(id, "Arn");
        return ([{}, { "states:StateMachineQualifier": ["live"] }] as Context[]).map((context) => ({
          ...base,
          label: `${id} HandOver → states:StartExecution ${machineArn} ${JSON.stringify(context)}`,
          action: "states:StartExecution",
          resource: machineArn,
          context,
        }));
      }
      return [
        {
          ...base,
          label: `${id} task → lambda:InvokeFunction ${resource}`,
          action: "lambda:InvokeFunction",
          resource,
        },
      ];
    });
  });
}

async function denied(calls: readonly Call[]): Promise<string[]> {
  const failures: string[] = [];
  for (const call of calls) {
    const decision = await decide(call);
    if (decision !== "Allowed") failures.push(`${call.label}: ${decision}`);
  }
  return failures;
}

/** The logical id of the function that runs a handler (`SHOPCARE_HANDLER`). */
function functionOf(resolved: ResolvedTemplate, handler: string): string {
  return resolved
    .idsOf("AWS::Lambda::Function")
    .find(
      (id) => resolved.resources[id]?.Properties.Environment?.Variables?.SHOPCARE_HANDLER === handler,
    ) as string;
}

const resolvedFor = (provider: keyof typeof PROVIDER_CONFIGS) => {
  const config = parseShopConfig(PROVIDER_CONFIGS[provider]);
  return { config, resolved: new ResolvedTemplate(synthesizeTemplate(config)) };
};

describe("IAM contract (policies evaluated as AWS evaluates them)", () => {
  it.each(DEPLOYED_PROVIDERS)(
    "allows every call each function's code makes, with sms.provider %s",
    async (provider) => {
      const { config, resolved } = resolvedFor(provider);
      const calls = await functionCalls(config, resolved);
      expect(calls.length).toBeGreaterThan(20);
      expect(await denied(calls)).toEqual([]);
    },
  );

  it("allows a start on the live alias only, not on the unqualified machine or another version", async () => {
    const { config, resolved } = resolvedFor("sns");
    const starts = (await functionCalls(config, resolved)).filter(
      (call) => call.action === "states:StartExecution",
    );
    // Dispatch starts every journey; the step Lambda starts the successors of the journeys that have them
    // (the birthday's next year), on a machine whose ARN is built from its fixed name.
    const successors = JOURNEY_IDS.filter((journey) => journeyModule(journey).successor);
    expect(successors).toEqual(["birthday"]);
    expect(starts.filter((call) => call.label.startsWith("dispatch "))).toHaveLength(JOURNEY_IDS.length);
    const stepStarts = starts.filter((call) => call.label.startsWith("step "));
    expect(stepStarts.map((call) => call.resource)).toEqual([
      expect.stringMatching(/:stateMachine:Shopcare-birthday$/),
    ]);
    for (const start of starts) {
      expect(await decide(start)).toBe("Allowed");
      expect(await decide({ ...start, context: {} })).not.toBe("Allowed");
      expect(await decide({ ...start, context: { "states:StateMachineQualifier": ["1"] } })).not.toBe(
        "Allowed",
      );
      // The alias ARN itself is not what Step Functions authorizes: a grant on it alone would deny every start.
      expect(start.resource).not.toMatch(/:live$/);
    }
    // The step Lambda may start no other journey.
    const [stepStart] = stepStarts as [Call];
    const [dispatchStart] = starts.filter((call) => call.label.startsWith("dispatch ")) as [Call];
    expect(await decide({ ...stepStart, resource: dispatchStart.resource })).not.toBe("Allowed");
  });

  it("lets every state machine invoke the Lambda versions its tasks name, and the campaigns' machine start itself (its hand-over)", async () => {
    const { resolved } = resolvedFor("sns");
    const calls = machineCalls(resolved);
    const invokes = calls.filter((call) => call.action === "lambda:InvokeFunction");
    const handOvers = calls.filter((call) => call.action === "states:StartExecution");
    expect(invokes).toHaveLength(STATE_MACHINES);
    for (const call of invokes) expect(call.resource).toMatch(/:function:[^:]+:\d+$/);
    // One machine relays (campaigns): a start unqualified and one on its live alias.
    expect(handOvers).toHaveLength(2);
    expect(new Set(handOvers.map((call) => call.resource)).size).toBe(1);
    expect(await denied(calls)).toEqual([]);
    // A journey's machine may not start the campaigns' machine.
    const journeyRole = invokes.find((call) => !call.label.includes("Campaigns")) as Call;
    expect(
      await decide({
        ...(handOvers[0] as Call),
        principal: journeyRole.principal,
        identityPolicies: journeyRole.identityPolicies,
      }),
    ).not.toBe("Allowed");
  });

  it("lets CloudWatch deliver every alarm to the operators' topic and its key, on this account's behalf only", async () => {
    const { resolved } = resolvedFor("sns");
    const alarms = resolved.idsOf("AWS::CloudWatch::Alarm");
    // Three per state machine (failed, throttled, timed out), nine for the rest of the shop, and six functions'
    // errors (every function of an SNS shop without campaigns but the link function).
    expect(alarms.length).toBe(3 * STATE_MACHINES + 9 + 6);
    const calls: Call[] = [];
    for (const alarmId of alarms) {
      const [topicArn] = resolved.resolve(resolved.resources[alarmId]?.Properties.AlarmActions) as string[];
      const topicId = resolved.idByValue("AWS::SNS::Topic", topicArn as string) as string;
      const keyId = topicKeyId(resolved, topicId);
      const keyArn = resolved.attr(keyId, "Arn");
      const context = { "aws:SourceAccount": ACCOUNT, "aws:SourceArn": resolved.attr(alarmId, "Arn") };
      const service = { principal: "cloudwatch.amazonaws.com", context };
      calls.push(
        {
          ...service,
          label: `${alarmId} → sns:Publish`,
          action: "sns:Publish",
          resource: topicArn as string,
          resourcePolicy: resolved.topicPolicy(topicId),
        },
        {
          ...service,
          label: `${alarmId} → kms:GenerateDataKey`,
          action: "kms:GenerateDataKey",
          resource: keyArn,
          resourcePolicy: resolved.keyPolicy(keyId),
        },
        {
          ...service,
          label: `${alarmId} → kms:Decrypt`,
          action: "kms:Decrypt",
          resource: keyArn,
          resourcePolicy: resolved.keyPolicy(keyId),
        },
      );
    }
    expect(await denied(calls)).toEqual([]);
    // The confused deputy: CloudWatch acting for an alarm in another account gets nothing.
    const foreign = {
      "aws:SourceAccount": "999988887777",
      "aws:SourceArn": `arn:aws:cloudwatch:${REGION}:999988887777:alarm:x`,
    };
    for (const call of calls.slice(0, 3))
      expect(await decide({ ...call, context: foreign })).not.toBe("Allowed");
  });

  it("lets End User Messaging publish replies and events to the inbound topic, SNS invoke inbound-sns, and failures reach its dead-letter queue", async () => {
    const { resolved } = resolvedFor("end-user-messaging");
    const [topicId] = resolved.idsOf("AWS::SNS::Topic").filter((id) => id.startsWith("InboundTopic")) as [
      string,
    ];
    const topicArn = resolved.attr(topicId, "Arn");
    const keyId = topicKeyId(resolved, topicId);
    const keyArn = resolved.attr(keyId, "Arn");
    const eum = {
      principal: "sms-voice.amazonaws.com",
      context: {
        "aws:SourceAccount": ACCOUNT,
        "aws:SourceArn": `arn:aws:sms-voice:${REGION}:${ACCOUNT}:configuration-set/shopcare`,
      },
    };
    const inboundSns = functionOf(resolved, "inbound-sns");
    const [dlqId] = resolved.idsOf("AWS::SQS::Queue").filter((id) => id.startsWith("InboundDeadLetters")) as [
      string,
    ];
    const dlqArn = resolved.attr(dlqId, "Arn");
    const inboundRole = resolved.roleOf(inboundSns);
    const calls: Call[] = [
      {
        ...eum,
        label: "sms-voice → sns:Publish",
        action: "sns:Publish",
        resource: topicArn,
        resourcePolicy: resolved.topicPolicy(topicId),
      },
      {
        ...eum,
        label: "sms-voice → kms:GenerateDataKey",
        action: "kms:GenerateDataKey",
        resource: keyArn,
        resourcePolicy: resolved.keyPolicy(keyId),
      },
      {
        ...eum,
        label: "sms-voice → kms:Decrypt",
        action: "kms:Decrypt",
        resource: keyArn,
        resourcePolicy: resolved.keyPolicy(keyId),
      },
      {
        label: "sns → lambda:InvokeFunction inbound-sns",
        principal: "sns.amazonaws.com",
        action: "lambda:InvokeFunction",
        resource: resolved.attr(inboundSns, "Arn"),
        context: { "aws:SourceArn": topicArn, "aws:SourceAccount": ACCOUNT },
        resourcePolicy: resolved.functionPolicy(inboundSns),
      },
      {
        label: "inbound-sns on-failure destination → sqs:SendMessage",
        principal: resolved.attr(inboundRole, "Arn"),
        identityPolicies: resolved.rolePolicies(inboundRole),
        action: "sqs:SendMessage",
        resource: dlqArn,
        resourcePolicy: resolved.queuePolicy(dlqId),
      },
      {
        label: "sns subscription redrive → sqs:SendMessage",
        principal: "sns.amazonaws.com",
        action: "sqs:SendMessage",
        resource: dlqArn,
        context: { "aws:SourceArn": topicArn, "aws:SourceAccount": ACCOUNT },
        resourcePolicy: resolved.queuePolicy(dlqId),
      },
    ];
    expect(await denied(calls)).toEqual([]);
    const foreign = {
      "aws:SourceAccount": "999988887777",
      "aws:SourceArn": "arn:aws:sms-voice:us-east-1:999988887777:configuration-set/x",
    };
    for (const call of calls.slice(0, 3))
      expect(await decide({ ...call, context: foreign })).not.toBe("Allowed");
  });

  it("lets dispatch's event source read and delete from the events queue, and API Gateway invoke ingest", async () => {
    const { resolved } = resolvedFor("sns");
    const byHandler = (name: string) => functionOf(resolved, name);
    const dispatch = byHandler("dispatch");
    const ingest = byHandler("ingest");
    const mapping = resolved.resources[resolved.idsOf("AWS::Lambda::EventSourceMapping")[0] as string];
    const queueArn = resolved.resolve(mapping?.Properties.EventSourceArn) as string;
    const role = resolved.roleOf(dispatch);
    const consumer = {
      principal: resolved.attr(role, "Arn"),
      identityPolicies: resolved.rolePolicies(role),
      resource: queueArn,
    };
    const apiId = resolved.idsOf("AWS::ApiGatewayV2::Api")[0] as string;
    const calls: Call[] = [
      ...[
        "sqs:ReceiveMessage",
        "sqs:DeleteMessage",
        "sqs:ChangeMessageVisibility",
        "sqs:GetQueueAttributes",
      ].map((action) => ({ ...consumer, action, label: `dispatch event source → ${action}` })),
      ...["generic", "shopify", "kuaidi100"].map((source) => ({
        label: `API Gateway → ingest for /webhooks/${source}`,
        principal: "apigateway.amazonaws.com",
        action: "lambda:InvokeFunction",
        resource: resolved.attr(ingest, "Arn"),
        context: {
          "aws:SourceArn": `arn:aws:execute-api:${REGION}:${ACCOUNT}:${resolved.ref(apiId)}/$default/POST/webhooks/${source}`,
        },
        resourcePolicy: resolved.functionPolicy(ingest),
      })),
    ];
    expect(await denied(calls)).toEqual([]);
  });
});

describe("short links (GET /l/{code} on the HTTP API, clicks counted from the link function's log)", () => {
  it("lets API Gateway invoke the link function, which may only read the table; CloudWatch Logs invoke the clicks function, which may only update it and reach its on-failure queue", async () => {
    // Arrange
    const { resolved } = resolvedFor("sns");
    const byHandler = (name: string) => functionOf(resolved, name);
    const link = byHandler("link");
    const clicks = byHandler("clicks");
    const env = resolved.resolve(resolved.resources[link]?.Properties.Environment.Variables) as Record<
      string,
      string
    >;
    const table = `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/${env.TABLE_NAME}`;
    const as =
      (fn: string) =>
      (action: string, resource = table): Call => ({
        label: `${fn === link ? "link" : "clicks"} → ${action} ${resource}`,
        principal: resolved.attr(resolved.roleOf(fn), "Arn"),
        identityPolicies: resolved.rolePolicies(resolved.roleOf(fn)),
        action,
        resource,
      });
    const apiId = resolved.idsOf("AWS::ApiGatewayV2::Api")[0] as string;
    // The subscription filter's log group: the link function's, whose ARN is what Logs invokes from.
    const filter = resolved.resources[resolved.idsOf("AWS::Logs::SubscriptionFilter")[0] as string];
    const logGroupName = resolved.resolve(filter?.Properties.LogGroupName) as string;
    expect(resolved.resolve(filter?.Properties.DestinationArn)).toBe(resolved.attr(clicks, "Arn"));
    expect(filter?.Properties.FilterPattern).toBe('{ $.type = "shopcare.click" }');
    // Text log format: the click lines the function writes to stdout reach the log as written, JSON the
    // filter pattern reads ("Log and monitor Node.js Lambda functions", Lambda developer guide).
    expect(resolved.resources[link]?.Properties.LoggingConfig?.LogFormat ?? "Text").toBe("Text");
    expect(logGroupName).toBe(resolved.resolve(resolved.resources[link]?.Properties.LoggingConfig?.LogGroup));
    const dlqArn = resolved.resolve(
      resolved.resources[
        resolved
          .idsOf("AWS::Lambda::EventInvokeConfig")
          .find(
            (id) =>
              resolved.resolve(resolved.resources[id]?.Properties.FunctionName) === resolved.ref(clicks),
          ) as string
      ]?.Properties.DestinationConfig.OnFailure.Destination,
    ) as string;
    const dlqId = resolved
      .idsOf("AWS::SQS::Queue")
      .find((id) => resolved.attr(id, "Arn") === dlqArn) as string;
    // What customers send back and could not be taken in: the inbound failures queue, alarmed on.
    expect(dlqId).toMatch(/^InboundDeadLetters/);
    const logsInvokeClicks = (group: string): Call => ({
      label: `CloudWatch Logs → clicks for the log group ${group}`,
      principal: "logs.amazonaws.com",
      action: "lambda:InvokeFunction",
      resource: resolved.attr(clicks, "Arn"),
      context: { "aws:SourceArn": `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:${group}:*` },
      resourcePolicy: resolved.functionPolicy(clicks),
    });
    const calls: Call[] = [
      as(link)("dynamodb:GetItem"),
      as(clicks)("dynamodb:UpdateItem"),
      {
        label: "API Gateway → link for GET /l/{code}",
        principal: "apigateway.amazonaws.com",
        action: "lambda:InvokeFunction",
        resource: resolved.attr(link, "Arn"),
        context: {
          "aws:SourceArn": `arn:aws:execute-api:${REGION}:${ACCOUNT}:${resolved.ref(apiId)}/$default/GET/l/{code}`,
        },
        resourcePolicy: resolved.functionPolicy(link),
      },
      logsInvokeClicks(logGroupName),
      {
        ...as(clicks)("sqs:SendMessage", dlqArn),
        label: "clicks on-failure destination → sqs:SendMessage",
        resourcePolicy: resolved.queuePolicy(dlqId),
      },
    ];
    const refusals = [
      as(link)("dynamodb:UpdateItem"),
      as(link)("dynamodb:PutItem"),
      as(link)("dynamodb:Query", `${table}/index/${TABLE_KEYS.gsi1}`),
      as(link)("dynamodb:GetItem", `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/another-table`),
      as(clicks)("dynamodb:GetItem"),
      as(clicks)("dynamodb:PutItem"),
      as(clicks)("dynamodb:DeleteItem"),
      as(clicks)("dynamodb:Scan"),
      logsInvokeClicks("/aws/lambda/other"),
    ];

    // Act
    const failures = await denied(calls);
    const refused = await Promise.all(refusals.map(async (call) => `${call.label}: ${await decide(call)}`));

    // Assert
    expect(failures).toEqual([]);
    for (const decision of refused) expect(decision).not.toMatch(/: Allowed$/);
  });
});

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
