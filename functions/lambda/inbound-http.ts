import { SNSClient } from "@aws-sdk/client-sns";
import { systemClock } from "../core/shared/clock.js";
import { createInboundHttpHandler } from "../handlers/inbound.js";
import { SnsOperatorChannel } from "../providers/sns.js";
import { config, jsonSecret, requireEnv, store } from "./runtime.js";

const secretArn = requireEnv("ALIYUN_SECRET_ARN");

export const handler = createInboundHttpHandler({
  store,
  config,
  clock: systemClock,
  // Replies that are not opt-outs reach the operators.
  operators: new SnsOperatorChannel(new SNSClient({}), requireEnv("HANDOFF_TOPIC_ARN")),
  // The same secret as the AccessKey: {"accessKeyId", "accessKeySecret", "inboundToken"}.
  aliyunToken: async () => (await jsonSecret(secretArn))?.inboundToken || undefined,
});
