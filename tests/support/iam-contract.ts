import { readFileSync } from "node:fs";
import { runSimulation } from "@cloud-copilot/iam-simulate";
import { build } from "esbuild";
import { expect } from "vitest";
import { TABLE_KEYS } from "../../functions/adapters/dynamodb/store.js";
import { parseShopConfig, type ShopConfig } from "../../functions/core/config/config.js";
import { synthesizeTemplate } from "../../functions/local/emulator/synth.js";
import { executionArn } from "../../functions/providers/step-functions.js";
import { ACCOUNT, type Json, REGION, ResolvedTemplate } from "./cfn.js";
import { PROVIDER_CONFIGS } from "./providers.js";

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

export type Context = Record<string, string | string[]>;

export const CAMPAIGN_TEXT = "【{shop}】{name}，618预热开始啦，{level}会员专享。回T退订";

export interface Call {
  readonly label: string;
  readonly principal: string;
  readonly action: string;
  readonly resource: string;
  readonly context?: Context;
  readonly identityPolicies?: { name: string; policy: Json }[];
  readonly resourcePolicy?: Json;
}

export async function decide(call: Call): Promise<string> {
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
export async function bundledSources(handler: string): Promise<string[]> {
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

export const queueArnOfUrl = (url: string) => {
  const [, , , account, name] = url.split("/");
  return `arn:aws:sqs:${REGION}:${account}:${name}`;
};

/**
 * The IAM requests one SDK command of a function makes, from the function's environment as the template
 * sets it. Unknown commands throw: add what AWS authorizes for them here.
 */
export function requestsOf(
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
      // The whole table (the local tools), and gsi3 (a shop's erasure finds numbers filed there).
      return [
        ...item("dynamodb:Scan"),
        { action: "dynamodb:Scan", resource: `${table}/index/${TABLE_KEYS.gsi3}` },
      ];
    case "QueryCommand":
      return [
        ...item("dynamodb:Query"),
        { action: "dynamodb:Query", resource: `${table}/index/${TABLE_KEYS.gsi1}` },
        { action: "dynamodb:Query", resource: `${table}/index/${TABLE_KEYS.gsi2}` },
        { action: "dynamodb:Query", resource: `${table}/index/${TABLE_KEYS.gsi3}` },
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
    case "DeleteScheduleCommand":
      return scheduleRequests(command, env);
    case "StartExecutionCommand":
    case "StopExecutionCommand":
      return executionRequests(command, env);
    // Events (ingest, replay; the inbound functions only where their stack writes consent back to Shopify)
    // and parcel subscription tries (dispatch, the tracking function): each where its variable is set, as
    // the code sends nothing without it.
    case "SendMessageBatchCommand":
      return queueSends(env.EVENTS_QUEUE_URL, resolved);
    case "SendMessageCommand":
      return queueSends(env.TRACKING_QUEUE_URL, resolved);
    case "PublishCommand":
      return publishRequests(env, config, resolved);
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

/** A send to the queue at `queueUrl`, authorized by the role and the queue's policy; none without a queue. */
function queueSends(
  queueUrl: string | undefined,
  resolved: ResolvedTemplate,
): Omit<Call, "principal" | "identityPolicies" | "label">[] {
  if (queueUrl === undefined) return [];
  const queueId = resolved.idByValue("AWS::SQS::Queue", queueUrl) as string;
  return [
    {
      action: "sqs:SendMessage",
      resource: queueArnOfUrl(queueUrl),
      resourcePolicy: resolved.queuePolicy(queueId),
    },
  ];
}

/** Creating, updating or deleting a campaign's schedule. */
function scheduleRequests(
  command: string,
  env: Record<string, string>,
): Omit<Call, "principal" | "identityPolicies" | "label">[] {
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

/** Starting or stopping executions of the machines the function's environment names. */
function executionRequests(
  command: string,
  env: Record<string, string>,
): Omit<Call, "principal" | "identityPolicies" | "label">[] {
  const machines = (
    env.CAMPAIGNS_STATE_MACHINE_ARN
      ? { campaign: env.CAMPAIGNS_STATE_MACHINE_ARN }
      : JSON.parse(env.JOURNEY_STATE_MACHINES ?? "{}")
  ) as Record<string, string>;
  expect(Object.keys(machines).length).toBeGreaterThan(0);
  return Object.values(machines).map((startArn): Omit<Call, "principal" | "identityPolicies" | "label"> => {
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
  });
}

/** Publishing to the operators' topic (its KMS key), and SMS through SNS when SNS is the provider. */
function publishRequests(
  env: Record<string, string>,
  config: ShopConfig,
  resolved: ResolvedTemplate,
): Omit<Call, "principal" | "identityPolicies" | "label">[] {
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

export function topicKeyId(resolved: ResolvedTemplate, topicId: string): string {
  const key = resolved.resources[topicId]?.Properties.KmsMasterKeyId;
  const keyId = key?.["Fn::GetAtt"]?.[0] ?? key?.Ref;
  if (!keyId || resolved.resources[keyId]?.Type !== "AWS::KMS::Key")
    throw new Error(`topic ${topicId} is not encrypted with a key of this stack (${JSON.stringify(key)})`);
  return keyId;
}

/** Every run-time call of every function in the template, with the function's role as principal. */
export async function functionCalls(config: ShopConfig, resolved: ResolvedTemplate): Promise<Call[]> {
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
export function machineCalls(resolved: ResolvedTemplate): Call[] {
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

export async function denied(calls: readonly Call[]): Promise<string[]> {
  const failures: string[] = [];
  for (const call of calls) {
    const decision = await decide(call);
    if (decision !== "Allowed") failures.push(`${call.label}: ${decision}`);
  }
  return failures;
}

/** The logical id of the function that runs a handler (`SHOPCARE_HANDLER`). */
export function functionOf(resolved: ResolvedTemplate, handler: string): string {
  return resolved
    .idsOf("AWS::Lambda::Function")
    .find(
      (id) => resolved.resources[id]?.Properties.Environment?.Variables?.SHOPCARE_HANDLER === handler,
    ) as string;
}

export const resolvedFor = (provider: keyof typeof PROVIDER_CONFIGS) => {
  const config = parseShopConfig(PROVIDER_CONFIGS[provider]);
  return { config, resolved: new ResolvedTemplate(synthesizeTemplate(config)) };
};
