import { randomUUID } from "node:crypto";
import { SQSClient } from "@aws-sdk/client-sqs";
import { systemClock } from "../core/clock.js";
import { createIngestHandler } from "../handlers/ingest.js";
import { SqsEventQueue } from "../providers/sqs.js";
import { requireEnv, store } from "./runtime.js";

export const handler = createIngestHandler({
  store,
  clock: systemClock,
  queue: new SqsEventQueue(new SQSClient({}), requireEnv("EVENTS_QUEUE_URL")),
  maxBodyBytes: Number(requireEnv("MAX_WEBHOOK_BYTES")),
  newId: randomUUID,
});
