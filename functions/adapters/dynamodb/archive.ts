import { ConditionalCheckFailedException } from "@aws-sdk/client-dynamodb";
import type {
  ArchivedWebhook,
  DeadLetter,
  LastSend,
  Outbox,
  OutboxEntry,
  Replies,
  StoredReply,
  Touch,
  Touches,
  WebhookArchive,
} from "../../core/shared/ports.js";

import { INDEX_SHARDS } from "./index-shards.js";
import {
  acrossShards,
  indexShard,
  stripKeys,
  TABLE_KEYS,
  type Table,
  WEBHOOK_TTL_SECONDS,
  whoseKeys,
} from "./table.js";

/** Kept webhooks, dead letters, the outbox, touches and replies over the table. */
export class ArchiveTable implements WebhookArchive, Touches, Replies, Outbox {
  constructor(private readonly table: Table) {}

  /**
   * Keeps a raw webhook body for audit and replay (expires after 90 days), unless the same delivery (same
   * id) was kept before.
   * @returns the earlier copy (status `received`: it never finished), or undefined when this call kept it
   */
  async archiveWebhook(webhook: ArchivedWebhook): Promise<ArchivedWebhook | undefined> {
    try {
      await this.table.doc.send(
        this.table.commands.Put({
          TableName: this.table.tableName,
          Item: {
            pk: `WEBHOOK#${webhook.id}`,
            sk: "RAW",
            gsi2pk: `WEBHOOKS#${indexShard(`WEBHOOK#${webhook.id}`)}`,
            gsi2sk: `${webhook.receivedAt}#${webhook.id}`,
            ttl: Math.floor(new Date(webhook.receivedAt).getTime() / 1000) + WEBHOOK_TTL_SECONDS,
            ...(webhook.whose ? whoseKeys(webhook.whose, `WEBHOOK#${webhook.receivedAt}`) : {}),
            ...webhook,
          },
          ConditionExpression: "attribute_not_exists(pk)",
        }),
      );
      return undefined;
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      return (await this.getWebhook(webhook.id)) ?? { ...webhook, status: "received" };
    }
  }
  /** Records how processing a kept webhook ended. */
  async finishWebhook(
    id: string,
    outcome: { status: ArchivedWebhook["status"]; error?: string; events?: number },
  ): Promise<void> {
    await this.table.update(
      { pk: `WEBHOOK#${id}`, sk: "RAW" },
      {
        status: { value: outcome.status },
        ...(outcome.error !== undefined ? { error: { value: outcome.error } } : {}),
        ...(outcome.events !== undefined ? { events: { value: outcome.events } } : {}),
      },
    );
  }
  /** Kept webhooks received in [from, to), oldest first, for replay. */
  async listWebhooks(from: Date, to: Date): Promise<ArchivedWebhook[]> {
    const keys = await acrossShards(
      (shard) =>
        this.table.allPages((startKey) =>
          this.table.doc.send(
            this.table.commands.Query({
              TableName: this.table.tableName,
              IndexName: TABLE_KEYS.gsi2,
              KeyConditionExpression: "gsi2pk = :pk AND gsi2sk BETWEEN :from AND :to",
              ExpressionAttributeValues: {
                ":pk": `WEBHOOKS#${shard}`,
                ":from": from.toISOString(),
                ":to": `${new Date(to.getTime() - 1).toISOString()}~`,
              },
              ExclusiveStartKey: startKey,
            }),
          ),
        ),
      "gsi2sk",
    );
    // The index holds keys only: each kept webhook is read from the table (replay is rare; ingest is not).
    const items: Record<string, unknown>[] = [];
    for (const key of keys) {
      const item = await this.table.getItem({ pk: String(key.pk), sk: String(key.sk) });
      if (item) items.push(item);
    }
    return items.map(
      (item) => ({ ...stripKeys<ArchivedWebhook>(item), status: item.status }) as ArchivedWebhook,
    );
  }
  /**
   * When the newest kept delivery from `source` (`shopify`, `kuaidi100`, `generic`: its id's prefix) arrived,
   * if one did after `since`: each index shard read newest first, a page at a time (`shopcare doctor`).
   */
  async latestWebhookFrom(source: string, since: Date): Promise<string | undefined> {
    let latest = since.toISOString();
    let found = false;
    for (let shard = 0; shard < INDEX_SHARDS; shard += 1) {
      // Newest first, each page below the last key read, until one from `source` or a key older than the
      // newest found so far (at most 20 pages a shard: a doctor's look, not an audit).
      let before = "~";
      for (let page = 0; page < 20; page += 1) {
        const { Items = [] } = await this.table.doc.send(
          this.table.commands.Query({
            TableName: this.table.tableName,
            IndexName: TABLE_KEYS.gsi2,
            KeyConditionExpression: "gsi2pk = :pk AND gsi2sk < :before",
            ExpressionAttributeValues: { ":pk": `WEBHOOKS#${shard}`, ":before": before },
            ScanIndexForward: false,
            Limit: 100,
          }),
        );
        const keys = Items.map((item) => ({ pk: String(item.pk), sk: String(item.gsi2sk) }));
        const fresh = keys.filter((key) => key.sk > latest);
        const hit = fresh.find((key) => key.pk.startsWith(`WEBHOOK#${source}-`));
        if (hit) {
          latest = hit.sk.split("#")[0] as string;
          found = true;
        }
        if (hit || fresh.length < keys.length || keys.length < 100) break;
        before = keys.at(-1)?.sk as string;
      }
    }
    return found ? latest : undefined;
  }
  /** Removes a dead letter once it has been re-driven. */
  async deleteDeadLetter(letter: Pick<DeadLetter, "id" | "at">): Promise<void> {
    await this.table.doc.send(
      this.table.commands.Delete({
        TableName: this.table.tableName,
        Key: { pk: "DEADLETTER", sk: `${letter.at}#${letter.id}` },
      }),
    );
  }
  async getWebhook(id: string): Promise<ArchivedWebhook | undefined> {
    const Item = await this.table.getItem({ pk: `WEBHOOK#${id}`, sk: "RAW" });
    return Item
      ? ({ ...stripKeys<ArchivedWebhook>(Item), status: Item.status } as ArchivedWebhook)
      : undefined;
  }
  /** Appends to the local outbox (the local runtime's stand-in for an SMS provider and the operators' topic). */
  async putOutbox(entry: OutboxEntry): Promise<void> {
    await this.table.doc.send(
      this.table.commands.Put({
        TableName: this.table.tableName,
        Item: {
          pk: "OUTBOX",
          sk: `${entry.at}#${entry.id}`,
          ...(entry.to ? whoseKeys({ kind: "PHONE", id: entry.to }, `OUTBOX#${entry.at}`) : {}),
          ...entry,
        },
      }),
    );
  }
  async listOutbox(): Promise<OutboxEntry[]> {
    return (await this.table.queryAll("OUTBOX")).map((item) => stripKeys<OutboxEntry>(item) as OutboxEntry);
  }
  /** Keeps an event that failed processing, with its error, for an operator to inspect and replay. */
  async putDeadLetter(letter: DeadLetter): Promise<void> {
    await this.table.doc.send(
      this.table.commands.Put({
        TableName: this.table.tableName,
        Item: { pk: "DEADLETTER", sk: `${letter.at}#${letter.id}`, ...letter },
      }),
    );
  }
  async listDeadLetters(): Promise<DeadLetter[]> {
    return (await this.table.queryAll("DEADLETTER")).map((item) => stripKeys<DeadLetter>(item) as DeadLetter);
  }
  /** Remembers a customer's latest message that aims at a purchase, for the conversion metric. */
  async recordTouch(customerId: string, touch: Touch): Promise<void> {
    await this.putLatest({ pk: `TOUCH#${customerId}`, sk: "TOUCH", ...touch }, 30);
  }
  /** Remembers the latest send to a number (90 days), so a reply from it finds what it answers. */
  async recordLastSend(phone: string, send: LastSend): Promise<void> {
    await this.putLatest({ pk: `LASTSEND#${phone}`, sk: "LASTSEND", ...send }, 90);
  }
  /**
   * Puts an item unless the stored one is newer (`atMs`): a retried older send must not replace a newer
   * one. It expires `days` after its time.
   */
  private async putLatest(item: { pk: string; sk: string; at: string; atMs: number }, days: number) {
    await this.table.doc
      .send(
        this.table.commands.Put({
          TableName: this.table.tableName,
          Item: { ...item, ttl: Math.floor(Date.parse(item.at) / 1000) + days * 86_400 },
          ConditionExpression: "attribute_not_exists(pk) OR #atMs < :atMs",
          ExpressionAttributeNames: { "#atMs": "atMs" },
          ExpressionAttributeValues: { ":atMs": item.atMs },
        }),
      )
      .catch((error) => {
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
      });
  }
  async getLastSend(phone: string): Promise<LastSend | undefined> {
    const item = await this.table.getItem({ pk: `LASTSEND#${phone}`, sk: "LASTSEND" });
    if (!item) return undefined;
    const { journey, step, orderId, at, atMs, customerId } = item as unknown as LastSend;
    return { journey, step, orderId, at, atMs, customerId };
  }
  /** Keeps a reply once, by its id. @returns the reply as stored */
  async recordReply(reply: StoredReply): Promise<StoredReply> {
    try {
      await this.table.doc.send(
        this.table.commands.Put({
          TableName: this.table.tableName,
          Item: {
            pk: `REPLY#${reply.id}`,
            sk: "REPLY",
            gsi1pk: "REPLIES",
            gsi1sk: `${reply.at}#${reply.id}`,
            ...whoseKeys({ kind: "PHONE", id: reply.from }, `REPLY#${reply.at}`),
            ...reply,
          },
          ConditionExpression: "attribute_not_exists(pk)",
        }),
      );
      return reply;
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      return stripKeys<StoredReply>(
        await this.table.getItem({ pk: `REPLY#${reply.id}`, sk: "REPLY" }),
      ) as StoredReply;
    }
  }
  async markReplyHandedOff(id: string, at: string): Promise<void> {
    await this.table.update(
      { pk: `REPLY#${id}`, sk: "REPLY" },
      { handedOffAt: { value: at, keepExisting: true } },
    );
  }
  async listReplies(): Promise<StoredReply[]> {
    return (await this.table.queryAll("REPLIES", { index: true })).map(
      (item) => stripKeys<StoredReply>(item) as StoredReply,
    );
  }
  async getTouch(customerId: string): Promise<Touch | undefined> {
    const item = await this.table.getItem({ pk: `TOUCH#${customerId}`, sk: "TOUCH" });
    return item
      ? ({
          journey: item.journey,
          step: item.step,
          orderId: item.orderId,
          at: item.at,
          atMs: item.atMs,
        } as Touch)
      : undefined;
  }
}
