import { DynamoDBDocumentClient, QueryCommand } from "@aws-sdk/lib-dynamodb";
import { describe, expect, it } from "vitest";
import { indexShard as indexShardOf, Store } from "../../functions/adapters/dynamodb/store.js";
import { parseShopConfig } from "../../functions/core/config/config.js";
import { dispatchEvent, type JourneyStarter } from "../../functions/core/engine/dispatch.js";
import { VirtualClock } from "../../functions/local/emulator/virtual-clock.js";
import { dynamo, freshTable, orderCreated } from "../support/local.js";

/** A store on a fresh DynamoDB Local table, and the GetItem requests its client sends, as `pk/sk`. */
async function countedStore(prefix: string) {
  const tableName = await freshTable(prefix);
  const client = dynamo();
  const gets: string[] = [];
  client.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName === "GetItemCommand") {
        // lib-dynamodb may not have marshalled the key yet at this step.
        const key = (args.input as { Key: Record<string, string | { S: string }> }).Key;
        const text = (value: string | { S: string } | undefined) =>
          typeof value === "object" ? value.S : value;
        gets.push(`${text(key.pk)}/${text(key.sk)}`);
      }
      return next(args);
    },
    { step: "initialize", name: "countGets" },
  );
  return { store: new Store(client, tableName), gets };
}

describe("the store's read cache (one event's dispatch)", () => {
  it("reads an item once until it writes, and reads what it wrote", async () => {
    const { store, gets } = await countedStore("cache");
    const created = orderCreated("2026-06-18T10:00:00+08:00", { id: "o1", customerId: "c1" });
    if (created.type !== "order.created") throw new Error("expected order.created");
    await store.recordOrderCreated(created.order, created.at);
    const cached = store.withReadCache();

    const first = await cached.getOrder("o1");
    const again = await cached.getOrder("o1");
    await cached.getCustomer("c1");
    await cached.recordOrderFacts("o1", { time: "paidAt", at: "2026-06-18T10:05:00+08:00" });
    const afterWrite = await cached.getOrder("o1");
    await store.getOrder("o1");

    expect([first?.paidAt, again?.paidAt, afterWrite?.paidAt]).toEqual([
      undefined,
      undefined,
      "2026-06-18T10:05:00+08:00",
    ]);
    // Once before the write and once after it; the customer once; the plain store is not cached.
    expect(gets).toEqual(["ORDER#o1/ORDER", "CUSTOMER#c1/PROFILE", "ORDER#o1/ORDER", "ORDER#o1/ORDER"]);
  });

  it("lets a payment's dispatch read its order, customer and opt-out once between writes, not once per journey", async () => {
    const { store, gets } = await countedStore("dispatch");
    const clock = new VirtualClock(new Date("2026-06-18T02:05:00Z"));
    const journeys: JourneyStarter = { start: async () => {}, stop: async () => {} };
    const deps = { config: parseShopConfig({}), store, journeys, clock };
    await dispatchEvent(deps, orderCreated("2026-06-18T10:00:00+08:00", { id: "o2", customerId: "c2" }));
    gets.length = 0;

    await dispatchEvent(deps, { type: "order.paid", at: "2026-06-18T10:05:00+08:00", orderId: "o2" });

    // First the order's tombstone (is it about someone forgotten?), then one read of each per stretch
    // between writes: the reminder's skip (after the payment is recorded), both gifts (after the skip's
    // decision), the win-back (after its cycle is recorded). Without the cache every plan read all three.
    const each = ["ORDER#o2/ORDER", "CUSTOMER#c2/PROFILE", "OPTOUT#+8613800000000/OPTOUT"];
    expect(gets).toEqual([
      expect.stringMatching(/^FORGOTTEN#[0-9a-f]{64}\/FORGOTTEN$/),
      ...each,
      ...each,
      ...each,
    ]);
  });
});

describe("the store's indexes on DynamoDB Local (hot partitions)", () => {
  it("spreads decisions over index partitions and lists them in time order; keeps webhook bodies out of every index", async () => {
    const tableName = await freshTable("shards");
    const client = dynamo();
    const store = new Store(client, tableName);
    for (let index = 0; index < 64; index += 1) {
      const at = new Date(Date.parse("2026-06-18T02:00:00Z") + index * 1000).toISOString();
      await store.recordDecision(
        `o${index}`,
        {
          at,
          journey: "shipped",
          step: "notice",
          orderId: `o${index}`,
          customerId: `c${index}`,
          outcome: "sent",
          template: "shipped.first-time",
        },
        false,
      );
    }
    const doc = DynamoDBDocumentClient.from(client);
    const perShard = await Promise.all(
      Array.from({ length: 16 }, (_, shard) =>
        doc
          .send(
            new QueryCommand({
              TableName: tableName,
              IndexName: "gsi1",
              KeyConditionExpression: "gsi1pk = :pk",
              ExpressionAttributeValues: { ":pk": `DECISIONS#${shard}` },
            }),
          )
          .then((answer) => answer.Count ?? 0),
      ),
    );
    // No index partition takes all the writes: 64 decisions over at least 10 of the 16.
    expect(perShard.reduce((a, b) => a + b, 0)).toBe(64);
    expect(perShard.filter((count) => count > 0).length).toBeGreaterThanOrEqual(10);
    expect(Math.max(...perShard)).toBeLessThanOrEqual(12);
    const listed = await store.listDecisions();
    expect(listed.map((d) => d.orderId)).toEqual(Array.from({ length: 64 }, (_, index) => `o${index}`));

    const body = JSON.stringify({ padding: "x".repeat(200_000) });
    await store.archiveWebhook({
      id: "generic-big",
      source: "generic",
      receivedAt: "2026-06-18T02:00:00.000Z",
      body,
      status: "received",
      events: 1,
    });
    const [indexed] =
      (
        await doc.send(
          new QueryCommand({
            TableName: tableName,
            IndexName: "gsi2",
            KeyConditionExpression: "gsi2pk = :pk",
            ExpressionAttributeValues: { ":pk": `WEBHOOKS#${indexShardOf("WEBHOOK#generic-big")}` },
          }),
        )
      ).Items ?? [];
    // Keys only in the index; the body is read from the table for replay.
    expect(Object.keys(indexed ?? {}).sort()).toEqual(["gsi2pk", "gsi2sk", "pk", "sk"]);
    const [webhook] = await store.listWebhooks(
      new Date("2026-06-18T01:00:00Z"),
      new Date("2026-06-18T03:00:00Z"),
    );
    expect(webhook?.body).toBe(body);
  });
});
