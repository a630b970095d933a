import { ConditionalCheckFailedException } from "@aws-sdk/client-dynamodb";
import type { Click, ClickedLink, ShortLink, ShortLinks } from "../../core/engine/links.js";
import { counted, countRequest, HIT_PREFIX } from "./click-counts.js";
import { linkOfItem, linkRequest } from "./link-reads.js";
import { acrossShards, stripKeys, type Table } from "./table.js";

/**
 * Short links (`LINK#<code>` / `LINK`, TTL at `expiresAt`); a link's first counted click puts it in gsi1
 * under `CLICKS#<shard>` / `<first click>#<code>`, so the report reads the clicked links and never the others.
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

  async getLink(code: string, at: Date): Promise<Pick<ShortLink, "target"> | undefined> {
    const { Item } = await this.table.doc.send(
      this.table.commands.Get(linkRequest(this.table.tableName, code)),
    );
    return linkOfItem(Item, at);
  }

  countClick(click: Click): Promise<boolean> {
    return counted(() =>
      this.table.doc.send(this.table.commands.Update(countRequest(this.table.tableName, click))),
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
