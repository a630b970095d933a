import { BatchProcessor, EventType, processPartialResponse } from "@aws-lambda-powertools/batch";
import type { SQSBatchResponse, SQSEvent, SQSRecord } from "aws-lambda";
import { type DispatchDeps, dispatchEvent } from "../core/dispatch.js";
import { parseShopEvent } from "../core/events.js";
import { logger } from "./logger.js";

/** What the dispatch handler needs: the domain's dependencies, and optionally a sink for record errors. */
export interface DispatchHandlerDeps extends DispatchDeps {
  /** Told of every record that failed, with its error (the local queue keeps it with the dead letter). */
  readonly onRecordError?: (messageId: string, error: unknown) => void;
  /**
   * The queue's `maxReceiveCount`: on its last delivery a failing record is kept as a dead letter in the
   * table, with its error, instead of going to the SQS dead-letter queue without one. @default 5
   */
  readonly maxReceiveCount?: number;
  /** @default none */
  readonly telemetry?: DispatchDeps["telemetry"] & { deadLetter(): void };
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
      await dispatchEvent(deps, event);
    } catch (error) {
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
