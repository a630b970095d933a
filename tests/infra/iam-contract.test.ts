import { describe, expect, it } from "vitest";
import { JOURNEY_IDS, journeyModule } from "../../functions/core/journeys/index.js";
import { ACCOUNT, REGION, STATE_MACHINES } from "../support/cfn.js";
import {
  type Call,
  decide,
  denied,
  functionCalls,
  functionOf,
  machineCalls,
  resolvedFor,
  topicKeyId,
} from "../support/iam-contract.js";
import { DEPLOYED_PROVIDERS } from "../support/providers.js";

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
    // Three per state machine (failed, throttled, timed out), nine for the rest of the shop, and seven functions'
    // errors (every function of an SNS shop without campaigns but the link function: retention included), and
    // the parcel tracking room's three (its function's errors, subscriptions handed off, crashed tries).
    expect(alarms.length).toBe(3 * STATE_MACHINES + 9 + 7 + 3);
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
