import { SFNClient } from "@aws-sdk/client-sfn";
import { SNSClient } from "@aws-sdk/client-sns";
import { SQSClient } from "@aws-sdk/client-sqs";
import { ShopifyConsentWriteBack } from "../adapters/shopify/admin.js";
import { PacedJourneyStarter } from "../core/engine/dispatch.js";
import { StoreRateLimiter } from "../core/engine/rate.js";
import { systemClock } from "../core/shared/clock.js";
import { createDispatchHandler } from "../handlers/dispatch.js";
import { cloudWatchTelemetry } from "../handlers/telemetry.js";
import { SnsOperatorChannel } from "../providers/sns.js";
import { SqsEventQueue, SqsTrackingQueue } from "../providers/sqs.js";
import { StepFunctionsStarter } from "../providers/step-functions.js";
import { config, jsonSecret, phones, requireEnv, store } from "./runtime.js";

const journeys = new PacedJourneyStarter(
  new StepFunctionsStarter(new SFNClient({}), JSON.parse(requireEnv("JOURNEY_STATE_MACHINES"))),
  new StoreRateLimiter(store, systemClock, "StartExecution", config.quotas.startExecutionPerSecond),
  new StoreRateLimiter(store, systemClock, "StopExecution", config.quotas.stopExecutionPerSecond),
);

const telemetry = cloudWatchTelemetry(config);

// A Shopify shop's opt-outs are written back with the Admin API token its secret holds ({"accessToken"}).
const shopifySecretArn = process.env.SHOPIFY_ADMIN_SECRET_ARN;

export const handler = createDispatchHandler({
  config,
  store,
  phones,
  journeys,
  clock: systemClock,
  maxReceiveCount: Number(requireEnv("MAX_RECEIVE_COUNT")),
  telemetry,
  // A record whose starts found no slot goes back to the events queue with a delay, as a new message.
  requeue: new SqsEventQueue(new SQSClient({}), requireEnv("EVENTS_QUEUE_URL")),
  operators: new SnsOperatorChannel(new SNSClient({}), requireEnv("HANDOFF_TOPIC_ARN")),
  // Shipped parcels' Kuaidi100 subscriptions, in a stack that subscribes them.
  parcels: process.env.TRACKING_QUEUE_URL
    ? new SqsTrackingQueue(new SQSClient({}), process.env.TRACKING_QUEUE_URL)
    : undefined,
  consentWriteBack: shopifySecretArn
    ? new ShopifyConsentWriteBack(config, async () => (await jsonSecret(shopifySecretArn))?.accessToken)
    : undefined,
});
