import { createHash, randomUUID } from "node:crypto";
import { ConditionalCheckFailedException } from "@aws-sdk/client-dynamodb";
import type { ForgetCounts, HeldData, PersonalData } from "../../core/customers/forget.js";
import { INDEX_SHARDS, indexShard, TABLE_KEYS, type Table } from "./table.js";

type Item = Record<string, unknown>;

/** The tombstone of a forgotten customer, order or number: a hash, never the id itself. */
const tombstoneKey = (kind: string, id: string) => ({
  pk: `FORGOTTEN#${createHash("sha256").update(`${kind}:${id}`).digest("hex")}`,
  sk: "FORGOTTEN",
});

/** Attributes that name or reach a person: dropped from whatever is kept. */
const PERSONAL = new Set([
  "phone",
  "name",
  "birthday",
  "birthdayArmed",
  "birthdayAtMs",
  "province",
  "city",
  "region",
  "timeZone",
  "phoneExpiresAt",
  "payerPhone",
  "trackingNo",
  "carrier",
  "to",
  "text",
  "from",
  "provider",
  "messageId",
  "error",
  "target",
  "consent",
  "optedOutAt",
  "declinedAt",
  "address",
  TABLE_KEYS.gsi3PartitionKey,
  TABLE_KEYS.gsi3SortKey,
]);

/**
 * A customer's personal data over the single table (the layout in `table.ts`): read by their partition,
 * their orders (gsi1), what is filed under them, their orders and their numbers (gsi3, keys only) and the
 * few items keyed by a number or a code — never a Scan.
 */
export class PersonalDataTable implements PersonalData {
  constructor(private readonly table: Table) {}

  async customersOfPhone(phone: string): Promise<string[]> {
    const keys = await this.whose(`PHONE#${phone}`);
    return keys.filter((key) => key.sk === "PROFILE").map((key) => String(key.pk).slice("CUSTOMER#".length));
  }

  async collect(customerId: string, phones: readonly string[]): Promise<HeldData> {
    const items = new Map<string, Item>();
    const keep = (item: Item | undefined) => {
      if (item) items.set(`${item.pk}\u0000${item.sk}`, item);
    };
    for (const item of await this.table.queryAll(`CUSTOMER#${customerId}`)) keep(item);
    const orders = (await this.table.queryAll(`CUSTOMER#${customerId}`, { index: true })).filter(
      (item) => item.sk === "ORDER",
    );
    for (const order of orders) keep(order);
    const profile = items.get(`CUSTOMER#${customerId}\u0000PROFILE`);
    const numbers = [...new Set([...phones, ...(typeof profile?.phone === "string" ? [profile.phone] : [])])];
    const filed = [
      ...(await this.whose(`CUSTOMER#${customerId}`)),
      ...(await Promise.all(orders.map((order) => this.whose(`ORDER#${order.orderId}`)))).flat(),
      ...(await Promise.all(numbers.map((phone) => this.whose(`PHONE#${phone}`)))).flat(),
    ];
    // Another customer's profile filed under a shared number (a family's) is theirs, not this customer's.
    const theirs = (key: Item) => key.sk === "PROFILE" && key.pk !== `CUSTOMER#${customerId}`;
    for (const key of filed)
      if (!items.has(`${key.pk}\u0000${key.sk}`) && !theirs(key)) keep(await this.get(key));
    for (const phone of numbers) {
      for (const item of await this.table.queryAll(`OPTOUT#${phone}`)) keep(item);
      keep(await this.get({ pk: `LASTSEND#${phone}`, sk: "LASTSEND" }));
      keep(await this.get({ pk: `CAPS#PHONE#${phone}`, sk: "CAPS" }));
    }
    keep(await this.get({ pk: `TOUCH#${customerId}`, sk: "TOUCH" }));
    keep(await this.get({ pk: `CAPS#CUSTOMER#${customerId}`, sk: "CAPS" }));
    for (const item of [...items.values()]) {
      if (typeof item.provider === "string" && typeof item.messageId === "string")
        keep(await this.get({ pk: `MESSAGE#${item.provider}#${item.messageId}`, sk: "MESSAGE" }));
      if (typeof item.link === "string") keep(await this.get({ pk: `LINK#${item.link}`, sk: "LINK" }));
      if (item.sk === "ORDER" && typeof item.trackingNo === "string")
        keep(await this.get({ pk: `TRACKING#${item.trackingNo}`, sk: "TRACKING" }));
    }
    return {
      customerId,
      phones: numbers,
      orderIds: orders.map((order) => String(order.orderId)),
      items: [...items.values()].map((item) => ({ kind: kindOf(item), item })),
    };
  }

  async erase(data: HeldData, at: string): Promise<ForgetCounts> {
    const anonymous = `forgotten-${randomUUID()}`;
    const ids = new Map<string, string>([[data.customerId, anonymous]]);
    for (const orderId of data.orderIds) ids.set(orderId, `forgotten-${randomUUID()}`);
    const counts: Record<string, number> = {};
    for (const { kind, item } of data.items) {
      const kept = keptCopy(item, kind, ids);
      if (kept) await this.put(kept);
      if (!kept || kept.pk !== item.pk || kept.sk !== item.sk)
        await this.delete({ pk: String(item.pk), sk: String(item.sk) });
      counts[kind] = (counts[kind] ?? 0) + 1;
    }
    const tombstones = [
      tombstoneKey("customer", data.customerId),
      ...data.orderIds.map((id) => tombstoneKey("order", id)),
      ...data.phones.map((phone) => tombstoneKey("phone", phone)),
    ];
    for (const key of tombstones) await this.put({ ...key, forgottenAt: at });
    return { items: counts, tombstones: tombstones.length, anonymousId: anonymous };
  }

  async forgottenAt(kind: "customer" | "order" | "phone", id: string): Promise<string | undefined> {
    const item = await this.get(tombstoneKey(kind, id));
    return typeof item?.forgottenAt === "string" ? item.forgottenAt : undefined;
  }

  async numbersFiled(limit: number): Promise<string[]> {
    const numbers = new Set<string>();
    let startKey: Record<string, unknown> | undefined;
    // Page by page, stopping once enough numbers are found: a shop's erasure reads the index a page at a time.
    // A Scan takes IndexName to read a secondary index; the filter runs after each page's 1 MB is read
    // ("Scan", Amazon DynamoDB API Reference), so a page may hold no number and still not be the last.
    do {
      const page = await this.table.doc.send(
        this.table.commands.Scan({
          TableName: this.table.tableName,
          IndexName: TABLE_KEYS.gsi3,
          FilterExpression: "begins_with(gsi3pk, :who)",
          ExpressionAttributeValues: { ":who": "WHO#PHONE#" },
          ExclusiveStartKey: startKey,
        }),
      );
      for (const item of page.Items ?? []) {
        if (numbers.size >= limit) break;
        numbers.add(String(item[TABLE_KEYS.gsi3PartitionKey]).slice("WHO#PHONE#".length));
      }
      startKey = page.LastEvaluatedKey;
    } while (startKey && numbers.size < limit);
    return [...numbers];
  }

  async eraseWebhook(id: string): Promise<void> {
    // Only a kept one: an update would otherwise create it (a requeued event names no webhook of its own).
    await this.table
      .update(
        { pk: `WEBHOOK#${id}`, sk: "RAW" },
        { body: { value: "" }, forgotten: { value: true } },
        { condition: "attribute_exists(pk)" },
      )
      .catch((error) => {
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
      });
  }

  async expireMessageTexts(before: Date): Promise<number> {
    // From where the last run stopped: each day reads only the decisions that crossed the line since.
    const mark = { pk: "RETENTION#TEXTS", sk: "RETENTION" };
    const from = String((await this.table.getItem(mark))?.until ?? "0");
    const to = before.toISOString();
    if (from >= to) return 0;
    let expired = 0;
    for (let shard = 0; shard < INDEX_SHARDS; shard += 1) {
      const decisions = await this.table.allPages((startKey) =>
        this.table.doc.send(
          this.table.commands.Query({
            TableName: this.table.tableName,
            IndexName: TABLE_KEYS.gsi1,
            KeyConditionExpression: "gsi1pk = :pk AND gsi1sk BETWEEN :from AND :to",
            ExpressionAttributeValues: { ":pk": `DECISIONS#${shard}`, ":from": from, ":to": to },
            ExclusiveStartKey: startKey,
          }),
        ),
      );
      for (const decision of decisions.filter((item) => typeof item.text === "string")) {
        await this.table.doc.send(
          this.table.commands.Update({
            TableName: this.table.tableName,
            Key: { pk: decision.pk, sk: decision.sk },
            UpdateExpression: "SET #expired = :true REMOVE #text",
            ExpressionAttributeNames: { "#expired": "textExpired", "#text": "text" },
            ExpressionAttributeValues: { ":true": true },
          }),
        );
        expired += 1;
      }
    }
    await this.put({ ...mark, until: to });
    return expired;
  }

  private async whose(subject: string): Promise<Item[]> {
    return this.table.allPages((startKey) =>
      this.table.doc.send(
        this.table.commands.Query({
          TableName: this.table.tableName,
          IndexName: TABLE_KEYS.gsi3,
          KeyConditionExpression: "gsi3pk = :pk",
          ExpressionAttributeValues: { ":pk": `WHO#${subject}` },
          ExclusiveStartKey: startKey,
        }),
      ),
    );
  }

  private get(key: Item): Promise<Item | undefined> {
    return this.table.getItem({ pk: String(key.pk), sk: String(key.sk) });
  }

  private async put(item: Item): Promise<void> {
    await this.table.doc.send(this.table.commands.Put({ TableName: this.table.tableName, Item: item }));
  }

  private async delete(key: { pk: string; sk: string }): Promise<void> {
    await this.table.doc.send(this.table.commands.Delete({ TableName: this.table.tableName, Key: key }));
  }
}

/** Attributes holding keys or references with ids in them: rewritten with the random ids. */
const ID_ATTRIBUTES = new Set([
  "pk",
  "sk",
  "gsi1pk",
  "gsi1sk",
  "customerId",
  "orderId",
  "subjectId",
  "winbackOrderId",
  "rolledUpTo",
]);

/** What an item is, by its key: the counts `forget` prints. */
function kindOf(item: Item): string {
  const pk = String(item.pk);
  const sk = String(item.sk);
  if (pk.startsWith("CUSTOMER#")) {
    if (sk === "PROFILE") return "profile";
    const head = sk.split("#")[0] ?? sk;
    return { EXEC: "execution", CONSENT: "consent" }[head] ?? head.toLowerCase();
  }
  const [head = ""] = pk.split("#");
  const kinds: Record<string, string> = {
    JOURNEY: "decision",
    ORDER: "order",
    WEBHOOK: "webhook",
    REPLY: "reply",
    OPTOUT: "opt-out",
    LASTSEND: "last-send",
    OUTBOX: "outbox",
  };
  return kinds[head] ?? head.toLowerCase();
}

/**
 * What is kept of an item once its person is forgotten — the counts and amounts the reports add up, under
 * the random ids in `ids` — or undefined when nothing is.
 */
function keptCopy(item: Item, kind: string, ids: ReadonlyMap<string, string>): Item | undefined {
  // Every old id in a key or a reference (`<customerId>:<orderId>`, `<paidAt>#<orderId>`) becomes its random
  // one, token by token: an id is never replaced inside another value.
  const swapText = (text: string) =>
    text
      .split(/([#:])/)
      .map((token) => ids.get(token) ?? token)
      .join("");
  const swap = (value: unknown) => (typeof value === "string" ? swapText(value) : value);
  const bare = (): Item => {
    const copy: Item = {};
    for (const [name, value] of Object.entries(item))
      if (!PERSONAL.has(name)) copy[name] = ID_ATTRIBUTES.has(name) ? swap(value) : value;
    return copy;
  };
  switch (kind) {
    case "profile": {
      // Purchases are attributes named after their order: renamed with it. Out of the directory.
      const copy: Item = {};
      for (const [name, value] of Object.entries(bare())) {
        if (name.startsWith("gsi1")) continue;
        const [prefix, orderId] = name.split(":");
        copy[orderId && prefix ? `${prefix}:${swap(orderId)}` : name] = value;
      }
      return { ...copy, firstPaid: undefined };
    }
    case "order":
      return bare();
    case "decision": {
      // Its index shard is a hash of its partition key: the new key, a new shard.
      const copy = bare();
      return copy.gsi1pk ? { ...copy, gsi1pk: `DECISIONS#${indexShard(String(copy.pk))}` } : copy;
    }
    case "reply": {
      // Counted by the report under the message it answered: kept without its number and text.
      const copy = bare();
      const inReplyTo = item.inReplyTo as Item | undefined;
      const id = `forgotten-${randomUUID()}`;
      return {
        ...copy,
        pk: `REPLY#${id}`,
        id,
        ...(inReplyTo
          ? { inReplyTo: { journey: inReplyTo.journey, step: inReplyTo.step, at: inReplyTo.at } }
          : {}),
      };
    }
    case "link":
      // Its clicks count in the report; without a target it answers 404.
      return { ...bare(), subjectId: "forgotten" };
    default:
      return undefined;
  }
}
