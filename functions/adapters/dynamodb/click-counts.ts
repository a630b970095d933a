import { ConditionalCheckFailedException } from "@aws-sdk/client-dynamodb";
import { type DynamoDBDocumentClient, UpdateCommand, type UpdateCommandInput } from "@aws-sdk/lib-dynamodb";
import { CLICK_WINDOW_MS, type Click, type ShortLinks } from "../../core/engine/links.js";
import { indexShard } from "./index-shards.js";

/** Attributes of a link item that are bookkeeping, not the link: each client bucket's last counted click. */
export const HIT_PREFIX = "hit_";

/**
 * A click counted as one conditional UpdateItem: the code exists, has not expired, and this client bucket
 * was not counted on it in the last minute — else nothing is written. The first click puts the link in gsi1
 * (`CLICKS#<shard>`), for the report. The clicks function bundles this module alone of the table's: its
 * role grants UpdateItem and nothing else.
 */
export function countRequest(tableName: string, click: Click): UpdateCommandInput {
  const at = Date.parse(click.at);
  return {
    TableName: tableName,
    Key: { pk: `LINK#${click.code}`, sk: "LINK" },
    UpdateExpression:
      "SET #clicks = #clicks + :one, #first = if_not_exists(#first, :at), #last = :at, #hit = :now, " +
      "#gsi1pk = if_not_exists(#gsi1pk, :shard), #gsi1sk = if_not_exists(#gsi1sk, :order)",
    ConditionExpression:
      "attribute_exists(pk) AND #ttl > :seconds AND (attribute_not_exists(#hit) OR #hit <= :cut)",
    ExpressionAttributeNames: {
      "#clicks": "clicks",
      "#first": "firstClickAt",
      "#last": "lastClickAt",
      "#hit": `${HIT_PREFIX}${click.client}`,
      "#gsi1pk": "gsi1pk",
      "#gsi1sk": "gsi1sk",
      "#ttl": "ttl",
    },
    ExpressionAttributeValues: {
      ":one": 1,
      ":at": click.at,
      ":now": at,
      ":cut": at - CLICK_WINDOW_MS,
      ":seconds": Math.floor(at / 1000),
      ":shard": `CLICKS#${indexShard(`LINK#${click.code}`)}`,
      ":order": `${click.at}#${click.code}`,
    },
  };
}

/** Whether the count request counted: a failed condition (a repeat, an unknown code) is not an error. */
export async function counted(send: () => Promise<unknown>): Promise<boolean> {
  try {
    await send();
    return true;
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) return false;
    throw error;
  }
}

/** Counts clicks through a DocumentClient: what the clicks Lambda runs. */
export class ClickCounts implements Pick<ShortLinks, "countClick"> {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  countClick(click: Click): Promise<boolean> {
    return counted(() => this.doc.send(new UpdateCommand(countRequest(this.tableName, click))));
  }
}
