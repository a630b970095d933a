import {
  DeleteCommand,
  DynamoDBDocumentClient,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from "@aws-sdk/lib-dynamodb";
import { describe, expect, it } from "vitest";
import { MemoryTable } from "../../functions/local/emulator/memory-table.js";
import { dynamo, freshTable } from "../support/local.js";

/** A fresh table on DynamoDB Local, made from the synthesized template, beside an empty in-memory table. */
async function tablePair(prefix: string) {
  const tableName = await freshTable(prefix);
  return { tableName, local: DynamoDBDocumentClient.from(dynamo()), memory: new MemoryTable() };
}

describe("the in-memory table's pages (the customer directory's order)", () => {
  it("pages an index partition newest first by Limit and a key below, as DynamoDB Local does", async () => {
    const { tableName, local, memory } = await tablePair("pages");
    const keys = ["2026-06-01#c3", "2026-06-03#c1", "0#c9", "2026-06-02#c2", "2026-06-03#c0"];
    for (const [index, gsi1sk] of keys.entries()) {
      const item = { pk: `CUSTOMER#${index}`, sk: "PROFILE", gsi1pk: "CUSTOMERS#0", gsi1sk };
      await local.send(new PutCommand({ TableName: tableName, Item: item }));
      await memory.send(new PutCommand({ TableName: tableName, Item: item }));
    }
    const page = (below: string | undefined, limit: number) =>
      new QueryCommand({
        TableName: tableName,
        IndexName: "gsi1",
        KeyConditionExpression: below === undefined ? "gsi1pk = :pk" : "gsi1pk = :pk AND gsi1sk < :below",
        ExpressionAttributeValues: {
          ":pk": "CUSTOMERS#0",
          ...(below === undefined ? {} : { ":below": below }),
        },
        ScanIndexForward: false,
        Limit: limit,
      });
    for (const [below, limit] of [
      [undefined, 2],
      ["2026-06-03#c0", 2],
      ["2026-06-02#c2", 5],
      [undefined, 5],
      ["0#c9", 3],
    ] as const) {
      const [onLocal, inMemory] = (await Promise.all([
        local.send(page(below, limit)),
        memory.send(page(below, limit)),
      ])) as {
        Items?: { gsi1sk: string }[];
        LastEvaluatedKey?: unknown;
      }[];
      expect(inMemory?.Items?.map((item) => item.gsi1sk)).toEqual(onLocal?.Items?.map((item) => item.gsi1sk));
      expect(inMemory?.LastEvaluatedKey).toEqual(onLocal?.LastEvaluatedKey);
    }
  });

  it("keeps a partition's order as keys come, go and move between pages, as DynamoDB Local does", async () => {
    const { tableName, local, memory } = await tablePair("order");
    const both = (command: object) =>
      Promise.all([local.send(command as PutCommand), memory.send(command)]) as Promise<
        [{ Items?: Record<string, unknown>[] }, { Items?: Record<string, unknown>[] }]
      >;
    const put = (id: string, gsi1sk: string) =>
      both(
        new PutCommand({
          TableName: tableName,
          Item: { pk: `CUSTOMER#${id}`, sk: "PROFILE", gsi1pk: "CUSTOMERS#0", gsi1sk, name: id },
        }),
      );
    const whole = async () => {
      const [onLocal, inMemory] = await both(
        new QueryCommand({
          TableName: tableName,
          IndexName: "gsi1",
          KeyConditionExpression: "gsi1pk = :pk",
          ExpressionAttributeValues: { ":pk": "CUSTOMERS#0" },
          ScanIndexForward: false,
        }),
      );
      const view = (items: Record<string, unknown>[] = []) => items.map((item) => `${item.pk}=${item.name}`);
      expect(view(inMemory.Items)).toEqual(view(onLocal.Items));
      return view(inMemory.Items);
    };
    for (const id of ["a", "b", "c", "d"]) await put(id, `2026-06-0${id.charCodeAt(0) - 96}#${id}`);
    expect(await whole()).toEqual(["CUSTOMER#d=d", "CUSTOMER#c=c", "CUSTOMER#b=b", "CUSTOMER#a=a"]);

    // A replaced item in its place, one moved to the front, one gone, and new ones.
    await both(
      new UpdateCommand({
        TableName: tableName,
        Key: { pk: "CUSTOMER#b", sk: "PROFILE" },
        UpdateExpression: "SET #name = :name",
        ExpressionAttributeNames: { "#name": "name" },
        ExpressionAttributeValues: { ":name": "b2" },
      }),
    );
    await put("a", "2026-06-09#a");
    await both(new DeleteCommand({ TableName: tableName, Key: { pk: "CUSTOMER#c", sk: "PROFILE" } }));
    await put("e", "2026-06-05#e");
    await put("f", "2026-06-00#f");

    expect(await whole()).toEqual([
      "CUSTOMER#a=a",
      "CUSTOMER#e=e",
      "CUSTOMER#d=d",
      "CUSTOMER#b=b2",
      "CUSTOMER#f=f",
    ]);
  });
});
