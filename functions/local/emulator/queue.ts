import { randomUUID } from "node:crypto";
import type { SQSBatchResponse, SQSEvent } from "aws-lambda";
import type { Store } from "../../adapters/dynamodb/store.js";
import type { ShopEvent } from "../../core/intake/events.js";
import type { Clock } from "../../core/shared/clock.js";
import type { EventQueue, Requeue } from "../../handlers/ingest.js";
import type { ActivityTracker } from "./engine.js";

/** Options of the {@link LocalEventQueue}. */
export interface LocalEventQueueOptions {
  /**
   * Builds the dispatch handler, called with SQS-shaped batches exactly as Lambda would call it; the queue
   * passes in where record errors go so a dead letter keeps its cause.
   */
  readonly createDispatch: (
    onRecordError: (messageId: string, error: unknown) => void,
    requeue: EventQueue,
  ) => (event: SQSEvent) => Promise<SQSBatchResponse>;
  readonly store: Store;
  readonly clock: Clock;
  /** Deliveries before a message goes to the dead letters (SQS maxReceiveCount). @default 5 */
  readonly maxReceiveCount?: number;
  /** Tracks delayed messages for a virtual clock, so it does not go idle before they are delivered. @default none */
  readonly activity?: ActivityTracker;
}

/**
 * The local stand-in for SQS + the Lambda event source mapping: hands events to the real dispatch handler
 * in batches, redelivers reported failures, and keeps a message that keeps failing as a dead letter in
 * DynamoDB with its error, where an operator can see it.
 */
export class LocalEventQueue implements EventQueue {
  private pending: Promise<void> = Promise.resolve();
  private readonly errors = new Map<string, string>();
  private readonly dispatch: (event: SQSEvent) => Promise<SQSBatchResponse>;

  constructor(private readonly options: LocalEventQueueOptions) {
    this.dispatch = options.createDispatch((messageId, error) => {
      this.errors.set(messageId, error instanceof Error ? `${error.name}: ${error.message}` : String(error));
    }, this);
  }

  async enqueue(events: readonly ShopEvent[], webhookId: string, requeue?: Requeue): Promise<void> {
    const messages = events.map((event) => ({
      messageId: randomUUID(),
      body: JSON.stringify(event),
      webhookId,
      requeues: requeue?.requeues,
    }));
    if (requeue && requeue.delaySeconds > 0) {
      // SQS's DelaySeconds: delivered once the delay has passed on the clock, as a new message.
      const { activity, clock } = this.options;
      const due = new Date(clock.now().getTime() + requeue.delaySeconds * 1000);
      activity?.begin();
      void clock
        .sleepUntil(due)
        .then(() => {
          this.pending = this.pending.then(() => this.deliver(messages));
          return this.pending;
        })
        .finally(() => activity?.end());
      return;
    }
    // Deliveries run one batch at a time, in order, like a Lambda consumer with concurrency 1.
    this.pending = this.pending.then(() => this.deliver(messages));
  }

  /**
   * Resolves when every queued message has been dispatched or dead-lettered, including those a delivery
   * queued again without delay (the next page of a shop's erasure).
   */
  drain(): Promise<void> {
    return drained(() => this.pending);
  }

  private async deliver(
    messages: { messageId: string; body: string; webhookId: string; requeues?: number }[],
  ): Promise<void> {
    const maxReceiveCount = this.options.maxReceiveCount ?? 5;
    let remaining = messages;
    const errors = this.errors;
    for (let receive = 1; remaining.length > 0 && receive <= maxReceiveCount; receive += 1) {
      const event = {
        Records: remaining.map((message) => ({
          messageId: message.messageId,
          receiptHandle: message.messageId,
          body: message.body,
          attributes: { ApproximateReceiveCount: String(receive) },
          messageAttributes: {
            webhookId: { dataType: "String", stringValue: message.webhookId },
            ...(message.requeues !== undefined
              ? { requeues: { dataType: "Number", stringValue: String(message.requeues) } }
              : {}),
          },
          md5OfBody: "",
          eventSource: "aws:sqs",
          eventSourceARN: "arn:aws:sqs:us-east-1:123456789012:local-events",
          awsRegion: "us-east-1",
        })),
      } as unknown as SQSEvent;
      let failedIds: Set<string>;
      try {
        const response = await this.dispatch(event);
        failedIds = new Set(response.batchItemFailures.map((failure) => failure.itemIdentifier));
      } catch (error) {
        failedIds = new Set(remaining.map((message) => message.messageId));
        for (const message of remaining)
          if (!errors.has(message.messageId)) errors.set(message.messageId, String(error));
      }
      remaining = remaining.filter((message) => failedIds.has(message.messageId));
    }
    for (const message of remaining) {
      await this.options.store.putDeadLetter({
        id: message.messageId,
        at: this.options.clock.now().toISOString(),
        body: message.body,
        error: errors.get(message.messageId) ?? `dispatch failed ${maxReceiveCount} times`,
      });
    }
    for (const message of messages) errors.delete(message.messageId);
  }
}

/** Resolves once a promise chain stops growing: `tail()` is its newest link, awaited until no newer one. */
export async function drained(tail: () => Promise<void>): Promise<void> {
  let seen: Promise<void>;
  do {
    seen = tail();
    await seen;
  } while (seen !== tail());
}
