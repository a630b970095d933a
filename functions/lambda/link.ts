import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { LinkReads } from "../adapters/dynamodb/link-reads.js";
import { systemClock } from "../core/shared/clock.js";
import { createLinkHandler, logClickRecorder } from "../handlers/link.js";

// Only the link read, not `runtime.ts` or the store: a click needs no shop config, a small bundle starts
// fast, and the function's code makes the one call its role allows (GetItem).
const tableName = process.env.TABLE_NAME;
if (!tableName) throw new Error("missing environment variable TABLE_NAME");

export const handler = createLinkHandler({
  links: new LinkReads(DynamoDBDocumentClient.from(new DynamoDBClient({})), tableName),
  clicks: logClickRecorder,
  clock: systemClock,
});
