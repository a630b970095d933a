import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import {
  type ClickRecorder,
  clickLine,
  clientBucket,
  LINK_CODE,
  type ShortLinks,
} from "../core/engine/links.js";
import type { Clock } from "../core/shared/clock.js";

/** What the short-link handler needs: the links to read, where clicks go, and the time. */
export interface LinkDeps {
  readonly links: Pick<ShortLinks, "getLink">;
  readonly clicks: ClickRecorder;
  readonly clock: Clock;
}

/** What the 404 page says, by which `shopcare doctor` knows the link function answered. */
export const LINK_NOT_FOUND_MARK = "链接已失效或不存在";

/** What a customer sees for an unknown or expired code (they came from an SMS: a page, not JSON). */
const NOT_FOUND: APIGatewayProxyStructuredResultV2 = {
  statusCode: 404,
  headers: { "content-type": "text/html; charset=utf-8", "cache-control": "no-store" },
  body: `<!doctype html><meta charset="utf-8"><title>链接已失效</title><p>${LINK_NOT_FOUND_MARK}。This link has expired or does not exist.</p>`,
};

/**
 * `GET /l/{code}`: 302 to the code's stored target after one read, the click handed on to be counted. A
 * code of the wrong form is answered 404 before any read; an unknown or expired one 404 with no click. The
 * target comes only from the store, never from the request, so no code redirects anywhere else.
 */
export function createLinkHandler(deps: LinkDeps) {
  return async (event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> => {
    const code = event.pathParameters?.code ?? "";
    if (!LINK_CODE.test(code)) return NOT_FOUND;
    const now = deps.clock.now();
    const link = await deps.links.getLink(code, now);
    if (!link) return NOT_FOUND;
    const { sourceIp, userAgent } = event.requestContext.http;
    deps.clicks.record({ code, client: clientBucket(sourceIp, userAgent ?? ""), at: now.toISOString() });
    return {
      statusCode: 302,
      // `no-store`: a browser or proxy that cached the redirect would follow it again without a click.
      headers: {
        location: link.target,
        "content-type": "text/plain; charset=utf-8",
        "cache-control": "no-store",
        "referrer-policy": "no-referrer",
      },
      body: "",
    };
  };
}

/**
 * Clicks as log lines on the function's standard output, which Lambda relays to its log group as written
 * in the text log format ("Log and monitor Node.js Lambda functions", Lambda developer guide); the clicks
 * function's subscription filter takes the lines of type `shopcare.click`. Written directly rather than
 * through the logger, so no log level can drop a click.
 */
export const logClickRecorder: ClickRecorder = {
  record: (click) => void process.stdout.write(`${clickLine(click)}\n`),
};
