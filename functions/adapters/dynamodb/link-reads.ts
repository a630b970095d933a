import { type DynamoDBDocumentClient, GetCommand, type GetCommandInput } from "@aws-sdk/lib-dynamodb";
import type { ShortLink, ShortLinks } from "../../core/engine/links.js";

/**
 * A code's link as one GetItem: the link function bundles this module and nothing else of the table's, so
 * its code makes one kind of call and its role grants that alone. Eventually consistent (half the price):
 * a link is written before its message leaves, seconds at least before anyone can follow it ("Read
 * consistency", DynamoDB developer guide).
 */
export function linkRequest(tableName: string, code: string): GetCommandInput {
  return { TableName: tableName, Key: { pk: `LINK#${code}`, sk: "LINK" } };
}

/**
 * The link of a read, unless it has expired: DynamoDB deletes expired items only within days of their TTL
 * and returns them until then ("Working with expired items", DynamoDB developer guide).
 */
export function linkOfItem(
  item: Record<string, unknown> | undefined,
  at: Date,
): Pick<ShortLink, "target"> | undefined {
  if (!item || typeof item.target !== "string") return undefined;
  return Number(item.ttl) > Math.floor(at.getTime() / 1000) ? { target: item.target } : undefined;
}

/** Reads links through a DocumentClient: what the link Lambda runs. */
export class LinkReads implements Pick<ShortLinks, "getLink"> {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async getLink(code: string, at: Date): Promise<Pick<ShortLink, "target"> | undefined> {
    const { Item } = await this.doc.send(new GetCommand(linkRequest(this.tableName, code)));
    return linkOfItem(Item, at);
  }
}
