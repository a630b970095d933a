import { SNSClient } from "@aws-sdk/client-sns";
import { SQSClient } from "@aws-sdk/client-sqs";
import { systemClock } from "../core/shared/clock.js";
import { createInboundHttpHandler } from "../handlers/inbound.js";
import { SnsOperatorChannel } from "../providers/sns.js";
import { SqsEventQueue } from "../providers/sqs.js";
import { config, jsonSecret, requireEnv, store } from "./runtime.js";

const secretArn = requireEnv("ALIYUN_SECRET_ARN");

export const handler = createInboundHttpHandler({
  store,
  config,
  clock: systemClock,
  // Replies that are not opt-outs reach the operators.
  operators: new SnsOperatorChannel(new SNSClient({}), requireEnv("HANDOFF_TOPIC_ARN")),
  // A Shopify shop's opt-out replies go on to dispatch, which writes them back to Shopify.
  events: process.env.EVENTS_QUEUE_URL
    ? new SqsEventQueue(new SQSClient({}), process.env.EVENTS_QUEUE_URL)
    : undefined,
  // The same secret as the AccessKey: {"accessKeyId", "accessKeySecret", "inboundToken"}.
  aliyunToken: async () => (await jsonSecret(secretArn))?.inboundToken || undefined,
});
