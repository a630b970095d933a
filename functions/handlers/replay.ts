import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import * as z from "zod";
import { type ReplayDeps, replayArchive, replayDeadLetters } from "../core/intake/replay.js";
import { WEBHOOK_SOURCES } from "../core/intake/webhooks/sources.js";

/** The body of a replay request: dead letters, or a time range of the archive. */
export const ReplayRequestSchema = z.union([
  z.strictObject({ deadLetters: z.literal(true), ids: z.array(z.string()).optional() }),
  z.strictObject({
    from: z.iso.datetime({ offset: true }),
    to: z.iso.datetime({ offset: true }),
    source: z.enum(WEBHOOK_SOURCES).optional(),
    ids: z.array(z.string()).optional(),
  }),
]);
export type ReplayRequest = z.infer<typeof ReplayRequestSchema>;

/** Runs one replay request. */
export function runReplay(deps: ReplayDeps, request: ReplayRequest) {
  return "deadLetters" in request
    ? replayDeadLetters(deps, request.ids)
    : replayArchive(deps, {
        from: new Date(request.from),
        to: new Date(request.to),
        source: request.source,
        ids: request.ids,
      });
}

/**
 * `POST /admin/replay` of the local runtime only (never deployed: on AWS `shopcare replay` talks to the
 * table and queue directly): lets the CLI re-drive a running local shop's dead letters or archive.
 */
export function createLocalReplayHandler(
  deps: ReplayDeps,
): (event: APIGatewayProxyEventV2) => Promise<APIGatewayProxyStructuredResultV2> {
  return async (event) => {
    const text = event.isBase64Encoded
      ? Buffer.from(event.body ?? "", "base64").toString("utf8")
      : event.body;
    let parsed: ReplayRequest;
    try {
      parsed = ReplayRequestSchema.parse(JSON.parse(text || "{}"));
    } catch (error) {
      return {
        statusCode: 400,
        body: JSON.stringify({ error: `invalid replay request: ${(error as Error).message}` }),
      };
    }
    return { statusCode: 200, body: JSON.stringify(await runReplay(deps, parsed)) };
  };
}
