import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { ClickCounts } from "../adapters/dynamodb/click-counts.js";
import { createClicksHandler } from "../handlers/clicks.js";

// Only the count request: the function's code makes the one call its role allows (UpdateItem).
const tableName = process.env.TABLE_NAME;
if (!tableName) throw new Error("missing environment variable TABLE_NAME");

export const handler = createClicksHandler({
  links: new ClickCounts(DynamoDBDocumentClient.from(new DynamoDBClient({})), tableName),
});
