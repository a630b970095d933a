import { SendMessageBatchCommand, SendMessageCommand, type SQSClient } from "@aws-sdk/client-sqs";
import type { ShopEvent } from "../core/intake/events.js";
import type { TrackingQueue, TrackingTask } from "../core/parcels/subscriptions.js";
import type { EventQueue, Requeue } from "../handlers/ingest.js";

const SQS_BATCH_LIMIT = 10;

/** Queues accepted events for the dispatch Lambda, one SQS message per event. */
export class SqsEventQueue implements EventQueue {
  constructor(
    private readonly sqs: SQSClient,
    private readonly queueUrl: string,
  ) {}

  async enqueue(events: readonly ShopEvent[], webhookId: string, requeue?: Requeue): Promise<void> {
    for (let start = 0; start < events.length; start += SQS_BATCH_LIMIT) {
      const batch = events.slice(start, start + SQS_BATCH_LIMIT);
      const result = await this.sqs.send(
        new SendMessageBatchCommand({
          QueueUrl: this.queueUrl,
          Entries: batch.map((event, offset) => ({
            Id: String(start + offset),
            MessageBody: JSON.stringify(event),
            MessageAttributes: {
              webhookId: { DataType: "String", StringValue: webhookId },
              ...(requeue ? { requeues: { DataType: "Number", StringValue: String(requeue.requeues) } } : {}),
            },
            ...(requeue
              ? { DelaySeconds: Math.min(900, Math.max(0, Math.round(requeue.delaySeconds))) }
              : {}),
          })),
        }),
      );
      if (result.Failed && result.Failed.length > 0) {
        throw new Error(
          `SQS refused ${result.Failed.length} events: ${result.Failed.map((f) => f.Message).join("; ")}`,
        );
      }
    }
  }
}

/** Queues parcel subscription tries for the tracking function, each delayed as asked (at most 15 minutes). */
export class SqsTrackingQueue implements TrackingQueue {
  constructor(
    private readonly sqs: SQSClient,
    private readonly queueUrl: string,
  ) {}

  async enqueue(task: TrackingTask, delaySeconds: number): Promise<void> {
    await this.sqs.send(
      new SendMessageCommand({
        QueueUrl: this.queueUrl,
        MessageBody: JSON.stringify(task),
        DelaySeconds: Math.min(900, Math.max(0, Math.round(delaySeconds))),
      }),
    );
  }
}
