import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import type { DispatchDeps } from "../../core/engine/dispatch-starts.js";
import { InvalidEventError, parseShopEvent, type ShopEvent } from "../../core/intake/events.js";
import { importHistory } from "../../core/intake/history.js";

/** The local shop's history import route (`shopcare import --url`): a batch of past events at a time. */
export const LOCAL_IMPORT_PATH = "/admin/import";

const answer = (statusCode: number, body: unknown): APIGatewayProxyStructuredResultV2 => ({
  statusCode,
  headers: { "content-type": "application/json" },
  body: JSON.stringify(body),
});

/**
 * `POST /admin/import` `{"events": [...], "importAt"?: ISO}`: applies the batch as dispatch would have live,
 * as of `importAt` (the import's start, the same for every batch of one import), and answers its counts.
 * An event that is not one names its index and field, and nothing of the batch is applied.
 */
export function importRoute(deps: DispatchDeps) {
  return async (event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> => {
    let body: { events?: unknown; importAt?: unknown };
    try {
      const text = event.isBase64Encoded
        ? Buffer.from(event.body ?? "", "base64").toString("utf8")
        : event.body;
      body = JSON.parse(text || "{}");
    } catch {
      return answer(400, { error: "the body is not JSON" });
    }
    if (!Array.isArray(body.events)) return answer(400, { error: "events: expected an array of events" });
    const importAt = typeof body.importAt === "string" ? new Date(body.importAt) : deps.clock.now();
    if (Number.isNaN(importAt.getTime()))
      return answer(400, { error: "importAt: expected an ISO 8601 time" });
    const events: ShopEvent[] = [];
    for (const [index, raw] of body.events.entries()) {
      try {
        events.push(parseShopEvent(raw));
      } catch (error) {
        if (!(error instanceof InvalidEventError)) throw error;
        return answer(400, { error: `events.${index}.${error.message}` });
      }
    }
    return answer(200, await importHistory(deps, events, importAt));
  };
}
