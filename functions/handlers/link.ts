import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import type { Clock } from "../core/clock.js";
import { clientBucket, LINK_CODE, type ShortLinks } from "../core/links.js";

/** What the short-link handler needs: the links, and the time a click is counted at. */
export interface LinkDeps {
  readonly links: Pick<ShortLinks, "followLink">;
  readonly clock: Clock;
}

/** What a customer sees for an unknown or expired code (they came from an SMS: a page, not JSON). */
const NOT_FOUND: APIGatewayProxyStructuredResultV2 = {
  statusCode: 404,
  headers: { "content-type": "text/html; charset=utf-8", "cache-control": "no-store" },
  body: '<!doctype html><meta charset="utf-8"><title>链接已失效</title><p>链接已失效或不存在。This link has expired or does not exist.</p>',
};

/**
 * `GET /l/{code}`: 302 to the code's stored target, counting the click (a client's repeats within a
 * minute once). A code of the wrong form is answered 404 before any read; an unknown or expired one 404
 * with nothing written. The target comes only from the store, never from the request, so no code can
 * redirect anywhere else.
 */
export function createLinkHandler(deps: LinkDeps) {
  return async (event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> => {
    const code = event.pathParameters?.code ?? "";
    if (!LINK_CODE.test(code)) return NOT_FOUND;
    const { sourceIp, userAgent } = event.requestContext.http;
    const followed = await deps.links.followLink(
      code,
      clientBucket(sourceIp, userAgent ?? ""),
      deps.clock.now(),
    );
    if (!followed) return NOT_FOUND;
    return {
      statusCode: 302,
      // `no-store`: a browser or proxy that cached the redirect would follow it again without counting.
      headers: { location: followed.target, "cache-control": "no-store", "referrer-policy": "no-referrer" },
      body: "",
    };
  };
}
