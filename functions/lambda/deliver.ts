import { SNSClient } from "@aws-sdk/client-sns";
import { systemClock } from "../core/clock.js";
import { createDeliverHandler } from "../handlers/steps.js";
import { SnsOperatorChannel, SnsSmsProvider } from "../providers/sns.js";
import { config, requireEnv, store } from "./runtime.js";

const sns = new SNSClient({});

export const handler = createDeliverHandler({
  config,
  store,
  clock: systemClock,
  sms: new SnsSmsProvider(sns, { senderId: config.sms.senderId, maxPrice: config.sms.maxPricePerMessage }),
  operators: new SnsOperatorChannel(sns, requireEnv("HANDOFF_TOPIC_ARN")),
});
