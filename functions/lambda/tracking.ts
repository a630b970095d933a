import { SNSClient } from "@aws-sdk/client-sns";
import { SQSClient } from "@aws-sdk/client-sqs";
import { kuaidi100CallbackUrl } from "../core/intake/webhooks/sources.js";
import { systemClock } from "../core/shared/clock.js";
import { createTrackingHandler } from "../handlers/tracking.js";
import { HttpParcelPoll } from "../providers/kuaidi100-poll.js";
import { SnsOperatorChannel } from "../providers/sns.js";
import { SqsTrackingQueue } from "../providers/sqs.js";
import { config, jsonSecret, requireEnv, store } from "./runtime.js";

const secretArn = requireEnv("WEBHOOK_SECRET_ARN");
const webhookBase = requireEnv("WEBHOOK_BASE_URL");

export const handler = createTrackingHandler({
  store,
  queue: new SqsTrackingQueue(new SQSClient({}), requireEnv("TRACKING_QUEUE_URL")),
  poll: new HttpParcelPoll(),
  operators: new SnsOperatorChannel(new SNSClient({}), requireEnv("HANDOFF_TOPIC_ARN")),
  clock: systemClock,
  subscribeRetries: config.kuaidi100.subscribeRetries,
  // The webhook secrets' JSON: `kuaidi100` is the salt pushes are signed with, beside the account's
  // `kuaidi100Key` and `kuaidi100Customer`; without both, nothing is subscribed.
  async account() {
    const secrets = await jsonSecret(secretArn);
    const [key, customer, salt] = [secrets?.kuaidi100Key, secrets?.kuaidi100Customer, secrets?.kuaidi100];
    return key && customer && salt ? { key, customer, salt } : undefined;
  },
  callbackUrl: (orderId, salt, round) => kuaidi100CallbackUrl(webhookBase, orderId, salt, round),
});
