import { BatchProcessor, EventType, processPartialResponse } from "@aws-lambda-powertools/batch";
import type { SQSBatchResponse, SQSEvent, SQSRecord } from "aws-lambda";
import { type DispatchDeps, dispatchEvent } from "../core/dispatch.js";
import { parseShopEvent } from "../core/events.js";

/**
 * The dispatch handler: each SQS record is one generic event. A record that fails is reported back as a
 * batch item failure, so SQS redelivers only it and, after its last try, moves it to the dead-letter queue.
 */
export function createDispatchHandler(deps: DispatchDeps): (event: SQSEvent) => Promise<SQSBatchResponse> {
  const processor = new BatchProcessor(EventType.SQS);
  const handleRecord = async (record: SQSRecord) =>
    dispatchEvent(deps, parseShopEvent(JSON.parse(record.body)));
  return (event) => processPartialResponse(event, handleRecord, processor);
}
