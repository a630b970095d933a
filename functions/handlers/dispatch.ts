import { BatchProcessor, EventType, processPartialResponse } from "@aws-lambda-powertools/batch";
import type { SQSBatchResponse, SQSEvent, SQSRecord } from "aws-lambda";
import { type DispatchDeps, dispatchEvent } from "../core/dispatch.js";
import { parseShopEvent } from "../core/events.js";
import { logger } from "./logger.js";

/** What the dispatch handler needs: the domain's dependencies, and optionally a sink for record errors. */
export interface DispatchHandlerDeps extends DispatchDeps {
  /** Told of every record that failed, with its error (the local queue keeps it with the dead letter). */
  readonly onRecordError?: (messageId: string, error: unknown) => void;
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
      throw error;
    }
  };
  return (event) => processPartialResponse(event, handleRecord, processor);
}
