import { ConditionalCheckFailedException } from "@aws-sdk/client-dynamodb";
import type { ClickedLink, ShortLink, ShortLinks } from "../../core/links.js";
import { clickOutcome, clickRequest, HIT_PREFIX } from "./link-clicks.js";
import { acrossShards, stripKeys, type Table } from "./table.js";

/**
 * Short links (`LINK#<code>` / `LINK`, TTL at `expiresAt`); a link's first click puts it in gsi1 under
 * `CLICKS#<shard>` / `<first click>#<code>`, so the report reads the clicked links and never the others.
 */
export class LinkTable implements ShortLinks {
  constructor(private readonly table: Table) {}

  async putLink(link: ShortLink): Promise<boolean> {
    try {
      await this.table.doc.send(
        this.table.commands.Put({
          TableName: this.table.tableName,
          Item: {
            pk: `LINK#${link.code}`,
            sk: "LINK",
            ...link,
            clicks: 0,
            ttl: Math.floor(Date.parse(link.expiresAt) / 1000),
          },
          ConditionExpression: "attribute_not_exists(pk)",
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  followLink(code: string, client: string, at: Date): ReturnType<ShortLinks["followLink"]> {
    return clickOutcome(
      () =>
        this.table.doc.send(this.table.commands.Update(clickRequest(this.table.tableName, code, client, at))),
      at,
    );
  }

  async listClickedLinks(): Promise<ClickedLink[]> {
    const items = await acrossShards(
      (shard) => this.table.queryAll(`CLICKS#${shard}`, { index: true }),
      "gsi1sk",
    );
    return items.map((item) => {
      const link = stripKeys<Record<string, unknown>>(item) ?? {};
      for (const key of Object.keys(link)) if (key.startsWith(HIT_PREFIX)) delete link[key];
      return link as unknown as ClickedLink;
    });
  }
}
