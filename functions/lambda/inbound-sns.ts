import { SNSClient } from "@aws-sdk/client-sns";
import { systemClock } from "../core/shared/clock.js";
import { createInboundSnsHandler } from "../handlers/inbound.js";
import { SnsOperatorChannel } from "../providers/sns.js";
import { config, requireEnv, store } from "./runtime.js";

export const handler = createInboundSnsHandler({
  store,
  config,
  clock: systemClock,
  // Replies that are not opt-outs reach the operators.
  operators: new SnsOperatorChannel(new SNSClient({}), requireEnv("HANDOFF_TOPIC_ARN")),
});
