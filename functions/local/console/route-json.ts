import type { APIGatewayProxyEventV2 } from "aws-lambda";

/** An operator route's JSON body (base64 when the server says so), `{}` when empty. @throws on bad JSON */
export function bodyOf(event: APIGatewayProxyEventV2): Record<string, unknown> {
  const text = event.isBase64Encoded ? Buffer.from(event.body ?? "", "base64").toString("utf8") : event.body;
  return JSON.parse(text || "{}") as Record<string, unknown>;
}

/** A 200 answer carrying `body` as JSON. */
export const json = (body: unknown) => ({
  statusCode: 200,
  headers: { "content-type": "application/json" },
  body: JSON.stringify(body),
});
