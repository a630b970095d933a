import { BatchProcessor, EventType, processPartialResponse } from "@aws-lambda-powertools/batch";
import type { SQSBatchResponse, SQSEvent, SQSRecord } from "aws-lambda";
import * as z from "zod/mini";
import { subscribeParcel, type TrackingDeps, type TrackingTask } from "../core/parcels/subscriptions.js";
import { logger } from "./logger.js";

const TaskSchema = z.object({
  orderId: z.string().check(z.minLength(1)),
  trackingNo: z.string().check(z.minLength(1)),
  round: z.int().check(z.nonnegative()),
  attempt: z.int().check(z.nonnegative()),
  notBefore: z.optional(z.iso.datetime({ offset: true })),
});

/**
 * The tracking function: each SQS record is one try of one parcel subscription (`parcels/subscriptions.ts`).
 * A try that throws (the store or the queue failed, not Kuaidi100: its refusals are answers; or its try is
 * under way in another delivery, `TryInFlightError`) is reported back so SQS delivers it again after the
 * visibility timeout, and after its last try moves it to the dead-letter queue, which an alarm watches.
 */
export function createTrackingHandler(deps: TrackingDeps): (event: SQSEvent) => Promise<SQSBatchResponse> {
  const processor = new BatchProcessor(EventType.SQS);
  const handleRecord = async (record: SQSRecord) => {
    const task: TrackingTask = TaskSchema.parse(JSON.parse(record.body));
    const outcome = await subscribeParcel(deps, task);
    logger.info("tracking", { orderId: task.orderId, round: task.round, attempt: task.attempt, outcome });
    if (outcome === "handed-off") logger.warn("tracking subscription handed off", { orderId: task.orderId });
  };
  return (event) => processPartialResponse(event, handleRecord, processor);
}
