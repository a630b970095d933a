import { getSecret } from "@aws-lambda-powertools/parameters/secrets";
import { SQSClient } from "@aws-sdk/client-sqs";
import { systemClock } from "../core/clock.js";
import { createWebhookRouter } from "../handlers/ingest.js";
import { cloudWatchTelemetry } from "../handlers/telemetry.js";
import { SqsEventQueue } from "../providers/sqs.js";
import { config, requireEnv, SECRET_MAX_AGE_SECONDS, store } from "./runtime.js";

const secretArn = requireEnv("WEBHOOK_SECRET_ARN");
const telemetry = cloudWatchTelemetry(config);

export const handler = createWebhookRouter({
  config,
  store,
  clock: systemClock,
  onAccepted: () => telemetry.webhookAccepted(),
  queue: new SqsEventQueue(new SQSClient({}), requireEnv("EVENTS_QUEUE_URL")),
  // One JSON secret {generic, shopify, kuaidi100}, cached for SECRET_MAX_AGE_SECONDS (Powertools' own default is 5 s) (rotation needs no deploy).
  secrets: {
    get: async (source) => {
      const secrets = (await getSecret(secretArn, { transform: "json", maxAge: SECRET_MAX_AGE_SECONDS })) as
        | Record<string, string>
        | undefined;
      return secrets?.[source] || undefined;
    },
  },
});
