import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { LinkClicks } from "../adapters/dynamodb/link-clicks.js";
import { systemClock } from "../core/clock.js";
import { createLinkHandler } from "../handlers/link.js";

// Only the click request, not `runtime.ts` or the store: a click needs no shop config, a small bundle
// starts fast, and the function's code makes the one call its role allows (UpdateItem).
const tableName = process.env.TABLE_NAME;
if (!tableName) throw new Error("missing environment variable TABLE_NAME");

export const handler = createLinkHandler({
  links: new LinkClicks(DynamoDBDocumentClient.from(new DynamoDBClient({})), tableName),
  clock: systemClock,
});
