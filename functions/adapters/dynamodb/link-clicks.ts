import { ConditionalCheckFailedException } from "@aws-sdk/client-dynamodb";
import { type DynamoDBDocumentClient, UpdateCommand, type UpdateCommandInput } from "@aws-sdk/lib-dynamodb";
import { unmarshall } from "@aws-sdk/util-dynamodb";
import { CLICK_WINDOW_MS, type ShortLinks } from "../../core/links.js";
import { indexShard } from "./index-shards.js";

/**
 * A click on a short link, as one DynamoDB request: the link function bundles this module and nothing
 * else of the table's, so its code makes one kind of call (UpdateItem) and its role grants that alone.
 */

/** Attributes of a link item that are bookkeeping, not the link: each client bucket's last counted hit. */
export const HIT_PREFIX = "hit_";

/**
 * The one UpdateItem a click is: it counts the click and returns the target; its condition — the code
 * exists, has not expired, and this client bucket was not counted in the last minute — failing, it writes
 * nothing and returns the item as it was (`ReturnValuesOnConditionCheckFailure: ALL_OLD`, "UpdateItem",
 * DynamoDB API reference). The first click puts the link in gsi1 (`CLICKS#<shard>`), for the report.
 */
export function clickRequest(tableName: string, code: string, client: string, at: Date): UpdateCommandInput {
  const now = at.getTime();
  return {
    TableName: tableName,
    Key: { pk: `LINK#${code}`, sk: "LINK" },
    UpdateExpression:
      "SET #clicks = #clicks + :one, #first = if_not_exists(#first, :at), #last = :at, #hit = :now, " +
      "#gsi1pk = if_not_exists(#gsi1pk, :shard), #gsi1sk = if_not_exists(#gsi1sk, :order)",
    ConditionExpression:
      "attribute_exists(pk) AND #ttl > :seconds AND (attribute_not_exists(#hit) OR #hit <= :cut)",
    ExpressionAttributeNames: {
      "#clicks": "clicks",
      "#first": "firstClickAt",
      "#last": "lastClickAt",
      "#hit": `${HIT_PREFIX}${client}`,
      "#gsi1pk": "gsi1pk",
      "#gsi1sk": "gsi1sk",
      "#ttl": "ttl",
    },
    ExpressionAttributeValues: {
      ":one": 1,
      ":at": at.toISOString(),
      ":now": now,
      ":cut": now - CLICK_WINDOW_MS,
      ":seconds": Math.floor(now / 1000),
      ":shard": `CLICKS#${indexShard(`LINK#${code}`)}`,
      ":order": `${at.toISOString()}#${code}`,
    },
    ReturnValues: "ALL_NEW",
    ReturnValuesOnConditionCheckFailure: "ALL_OLD",
  };
}

/**
 * What a click came to, from the request's answer. The expiry is checked here as well as in the condition:
 * DynamoDB deletes expired items only within days of their TTL, and returns them until then ("Working with
 * expired items", DynamoDB developer guide).
 */
export async function clickOutcome(
  send: () => Promise<{ Attributes?: Record<string, unknown> }>,
  at: Date,
): ReturnType<ShortLinks["followLink"]> {
  try {
    const { Attributes } = await send();
    return { target: String(Attributes?.target), counted: true };
  } catch (error) {
    if (!(error instanceof ConditionalCheckFailedException)) throw error;
    // The item as it was, in DynamoDB's own format: lib-dynamodb converts outputs, not errors.
    const old = error.Item ? unmarshall(error.Item) : undefined;
    if (!old || typeof old.target !== "string" || Number(old.ttl) <= Math.floor(at.getTime() / 1000))
      return undefined;
    return { target: old.target, counted: false };
  }
}

/** Follows short links through a DocumentClient: what the link Lambda runs. */
export class LinkClicks implements Pick<ShortLinks, "followLink"> {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  followLink(code: string, client: string, at: Date): ReturnType<ShortLinks["followLink"]> {
    return clickOutcome(
      () => this.doc.send(new UpdateCommand(clickRequest(this.tableName, code, client, at))),
      at,
    );
  }
}
