import { SFNClient } from "@aws-sdk/client-sfn";
import { SNSClient } from "@aws-sdk/client-sns";
import { SQSClient } from "@aws-sdk/client-sqs";
import type { SNSEvent } from "aws-lambda";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Store } from "../../functions/adapters/dynamodb/store.js";
import { parseShopConfig } from "../../functions/core/config/config.js";
import type { ShopEvent } from "../../functions/core/intake/events.js";
import { systemClock } from "../../functions/core/shared/clock.js";
import type { ExecutionState } from "../../functions/core/shared/model.js";
import { createInboundSnsHandler } from "../../functions/handlers/inbound.js";
import { SnsOperatorChannel } from "../../functions/providers/sns.js";
import { SqsEventQueue } from "../../functions/providers/sqs.js";
import { StepFunctionsStarter } from "../../functions/providers/step-functions.js";
import { FakeAws, fakeClientConfig } from "../support/fake-aws.js";
import { dynamo, freshTable } from "../support/local.js";

const fake = new FakeAws();
beforeAll(() => fake.start());
afterAll(() => fake.stop());

const QUEUE_URL = "https://sqs.ap-southeast-1.amazonaws.com/111122223333/Shopcare-Events";
const MACHINE = "arn:aws:states:ap-southeast-1:111122223333:stateMachine:Shopcare-paymentreminder";
const paid = (index: number): ShopEvent =>
  ({ type: "order.paid", at: "2026-06-18T10:00:00+08:00", orderId: `o${index}` }) as ShopEvent;

describe("SqsEventQueue against SQS's JSON protocol", () => {
  it("sends 23 events as batches of 10, 10 and 3, each event once with its webhook id", async () => {
    fake.queued.length = 0;
    fake.requests.length = 0;
    const queue = new SqsEventQueue(new SQSClient(fakeClientConfig(fake)), QUEUE_URL);
    await queue.enqueue(
      Array.from({ length: 23 }, (_, index) => paid(index)),
      "generic-abc",
    );
    const batches = fake.requests.filter((request) => request.operation === "SendMessageBatch");
    expect(batches.map((batch) => (batch.body.Entries as unknown[]).length)).toEqual([10, 10, 3]);
    expect(fake.queued.map((message) => JSON.parse(message.body).orderId)).toEqual(
      Array.from({ length: 23 }, (_, index) => `o${index}`),
    );
    expect(fake.queued[0]?.attributes).toEqual({
      webhookId: { DataType: "String", StringValue: "generic-abc" },
    });
  });

  it("requeues with SQS's DelaySeconds (capped at 900) and the requeue count as an attribute", async () => {
    fake.requests.length = 0;
    const queue = new SqsEventQueue(new SQSClient(fakeClientConfig(fake)), QUEUE_URL);
    await queue.enqueue([paid(1)], "generic-abc", { delaySeconds: 2000, requeues: 3 });
    const [batch] = fake.requests.filter((request) => request.operation === "SendMessageBatch");
    expect((batch?.body.Entries as Record<string, unknown>[] | undefined)?.[0]).toMatchObject({
      DelaySeconds: 900,
      MessageAttributes: {
        webhookId: { DataType: "String", StringValue: "generic-abc" },
        requeues: { DataType: "Number", StringValue: "3" },
      },
    });
  });

  it("fails the enqueue when SQS reports some entries Failed, naming how many", async () => {
    fake.behaviour = { failEntryIds: new Set(["3", "12"]) };
    try {
      const queue = new SqsEventQueue(new SQSClient(fakeClientConfig(fake)), QUEUE_URL);
      await expect(
        queue.enqueue(
          Array.from({ length: 5 }, (_, index) => paid(index)),
          "generic-def",
        ),
      ).rejects.toThrow(/SQS refused 1 events: try again/);
    } finally {
      fake.behaviour = {};
    }
  });

  it("fails the enqueue when SQS throttles (the webhook answers 5xx and the sender retries)", async () => {
    fake.behaviour = { throttleNext: 1 };
    const queue = new SqsEventQueue(new SQSClient(fakeClientConfig(fake)), QUEUE_URL);
    await expect(queue.enqueue([paid(1)], "generic-ghi")).rejects.toThrow(/throttled/i);
    fake.behaviour = {};
  });
});

describe("StepFunctionsStarter against Step Functions' JSON protocol", () => {
  const input = { journey: "payment-reminder", orderId: "o1" } as unknown as ExecutionState;
  const starter = () =>
    new StepFunctionsStarter(new SFNClient(fakeClientConfig(fake)), {
      "payment-reminder": `${MACHINE}:live`,
    });

  it("starts on the live alias and stops the execution by the ARN Step Functions gave it", async () => {
    fake.requests.length = 0;
    await starter().start("payment-reminder", "payment-reminder-o1", input);
    const [start] = fake.requests;
    expect(start).toMatchObject({
      operation: "StartExecution",
      body: { stateMachineArn: `${MACHINE}:live`, name: "payment-reminder-o1", input: JSON.stringify(input) },
    });
    const arn = `${MACHINE.replace(":stateMachine:", ":execution:")}:payment-reminder-o1`;
    expect(fake.executions.get(arn)?.status).toBe("RUNNING");
    await starter().stop("payment-reminder", "payment-reminder-o1");
    expect(fake.executions.get(arn)?.status).toBe("ABORTED");
  });

  it("treats a repeated start (ExecutionAlreadyExists) and a stop of an unknown execution as done", async () => {
    await starter().start("payment-reminder", "payment-reminder-o2", input);
    // Same name, other input: Step Functions answers ExecutionAlreadyExists, the event was seen before.
    await expect(
      starter().start("payment-reminder", "payment-reminder-o2", {
        ...input,
        orderId: "other",
      } as ExecutionState),
    ).resolves.toBeUndefined();
    await expect(starter().stop("payment-reminder", "never-started")).resolves.toBeUndefined();
  });

  it("lets a throttled start fail, so the record is redelivered", async () => {
    fake.behaviour = { throttleNext: 1 };
    await expect(starter().start("payment-reminder", "payment-reminder-o3", input)).rejects.toThrow(
      /Rate exceeded/,
    );
    fake.behaviour = {};
    await expect(starter().start("payment-reminder", "payment-reminder-o3", input)).resolves.toBeUndefined();
  });
});

describe("SnsOperatorChannel against SNS's query protocol", () => {
  it("publishes a handoff to the topic with a subject within SNS's 100 characters and filterable attributes", async () => {
    fake.published.length = 0;
    const topicArn = "arn:aws:sns:ap-southeast-1:111122223333:Shopcare-OperatorsTopic";
    const channel = new SnsOperatorChannel(new SNSClient(fakeClientConfig(fake)), topicArn);
    await channel.notify({
      journey: "review-care",
      step: "reply",
      orderId: "o1",
      customerId: "c1",
      reason:
        "bad-review-with-a-very-long-reason-that-goes-on-and-on-and-on-past-what-a-subject-may-hold-in-sns",
      summary: "a bad review",
      details: { rating: "bad" },
    });
    const [message] = fake.published;
    expect(message?.TopicArn).toBe(topicArn);
    expect(message?.Subject?.length).toBeLessThanOrEqual(100);
    expect(JSON.parse(message?.Message ?? "{}")).toMatchObject({ journey: "review-care", customerId: "c1" });
    expect(message?.["MessageAttributes.entry.1.Name"]).toBe("journey");
    expect(message?.["MessageAttributes.entry.1.Value.StringValue"]).toBe("review-care");
  });
});

describe("inbound-sns handler on DynamoDB Local", () => {
  const snsEvent = (message: string): SNSEvent => ({
    Records: [
      {
        EventSource: "aws:sns",
        EventVersion: "1.0",
        EventSubscriptionArn: "arn:aws:sns:ap-southeast-1:111122223333:Shopcare-InboundTopic:sub",
        Sns: {
          Type: "Notification",
          MessageId: "m-1",
          TopicArn: "arn:aws:sns:ap-southeast-1:111122223333:Shopcare-InboundTopic",
          Subject: "",
          Message: message,
          Timestamp: "2026-06-18T02:00:00.000Z",
          SignatureVersion: "1",
          Signature: "x",
          SigningCertUrl: "x",
          UnsubscribeUrl: "x",
          MessageAttributes: {},
        },
      },
    ],
  });

  it("records a two-way STOP reply as the number's opt-out, and throws on a message it cannot read (so Lambda's retries and the on-failure queue keep it)", async () => {
    const store = new Store(dynamo(), await freshTable("inbound-sns"));
    const handler = createInboundSnsHandler({
      store,
      config: parseShopConfig({}),
      clock: systemClock,
      operators: { notify: async () => {} },
    });
    await handler(
      snsEvent(
        JSON.stringify({
          originationNumber: "+8613800000001",
          destinationNumber: "+12065550100",
          messageBody: "STOP",
        }),
      ),
    );
    expect(await store.getPhoneOptOut("+8613800000001")).toBe("2026-06-18T02:00:00.000Z");
    await expect(handler(snsEvent(JSON.stringify({ hello: "world" })))).rejects.toThrow(
      /messageBody or eventType/,
    );
    await expect(handler(snsEvent("not json"))).rejects.toThrow();
  });
});
