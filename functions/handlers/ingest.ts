import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import type { Clock } from "../core/clock.js";
import { InvalidEventError, parseShopEvent, type ShopEvent } from "../core/events.js";
import type { Store } from "../core/store.js";

/** Where accepted events go for dispatch: SQS on AWS, the local queue locally. */
export interface EventQueue {
  enqueue(events: readonly ShopEvent[], webhookId: string): Promise<void>;
}

/** What the ingest handler needs. */
export interface IngestDeps {
  readonly store: Store;
  readonly queue: EventQueue;
  readonly clock: Clock;
  readonly maxBodyBytes: number;
  readonly newId: () => string;
}

function json(statusCode: number, body: unknown): APIGatewayProxyStructuredResultV2 {
  return { statusCode, headers: { "content-type": "application/json" }, body: JSON.stringify(body) };
}

type Parsed = { ok: true; events: ShopEvent[] } | { ok: false; status: 400; body: Record<string, unknown> };

function parseBody(body: string): Parsed {
  let payload: unknown;
  try {
    payload = JSON.parse(body);
  } catch (error) {
    return {
      ok: false,
      status: 400,
      body: { error: "body is not valid JSON", detail: (error as Error).message },
    };
  }
  const items = Array.isArray(payload) ? payload : [payload];
  if (items.length === 0)
    return { ok: false, status: 400, body: { error: "no events in body", field: "(body)" } };
  const events: ShopEvent[] = [];
  for (const [index, item] of items.entries()) {
    try {
      events.push(parseShopEvent(item));
    } catch (error) {
      if (!(error instanceof InvalidEventError)) throw error;
      const [first] = error.problems;
      const prefix = Array.isArray(payload) ? `[${index}].` : "";
      return {
        ok: false,
        status: 400,
        body: {
          error: "invalid event",
          field: `${prefix}${first?.field}`,
          message: first?.message,
          problems: error.problems.map((problem) => ({ ...problem, field: `${prefix}${problem.field}` })),
        },
      };
    }
  }
  return { ok: true, events };
}

/**
 * `POST /webhooks/generic`: one generic event or a JSON array of them. The raw body is archived first,
 * accepted or not, so nothing a sender posted is ever lost; valid events are queued for dispatch and the
 * answer is 202. Invalid input gets 400 naming the field; a body over the limit gets 413.
 */
export function createIngestHandler(
  deps: IngestDeps,
): (event: APIGatewayProxyEventV2) => Promise<APIGatewayProxyStructuredResultV2> {
  return async (request) => {
    const raw = request.body ?? "";
    const body = request.isBase64Encoded ? Buffer.from(raw, "base64").toString("utf8") : raw;
    if (Buffer.byteLength(body, "utf8") > deps.maxBodyBytes) {
      return json(413, { error: `body larger than ${deps.maxBodyBytes} bytes` });
    }
    const id = deps.newId();
    const receivedAt = deps.clock.now().toISOString();
    const parsed = parseBody(body);
    if (!parsed.ok) {
      await deps.store.archiveWebhook({
        id,
        source: "generic",
        receivedAt,
        body,
        status: "rejected",
        error: JSON.stringify(parsed.body),
      });
      return json(parsed.status, { ...parsed.body, id });
    }
    await deps.store.archiveWebhook({ id, source: "generic", receivedAt, body, status: "accepted" });
    await deps.queue.enqueue(parsed.events, id);
    return json(202, { id, accepted: parsed.events.length });
  };
}
