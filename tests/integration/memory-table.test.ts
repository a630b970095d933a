import { ConditionalCheckFailedException } from "@aws-sdk/client-dynamodb";
import {
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  type QueryCommandInput,
  ScanCommand,
  UpdateCommand,
} from "@aws-sdk/lib-dynamodb";
import { describe, expect, it } from "vitest";
import { type DocumentSender, Store } from "../../functions/adapters/dynamodb/store.js";
import { MemoryTable } from "../../functions/local/emulator/memory-table.js";
import { dynamo, freshTable } from "../support/local.js";

/** A fresh table on DynamoDB Local, made from the synthesized template, beside an empty in-memory table. */
async function tablePair(prefix: string) {
  const tableName = await freshTable(prefix);
  return { tableName, local: DynamoDBDocumentClient.from(dynamo()), memory: new MemoryTable() };
}

/**
 * Sends each command in turn and tells which the table accepted. An error `isRefusal` does not recognise
 * is not a refusal but a broken test, and is rethrown.
 */
async function acceptance<C extends object>(
  send: (command: C) => Promise<unknown>,
  commands: Record<string, C>,
  isRefusal: (error: unknown) => boolean = () => true,
): Promise<Record<string, boolean>> {
  const accepted: Record<string, boolean> = {};
  for (const [name, command] of Object.entries(commands))
    accepted[name] = await send(command).then(
      () => true,
      (error: unknown) => {
        if (isRefusal(error)) return false;
        throw error;
      },
    );
  return accepted;
}

/** A condition on attribute `#a` with value `:v`. */
interface ConditionProbe {
  readonly expression: string;
  readonly attribute: string;
  readonly value: unknown;
}

/**
 * Stores `item` in a fresh table on DynamoDB Local and in memory, then puts it again under each condition,
 * and tells which puts each table accepted (a failed condition refuses; any other error breaks the test).
 */
async function conditionsOnBoth(
  prefix: string,
  item: Record<string, unknown>,
  probes: Record<string, ConditionProbe>,
) {
  const { tableName, local, memory } = await tablePair(prefix);
  const puts = Object.fromEntries(
    Object.entries(probes).map(([name, { expression, attribute, value }]) => [
      name,
      new PutCommand({
        TableName: tableName,
        Item: item,
        ConditionExpression: expression,
        ExpressionAttributeNames: { "#a": attribute },
        ExpressionAttributeValues: { ":v": value },
      }),
    ]),
  );
  const failedCondition = (error: unknown) => error instanceof ConditionalCheckFailedException;
  await local.send(new PutCommand({ TableName: tableName, Item: item }));
  await memory.send(new PutCommand({ TableName: tableName, Item: item }));
  return {
    onLocal: await acceptance((command) => local.send(command), puts, failedCondition),
    inMemory: await acceptance((command) => memory.send(command), puts, failedCondition),
  };
}

describe("the in-memory table (simulate --store memory)", () => {
  it("rejects a failed condition with the SDK's exception and leaves the item as it was", async () => {
    const table = new MemoryTable();
    const put = (status: string, condition?: string) =>
      table.send(
        new PutCommand({
          TableName: "t",
          Item: { pk: "A", sk: "1", status },
          ConditionExpression: condition,
        }),
      );
    await put("pending", "attribute_not_exists(pk)");

    await expect(put("final", "attribute_not_exists(pk)")).rejects.toBeInstanceOf(
      ConditionalCheckFailedException,
    );
    const store = new Store(table, "t");
    expect(await store.scanAll()).toEqual([{ pk: "A", sk: "1", status: "pending" }]);
  });

  it("compares sets and maps by their contents in a condition, as DynamoDB Local does", async () => {
    const item = {
      pk: "CUSTOMER#1",
      sk: "PROFILE",
      tags: new Set(["vip", "tea"]),
      address: { city: "杭州", zip: "310000" },
    };
    const probe = (attribute: string, op: string, value: unknown) => ({
      expression: `#a ${op} :v`,
      attribute,
      value,
    });

    const { onLocal, inMemory } = await conditionsOnBoth("sets", item, {
      "the same set in another order": probe("tags", "=", new Set(["tea", "vip"])),
      "another set": probe("tags", "=", new Set(["coffee"])),
      "a subset": probe("tags", "=", new Set(["vip"])),
      "the same map, keys in another order": probe("address", "=", { zip: "310000", city: "杭州" }),
      "another map": probe("address", "=", { city: "上海", zip: "200000" }),
      "not the same set": probe("tags", "<>", new Set(["coffee"])),
    });

    expect(onLocal).toEqual({
      "the same set in another order": true,
      "another set": false,
      "a subset": false,
      "the same map, keys in another order": true,
      "another map": false,
      "not the same set": true,
    });
    expect(inMemory).toEqual(onLocal);
  });

  it("tests contains() on sets, strings, lists and missing attributes, as DynamoDB Local does", async () => {
    const item = {
      pk: "ORDER#1",
      sk: "ORDER",
      refundIds: new Set(["r1", "r2"]),
      note: "gift wrap, please",
      skus: ["tea", "cup"],
    };
    const probe = (expression: string, attribute: string, value: unknown) => ({
      expression,
      attribute,
      value,
    });

    const { onLocal, inMemory } = await conditionsOnBoth("contains", item, {
      "a member of the set": probe("contains(#a, :v)", "refundIds", "r2"),
      "not a member of the set": probe("contains(#a, :v)", "refundIds", "r3"),
      "NOT contains, a member": probe("NOT contains(#a, :v)", "refundIds", "r1"),
      "NOT contains, not a member": probe("NOT contains(#a, :v)", "refundIds", "r3"),
      "NOT contains, a missing attribute": probe("NOT contains(#a, :v)", "missing", "r1"),
      "a substring": probe("contains(#a, :v)", "note", "wrap"),
      "not a substring": probe("contains(#a, :v)", "note", "ribbon"),
      "an element of the list": probe("contains(#a, :v)", "skus", "cup"),
      "not an element of the list": probe("contains(#a, :v)", "skus", "pot"),
    });

    expect(onLocal).toEqual({
      "a member of the set": true,
      "not a member of the set": false,
      "NOT contains, a member": false,
      "NOT contains, not a member": true,
      "NOT contains, a missing attribute": true,
      "a substring": true,
      "not a substring": false,
      "an element of the list": true,
      "not an element of the list": false,
    });
    expect(inMemory).toEqual(onLocal);
  });

  it("refuses a name or value no expression uses, as DynamoDB Local does", async () => {
    const { tableName, local, memory } = await tablePair("unused");
    const requests = {
      "an unused name": new UpdateCommand({
        TableName: tableName,
        Key: { pk: "A", sk: "1" },
        UpdateExpression: "SET #count = :one",
        ExpressionAttributeNames: { "#count": "count", "#spare": "spare" },
        ExpressionAttributeValues: { ":one": 1 },
      }),
      "an unused value": new QueryCommand({
        TableName: tableName,
        KeyConditionExpression: "pk = :pk",
        ExpressionAttributeValues: { ":pk": "A", ":spare": 2 },
      }),
      "every placeholder used": new UpdateCommand({
        TableName: tableName,
        Key: { pk: "A", sk: "1" },
        UpdateExpression: "SET #count = if_not_exists(#count, :zero) + :one",
        ExpressionAttributeNames: { "#count": "count" },
        ExpressionAttributeValues: { ":zero": 0, ":one": 1 },
      }),
    };

    const onLocal = await acceptance((command) => local.send(command as UpdateCommand), requests);
    const inMemory = await acceptance((command) => memory.send(command), requests);

    expect(onLocal).toEqual({
      "an unused name": false,
      "an unused value": false,
      "every placeholder used": true,
    });
    expect(inMemory).toEqual(onLocal);
    await expect(memory.send(requests["an unused name"])).rejects.toThrow(
      "MemoryTable: ExpressionAttributeNames unused in expressions: #spare",
    );
  });

  it("counts with if_not_exists, returns the updated values, and keeps gsi1 sorted by its sort key", async () => {
    const table = new MemoryTable();
    const take = () =>
      table.send(
        new UpdateCommand({
          TableName: "t",
          Key: { pk: "RATE#x", sk: "1" },
          UpdateExpression: "SET #count = if_not_exists(#count, :offset) + :one",
          ConditionExpression: "attribute_not_exists(#count) OR (#count >= :offset AND #count < :limit)",
          ExpressionAttributeNames: { "#count": "count" },
          ExpressionAttributeValues: { ":offset": 3, ":one": 1, ":limit": 5 },
          ReturnValues: "UPDATED_NEW",
        }),
      );
    expect(await take()).toEqual({ Attributes: { count: 4 } });
    expect(await take()).toEqual({ Attributes: { count: 5 } });
    await expect(take()).rejects.toBeInstanceOf(ConditionalCheckFailedException);

    for (const [sk, gsi1sk] of [
      ["b", "2026-06-02"],
      ["a", "2026-06-03"],
      ["c", "2026-06-01"],
    ])
      await table.send(new PutCommand({ TableName: "t", Item: { pk: "O", sk, gsi1pk: "G", gsi1sk } }));
    const { Items } = (await table.send(
      new QueryCommand({
        TableName: "t",
        IndexName: "gsi1",
        KeyConditionExpression: "gsi1pk = :pk AND gsi1sk BETWEEN :from AND :to",
        ExpressionAttributeValues: { ":pk": "G", ":from": "2026-06-01", ":to": "2026-06-02~" },
      }),
    )) as { Items: { sk: string }[] };
    expect(Items.map((item) => item.sk)).toEqual(["c", "b"]);

    // BETWEEN on anything but the index's sort key is a key condition DynamoDB refuses.
    await expect(
      table.send(
        new QueryCommand({
          TableName: "t",
          KeyConditionExpression: "pk = :pk AND gsi1sk BETWEEN :from AND :to",
          ExpressionAttributeValues: { ":pk": "O", ":from": "2026-06-01", ":to": "2026-06-02~" },
        }),
      ),
    ).rejects.toThrow(/gsi1sk is not the sort key of the table/);
  });

  it("scans an index for the items carrying its keys only, filtered, as DynamoDB Local does", async () => {
    // Arrange: items filed under a person (gsi3) and one that is not.
    const { tableName, local, memory } = await tablePair("scan-index");
    const items = [
      { pk: "OPTOUT#+8613900003333", sk: "OPTOUT", gsi3pk: "WHO#PHONE#+8613900003333", gsi3sk: "OPTOUT" },
      { pk: "CUSTOMER#c1", sk: "PROFILE", gsi3pk: "WHO#PHONE#+8613900001111", gsi3sk: "PROFILE#c1" },
      { pk: "WEBHOOK#w1", sk: "RAW", gsi3pk: "WHO#CUSTOMER#c1", gsi3sk: "WEBHOOK#1" },
      { pk: "RATE#outbox", sk: "NEXT" },
    ];
    for (const Item of items) {
      await local.send(new PutCommand({ TableName: tableName, Item }));
      await memory.send(new PutCommand({ TableName: tableName, Item }));
    }
    const scan = new ScanCommand({
      TableName: tableName,
      IndexName: "gsi3",
      FilterExpression: "begins_with(gsi3pk, :who)",
      ExpressionAttributeValues: { ":who": "WHO#PHONE#" },
    });

    // Act
    const pks = async (send: Promise<unknown>) =>
      ((await send) as { Items: { pk: string }[] }).Items.map((item) => item.pk).sort();

    // Assert
    const expected = ["CUSTOMER#c1", "OPTOUT#+8613900003333"];
    expect(await pks(local.send(scan))).toEqual(expected);
    expect(await pks(memory.send(scan))).toEqual(expected);
  });

  it("keeps its own copy of what it stores and hands out items no caller can change", async () => {
    const table = new MemoryTable();
    const item = { pk: "ORDER#1", sk: "ORDER", items: [{ sku: "tea", qty: 1 }] };
    await table.send(new PutCommand({ TableName: "t", Item: item }));
    item.items[0] = { sku: "changed by the caller", qty: 9 };

    const { Item } = (await table.send(
      new GetCommand({ TableName: "t", Key: { pk: "ORDER#1", sk: "ORDER" } }),
    )) as {
      Item: typeof item;
    };

    expect(Item.items).toEqual([{ sku: "tea", qty: 1 }]);
    // DynamoDB hands each reader a fresh object; this table hands out its frozen one, so a store change
    // that wrote to a read item would fail here rather than change the table behind DynamoDB's back.
    expect(() => {
      (Item.items[0] as { qty: number }).qty = 2;
    }).toThrow(TypeError);
  });

  it("REMOVEs attributes with SET in one update, under a condition, as DynamoDB Local does", async () => {
    // Arrange: a profile with two purchases, as the roll-up meets it.
    const { tableName, local, memory } = await tablePair("remove");
    const key = { pk: "CUSTOMER#c1", sk: "PROFILE" };
    const put = new PutCommand({
      TableName: tableName,
      Item: { ...key, "purchase:o1": { amount: 1 }, "refunded:o1": 1, "purchase:o2": { amount: 2 } },
    });
    const roll = new UpdateCommand({
      TableName: tableName,
      Key: key,
      UpdateExpression: "SET #t = :t REMOVE #p, #r",
      ConditionExpression: "attribute_exists(#p) AND attribute_not_exists(#t)",
      ExpressionAttributeNames: { "#t": "rolledUp", "#p": "purchase:o1", "#r": "refunded:o1" },
      ExpressionAttributeValues: { ":t": { orders: 1 } },
    });
    const get = new GetCommand({ TableName: tableName, Key: key, ConsistentRead: true });

    // Act: the roll-up, then the same again (its condition no longer holds).
    const results = [];
    for (const table of [local, memory] as DocumentSender[]) {
      await table.send(put);
      await table.send(roll);
      const again = await table.send(roll).then(
        () => "applied",
        (error: unknown) => (error instanceof ConditionalCheckFailedException ? "refused" : String(error)),
      );
      results.push({ item: ((await table.send(get)) as { Item?: unknown }).Item, again });
    }

    // Assert
    expect(results[1]).toEqual(results[0]);
    expect(results[0]).toEqual({
      item: { ...key, "purchase:o2": { amount: 2 }, rolledUp: { orders: 1 } },
      again: "refused",
    });
  });

  it("refuses what it does not implement instead of guessing", async () => {
    const table = new MemoryTable();

    await expect(
      table.send(
        new UpdateCommand({
          TableName: "t",
          Key: { pk: "A", sk: "1" },
          UpdateExpression: "DELETE #a :v",
          ExpressionAttributeNames: { "#a": "a" },
          ExpressionAttributeValues: { ":v": new Set(["x"]) },
        }),
      ),
    ).rejects.toThrow(/unsupported update clause DELETE/);
    // Parameters that would change DynamoDB's answer are refused, not ignored.
    const query = (parameter: Partial<QueryCommandInput>) =>
      new QueryCommand({
        TableName: "t",
        KeyConditionExpression: "pk = :pk",
        ExpressionAttributeValues: { ":pk": "A" },
        ...parameter,
      });
    const refused: [GetCommand | QueryCommand, string][] = [
      [query({ ExclusiveStartKey: { pk: "A", sk: "1" } }), "Query parameter ExclusiveStartKey"],
      [
        new GetCommand({ TableName: "t", Key: { pk: "A", sk: "1" }, ProjectionExpression: "sk" }),
        "Get parameter ProjectionExpression",
      ],
    ];
    for (const [request, parameter] of refused)
      await expect(table.send(request)).rejects.toThrow(`MemoryTable: ${parameter} is not implemented`);
  });
});
