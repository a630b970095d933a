import { BatchProcessor, EventType, processPartialResponse } from "@aws-lambda-powertools/batch";
import type { SQSBatchResponse, SQSEvent, SQSRecord } from "aws-lambda";
import type { PersonalData } from "../core/customers/forget.js";
import { type DispatchDeps, dispatchEvent } from "../core/engine/dispatch.js";
import { SendRateLimitedError } from "../core/engine/rate.js";
import { parseShopEvent } from "../core/intake/events.js";
import type { WebhookArchive } from "../core/shared/ports.js";
import type { EventQueue } from "./ingest.js";
import { logger } from "./logger.js";

/** What the dispatch handler needs: the domain's dependencies, and optionally a sink for record errors. */
export interface DispatchHandlerDeps extends DispatchDeps {
  /** Dispatch's repositories, and where a record that keeps failing is kept (`putDeadLetter`). */
  readonly store: DispatchDeps["store"] &
    Pick<WebhookArchive, "putDeadLetter"> &
    Pick<PersonalData, "eraseWebhook">;
  /** Told of every record that failed, with its error (the local queue keeps it with the dead letter). */
  readonly onRecordError?: (messageId: string, error: unknown) => void;
  /**
   * The queue's `maxReceiveCount`: on its last delivery a failing record is kept as a dead letter in the
   * table, with its error, instead of going to the SQS dead-letter queue without one. @default 5
   */
  readonly maxReceiveCount?: number;
  /** @default none */
  readonly telemetry?: DispatchDeps["telemetry"] & { deadLetter(): void };
  /**
   * Where a record goes whose execution starts or stops found no rate slot in time: queued again with a
   * delay, as a new message, so waiting for the StartExecution / StopExecution budget never counts toward
   * `maxReceiveCount` and a peak delays events instead of dead-lettering them. @default handed back to the
   * queue like any failure
   */
  readonly requeue?: EventQueue;
}

/**
 * Whether a dispatch failure only means "not yet": the shared start/stop budget had no slot in time, or
 * Step Functions throttled the call anyway.
 */
export function isRateLimited(error: unknown): boolean {
  const name = (error as { name?: string } | undefined)?.name ?? "";
  return (
    error instanceof SendRateLimitedError || name === "ThrottlingException" || name === "SendRateLimitedError"
  );
}

/** The delay before a rate-limited event is delivered again: 30 s doubling per requeue, jittered, at most 900 s. */
export function requeueDelaySeconds(requeues: number, random: () => number = Math.random): number {
  const base = Math.min(900, 30 * 2 ** Math.min(requeues, 5));
  return Math.round(base / 2 + random() * (base / 2));
}

/**
 * The dispatch handler: each SQS record is one generic event. A record that fails is reported back as a
 * batch item failure, so SQS redelivers only it and, after its last try, moves it to the dead-letter queue.
 */
export function createDispatchHandler(
  deps: DispatchHandlerDeps,
): (event: SQSEvent) => Promise<SQSBatchResponse> {
  const processor = new BatchProcessor(EventType.SQS);
  const handleRecord = async (record: SQSRecord) => {
    try {
      const event = parseShopEvent(JSON.parse(record.body));
      // About someone forgotten since: the body it came in keeps nothing of them either.
      const webhookId = record.messageAttributes?.webhookId?.stringValue;
      let outcome = await dispatchEvent(deps, event);
      if (outcome === "forgotten" && webhookId) await deps.store.eraseWebhook(webhookId);
      // Work done a page at a time (a shop's erasure): the next page is a message of its own, so no
      // delivery runs into the function's timeout; without a queue to put it on, here and now.
      while (outcome === "more") {
        if (deps.requeue) {
          logger.info("dispatch: more to do, queued again", {
            messageId: record.messageId,
            type: event.type,
          });
          return deps.requeue.enqueue([event], webhookId ?? "requeue", { delaySeconds: 0, requeues: 0 });
        }
        outcome = await dispatchEvent(deps, event);
      }
    } catch (error) {
      if (deps.requeue && isRateLimited(error)) {
        const requeues = Number(record.messageAttributes?.requeues?.stringValue ?? 0) + 1;
        const delaySeconds = requeueDelaySeconds(requeues - 1);
        logger.warn("dispatch rate-limited: requeued", {
          messageId: record.messageId,
          requeues,
          delaySeconds,
        });
        await deps.requeue.enqueue(
          [parseShopEvent(JSON.parse(record.body))],
          record.messageAttributes?.webhookId?.stringValue ?? "requeue",
          {
            delaySeconds,
            requeues,
          },
        );
        return;
      }
      logger.error("dispatch failed", { messageId: record.messageId, error: error as Error });
      deps.onRecordError?.(record.messageId, error);
      const receives = Number(record.attributes?.ApproximateReceiveCount ?? 1);
      if (receives < (deps.maxReceiveCount ?? 5)) throw error;
      // Kept where an operator sees it with its cause; `shopcare replay` re-drives it after a fix.
      await deps.store.putDeadLetter({
        id: record.messageId,
        at: deps.clock.now().toISOString(),
        body: record.body,
        error: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
        webhookId: record.messageAttributes?.webhookId?.stringValue,
      });
      deps.telemetry?.deadLetter();
    }
  };
  return (event) => processPartialResponse(event, handleRecord, processor);
}
