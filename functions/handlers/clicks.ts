import { gunzipSync } from "node:zlib";
import type { CloudWatchLogsDecodedData, CloudWatchLogsEvent } from "aws-lambda";
import { clickOfLine, type ShortLinks } from "../core/engine/links.js";
import { logger } from "./logger.js";

/** What the clicks handler needs: where clicks are counted. */
export interface ClicksDeps {
  readonly links: Pick<ShortLinks, "countClick">;
}

/**
 * The link function's click lines, delivered by its log group's subscription filter (base64, gzip: the
 * "PutSubscriptionFilter" API reference), each counted once per client bucket a minute. A count that
 * fails throws: Lambda retries the asynchronous invocation twice, then sends it to the on-failure queue,
 * and a retried batch counts nothing twice (a counted click's client bucket refuses the same minute).
 */
export function createClicksHandler(deps: ClicksDeps) {
  return async (event: CloudWatchLogsEvent): Promise<{ counted: number; repeats: number }> => {
    const data = JSON.parse(
      gunzipSync(Buffer.from(event.awslogs.data, "base64")).toString("utf8"),
    ) as CloudWatchLogsDecodedData & { messageType?: string };
    // Sent once when the subscription is created, to check the destination.
    if (data.messageType === "CONTROL_MESSAGE") return { counted: 0, repeats: 0 };
    let counted = 0;
    let repeats = 0;
    for (const { message } of data.logEvents) {
      const click = clickOfLine(message.trim());
      if (!click) {
        logger.warn("not a click line", { message: message.slice(0, 200) });
        continue;
      }
      if (await deps.links.countClick(click)) counted += 1;
      else repeats += 1;
    }
    return { counted, repeats };
  };
}
