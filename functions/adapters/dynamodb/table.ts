import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import {
  DeleteCommand,
  type DeleteCommandInput,
  DynamoDBDocumentClient,
  GetCommand,
  type GetCommandInput,
  PutCommand,
  type PutCommandInput,
  QueryCommand,
  type QueryCommandInput,
  ScanCommand,
  type ScanCommandInput,
  TransactWriteCommand,
  type TransactWriteCommandInput,
  UpdateCommand,
  type UpdateCommandInput,
} from "@aws-sdk/lib-dynamodb";
import type { MessageRef } from "../../core/shared/ports.js";
import { INDEX_SHARDS } from "./index-shards.js";

/**
 * Everything shopcare keeps lives in one DynamoDB table (single-table design):
 *
 * | item | pk | sk |
 * |---|---|---|
 * | order | `ORDER#<orderId>` | `ORDER` (gsi1: `CUSTOMER#<customerId>` / `<createdAt>#<orderId>`) |
 * | customer | `CUSTOMER#<customerId>` | `PROFILE` (gsi1: `CUSTOMERS#<n>` / `<last paid>#<customerId>`, the directory; a `purchase:<orderId>` attribute per paid order) |
 * | campaign control, progress | `CAMPAIGN#<id>` | `CONTROL`, `RUN` |
 * | campaign message held | `CAMPAIGN#<id>#HELD` | `<sendAt>#<customerId>` |
 * | decision / send ledger | `JOURNEY#<journey>#<subjectId>` | `STEP#<step>` (gsi1: `DECISIONS` / `<at>#…`) |
 * | outbox message, handoff | `OUTBOX#<date>` | `<at>#<id>` |
 * | raw webhook | `WEBHOOK#<id>` | `RAW` (TTL; gsi1: `WEBHOOKS` / `<receivedAt>#<id>`) |
 * | checkout | `CHECKOUT#<token>` | `CHECKOUT` (gsi3: `WHO#CUSTOMER#<customerId>`) |
 * | tracking number → order | `TRACKING#<trackingNo>` | `TRACKING` |
 * | dead letter | `DEADLETTER` | `<at>#<id>` |
 * | phone opt-out | `OPTOUT#<phone>` | `OPTOUT` |
 * | marketing frequency cap | `CAPS#CUSTOMER#<id>` or `CAPS#PHONE#<phone>` | `CAPS` (TTL) |
 * | per-second budget (send rate, StartExecution) | `RATE#<budget>` | `<epoch second>` (TTL) |
 * | provider message → ledger entry | `MESSAGE#<provider>#<messageId>` | `MESSAGE` (TTL) |
 * | short link | `LINK#<code>` | `LINK` (TTL; once clicked, gsi1: `CLICKS#<n>` / `<first click>#<code>`) |
 * | tombstone of a forgotten customer, order or number | `FORGOTTEN#<sha-256 of kind:id>` | `FORGOTTEN` |
 */
export const TABLE_KEYS = {
  partitionKey: "pk",
  sortKey: "sk",
  gsi1: "gsi1",
  gsi1PartitionKey: "gsi1pk",
  gsi1SortKey: "gsi1sk",
  /** Kept webhooks by receive time, keys only: their raw bodies (up to 256 KB) are not copied into an index. */
  gsi2: "gsi2",
  gsi2PartitionKey: "gsi2pk",
  gsi2SortKey: "gsi2sk",
  /**
   * Whose personal data an item holds, keys only (`WHO#CUSTOMER#<id>`, `WHO#ORDER#<id>`, `WHO#PHONE#<e164>`):
   * `forget` and `export` find a customer's decisions, kept webhooks, replies and outbox entries by it,
   * without a Scan and without a write of its own.
   */
  gsi3: "gsi3",
  gsi3PartitionKey: "gsi3pk",
  gsi3SortKey: "gsi3sk",
  ttl: "ttl",
} as const;

/** Whose data an item holds: `{ kind: "CUSTOMER", id }` and the like. */
export type DataSubject = { readonly kind: "CUSTOMER" | "ORDER" | "PHONE"; readonly id: string };

/** {@link whoseKeys} as an update's fields. */
export function whoseFields(subject: DataSubject, sortKey: string): Record<string, FieldUpdate> {
  return Object.fromEntries(
    Object.entries(whoseKeys(subject, sortKey)).map(([name, value]) => [name, { value }]),
  );
}

/** The gsi3 keys that file an item under its data subject (`TABLE_KEYS.gsi3`). */
export function whoseKeys(subject: DataSubject, sortKey: string): Record<string, string> {
  return {
    [TABLE_KEYS.gsi3PartitionKey]: `WHO#${subject.kind}#${subject.id}`,
    [TABLE_KEYS.gsi3SortKey]: sortKey,
  };
}

/** Index sort keys compare as DynamoDB compares them: by their UTF-8 bytes, which for these is by code unit. */
export const compareIndexKeys = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * The step a reference names, read from the reference itself (`<journey>:<subject>:<step>`, journeys and
 * steps have no colon): a reference shorter than 64 characters was not cut.
 */
export function refOfReference(reference: string): MessageRef | undefined {
  if (reference.length >= 64) return undefined;
  const parts = reference.split(":");
  if (parts.length < 3) return undefined;
  return {
    journey: parts[0] as MessageRef["journey"],
    subjectId: parts.slice(1, -1).join(":"),
    step: parts.at(-1) as string,
  };
}

/** One query per index partition, merged into the index's own sort order (by `sortKey`). */
export async function acrossShards(
  query: (shard: number) => Promise<Record<string, unknown>[]>,
  sortKey: string,
): Promise<Record<string, unknown>[]> {
  const shards = await Promise.all(Array.from({ length: INDEX_SHARDS }, (_, shard) => query(shard)));
  return shards.flat().sort((a, b) => compareIndexKeys(String(a[sortKey]), String(b[sortKey])));
}

/** The message-ref key of a send known only by its ledger reference. */
export const referenceKey = (reference: string) => `ref:${reference}`;

/** A value to SET; with `keepExisting`, only if the attribute has none yet (the earliest event wins). */
export interface FieldUpdate {
  readonly value: unknown;
  readonly keepExisting?: boolean;
}

export const WEBHOOK_TTL_SECONDS = 90 * 86_400;
export { DAY_MS } from "../../core/shared/time.js";
export const CAP_CONTENTION_ATTEMPTS = 10;

export interface CapItem {
  readonly sends?: { at: string; key: string }[];
  readonly version?: number;
}

const STORAGE_ATTRIBUTES = new Set([
  "pk",
  "sk",
  "gsi1pk",
  "gsi1sk",
  "gsi2pk",
  "gsi2sk",
  "gsi3pk",
  "gsi3sk",
  "ttl",
  "status",
]);

export { INDEX_SHARDS, indexShard } from "./index-shards.js";

export function stripKeys<T>(item: Record<string, unknown> | undefined): T | undefined {
  if (!item) return undefined;
  const rest: Record<string, unknown> = {};
  for (const key in item) {
    // `<fact>AtMs` companions exist only to order facts by event time inside DynamoDB conditions.
    if (STORAGE_ATTRIBUTES.has(key) || key.endsWith("AtMs")) continue;
    rest[key] = item[key];
  }
  return rest as T;
}

/**
 * Something other than DynamoDB that answers the store's lib-dynamodb commands with DynamoDB's semantics:
 * the in-memory table `simulate --store memory` uses (`functions/local/memory-table.ts`). It is sent
 * {@link DocumentRequest}s, not SDK commands: building an SDK command (its middleware stack) cost more
 * than the in-memory table's answer.
 */
export interface DocumentSender {
  readonly documentSender: true;
  send(command: object): Promise<unknown>;
}

/** The lib-dynamodb commands the store sends, by name. */
const SDK_COMMANDS = {
  Get: (input: GetCommandInput) => new GetCommand(input),
  Put: (input: PutCommandInput) => new PutCommand(input),
  Update: (input: UpdateCommandInput) => new UpdateCommand(input),
  Delete: (input: DeleteCommandInput) => new DeleteCommand(input),
  Query: (input: QueryCommandInput) => new QueryCommand(input),
  Scan: (input: ScanCommandInput) => new ScanCommand(input),
  TransactWrite: (input: TransactWriteCommandInput) => new TransactWriteCommand(input),
};
export type Commands = typeof SDK_COMMANDS;

/** A command for a {@link DocumentSender}: its name and its lib-dynamodb input. */
export interface DocumentRequest {
  readonly kind: keyof Commands;
  readonly input: Parameters<Commands[keyof Commands]>[0];
}

/** The same commands as plain requests; typed as the SDK's, whose output shapes the sender answers with. */
const DOCUMENT_REQUESTS = Object.fromEntries(
  Object.keys(SDK_COMMANDS).map((kind) => [kind, (input: unknown) => ({ kind, input })]),
) as unknown as Commands;

/**
 * Answers a GetItem of a key it has answered before from memory, until anything is written through it:
 * see {@link Store.withReadCache}.
 */
export class ReadCachingSender implements DocumentSender {
  readonly documentSender = true;
  private readonly reads = new Map<string, Promise<unknown>>();

  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly commands: Commands,
  ) {}

  send(command: object): Promise<unknown> {
    const { kind, input } = command as DocumentRequest;
    const forward = () =>
      this.doc.send(this.commands[kind](input as never) as Parameters<DynamoDBDocumentClient["send"]>[0]);
    if (kind !== "Get") {
      if (kind !== "Query" && kind !== "Scan") this.reads.clear();
      return forward();
    }
    const key = JSON.stringify((input as GetCommandInput).Key);
    let read = this.reads.get(key);
    if (!read) {
      read = forward();
      this.reads.set(key, read);
      // A failed read is not remembered: the next caller tries again.
      read.catch(() => this.reads.delete(key));
    }
    return read;
  }
}

/** One DynamoDB table and the request helpers every repository over it shares. */
export class Table {
  readonly doc: DynamoDBDocumentClient;
  readonly commands: Commands;

  constructor(
    client: DynamoDBClient | DocumentSender,
    readonly tableName: string,
  ) {
    if ("documentSender" in client) {
      // It answers the same commands with the same output shapes; only the type is the SDK's.
      this.doc = client as unknown as DynamoDBDocumentClient;
      this.commands = DOCUMENT_REQUESTS;
    } else {
      this.doc = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
      this.commands = SDK_COMMANDS;
    }
  }

  /**
   * One UpdateItem that SETs `fields`; every attribute name is aliased (`#name`), since words like
   * `name` and `items` are reserved in DynamoDB expressions.
   */
  async update(
    key: Record<string, string>,
    fields: Record<string, FieldUpdate>,
    options: {
      condition?: string;
      /** Placeholders the condition uses beyond the fields'. */
      conditionNames?: Record<string, string>;
      conditionValues?: Record<string, unknown>;
      returnNew?: boolean;
      /** Return the updated attributes' values from before the update. */
      returnOld?: boolean;
      /** Return the whole item as it was before the update. */
      returnAllOld?: boolean;
    } = {},
  ): Promise<Record<string, unknown> | undefined> {
    const names: Record<string, string> = { ...options.conditionNames };
    const values: Record<string, unknown> = { ...options.conditionValues };
    const sets = Object.entries(fields).map(([field, { value, keepExisting }]) => {
      names[`#${field}`] = field;
      values[`:${field}`] = value;
      return keepExisting ? `#${field} = if_not_exists(#${field}, :${field})` : `#${field} = :${field}`;
    });
    const { Attributes } = await this.doc.send(
      this.commands.Update({
        TableName: this.tableName,
        Key: key,
        UpdateExpression: `SET ${sets.join(", ")}`,
        ConditionExpression: options.condition,
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
        ReturnValues: options.returnNew
          ? "ALL_NEW"
          : options.returnOld
            ? "UPDATED_OLD"
            : options.returnAllOld
              ? "ALL_OLD"
              : undefined,
      }),
    );
    return Attributes;
  }
  async getItem(key: Record<string, string>): Promise<Record<string, unknown> | undefined> {
    const { Item } = await this.doc.send(
      this.commands.Get({ TableName: this.tableName, Key: key, ConsistentRead: true }),
    );
    return Item;
  }
  /** Every item of one partition (of the table, or of gsi1 with `index`), following pagination. */
  async queryAll(partition: string, options: { index?: boolean } = {}): Promise<Record<string, unknown>[]> {
    return this.allPages((startKey) =>
      this.doc.send(
        this.commands.Query({
          TableName: this.tableName,
          ...(options.index
            ? { IndexName: TABLE_KEYS.gsi1, KeyConditionExpression: "gsi1pk = :pk" }
            : { KeyConditionExpression: "pk = :pk", ConsistentRead: true }),
          ExpressionAttributeValues: { ":pk": partition },
          ExclusiveStartKey: startKey,
        }),
      ),
    );
  }
  /** Every item of a paginated Query or Scan: `page` sends one request from a start key. */
  async allPages(
    page: (
      startKey: Record<string, unknown> | undefined,
    ) => Promise<{ Items?: Record<string, unknown>[]; LastEvaluatedKey?: Record<string, unknown> }>,
  ): Promise<Record<string, unknown>[]> {
    const items: Record<string, unknown>[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const result = await page(startKey);
      // One by one: a spread of a page passes each item as an argument, and a page of the in-memory table
      // (one page for the whole table) overflows the call stack past about 120,000 items.
      for (const item of result.Items ?? []) items.push(item);
      startKey = result.LastEvaluatedKey;
    } while (startKey);
    return items;
  }
  /** Scans the whole table; for tests and local inspection only. */
  async scanAll(): Promise<Record<string, unknown>[]> {
    const { Items } = await this.doc.send(this.commands.Scan({ TableName: this.tableName }));
    return Items ?? [];
  }
}
