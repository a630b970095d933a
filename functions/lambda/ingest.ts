import { SQSClient } from "@aws-sdk/client-sqs";
import { systemClock } from "../core/shared/clock.js";
import { createWebhookRouter } from "../handlers/ingest.js";
import { SqsEventQueue } from "../providers/sqs.js";
import { config, jsonSecret, requireEnv, store } from "./runtime.js";

const secretArn = requireEnv("WEBHOOK_SECRET_ARN");

export const handler = createWebhookRouter({
  config,
  store,
  clock: systemClock,
  queue: new SqsEventQueue(new SQSClient({}), requireEnv("EVENTS_QUEUE_URL")),
  // One JSON secret {generic, shopify, kuaidi100}; a rotated secret is read within 5 minutes, no deploy.
  secrets: { get: async (source) => (await jsonSecret(secretArn))?.[source] || undefined },
});
