import { getSecret } from "@aws-lambda-powertools/parameters/secrets";
import { SQSClient } from "@aws-sdk/client-sqs";
import { systemClock } from "../core/clock.js";
import { createWebhookRouter } from "../handlers/ingest.js";
import { SqsEventQueue } from "../providers/sqs.js";
import { config, requireEnv, store } from "./runtime.js";

const secretArn = requireEnv("WEBHOOK_SECRET_ARN");

export const handler = createWebhookRouter({
  config,
  store,
  clock: systemClock,
  queue: new SqsEventQueue(new SQSClient({}), requireEnv("EVENTS_QUEUE_URL")),
  // One JSON secret {generic, shopify, kuaidi100}, cached by Powertools for 5 minutes (rotation needs no deploy).
  secrets: {
    get: async (source) => {
      const secrets = (await getSecret(secretArn, { transform: "json" })) as
        | Record<string, string>
        | undefined;
      return secrets?.[source] || undefined;
    },
  },
});
