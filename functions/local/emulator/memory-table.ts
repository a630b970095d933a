import { ConditionalCheckFailedException, TransactionCanceledException } from "@aws-sdk/client-dynamodb";
import type {
  DeleteCommand,
  GetCommand,
  PutCommand,
  QueryCommand,
  ScanCommand,
  TransactWriteCommand,
  UpdateCommand,
} from "@aws-sdk/lib-dynamodb";
import { type DocumentRequest, type DocumentSender, TABLE_KEYS } from "../../adapters/dynamodb/store.js";
import { assertSupported, toRequest } from "./memory-commands.js";
import {
  evaluate,
  evaluateOperand,
  type Item,
  type Names,
  nameOf,
  parse,
  parseUpdate,
  type Values,
} from "./memory-expressions.js";
import { compareKeys, copy, deepFreeze, pick, SortedKeys, withoutUndefined } from "./memory-items.js";
import { withoutStack } from "./without-stack.js";

/**
 * The shopcare table in this process's memory, for `simulate --store memory` and the benchmark: the
 * store's own commands (lib-dynamodb Get, Put, Update, Delete, Query, Scan, TransactWrite) with the
 * DynamoDB semantics the store relies on — conditional writes that throw the SDK's exceptions, all-or-
 * nothing transactions, `if_not_exists`, set `ADD`, `ReturnValues`, partitions and indexes sorted by their
 * sort keys. Nothing else: a command, parameter or expression the store does not use is an error, not a
 * guess.
 *
 * A simulation's cost is DynamoDB Local's round trips (a few milliseconds each, one after another on the
 * virtual clock); this answers in microseconds. `tests/integration/memory-table.test.ts` holds it to
 * DynamoDB Local: the same streams give the same decisions on both.
 */
/** The table's indexes. Items are returned whole (gsi2, gsi3 are keys-only: the store reads only keys). */
const INDEXES = [
  { name: TABLE_KEYS.gsi1, partitionKey: TABLE_KEYS.gsi1PartitionKey, sortKey: TABLE_KEYS.gsi1SortKey },
  { name: TABLE_KEYS.gsi2, partitionKey: TABLE_KEYS.gsi2PartitionKey, sortKey: TABLE_KEYS.gsi2SortKey },
  { name: TABLE_KEYS.gsi3, partitionKey: TABLE_KEYS.gsi3PartitionKey, sortKey: TABLE_KEYS.gsi3SortKey },
] as const;
type Index = (typeof INDEXES)[number];

export class MemoryTable implements DocumentSender {
  readonly documentSender = true;
  private readonly partitions = new Map<string, Map<string, Item>>();
  /** Each index read so far: its partition key → the items carrying it, by their table key. */
  private readonly indexes = new Map<string, Map<string, Map<string, Item>>>();
  /** Each partition's (and index partition's) keys in order, once read. */
  private readonly sorted = new SortedKeys();
  /** Requests sent, counted as `simulate` counts DynamoDB Local's (one per request). */
  readonly requests = { reads: 0, writes: 0 };

  /** Answers a store's {@link DocumentRequest} or the lib-dynamodb command it stands for. */
  async send(command: object): Promise<unknown> {
    const request = toRequest(command);
    assertSupported(request.kind, request.input);
    if (request.kind === "Get") {
      this.requests.reads += 1;
      const item = this.get((request.input as GetCommand["input"]).Key as Item);
      return { Item: item };
    }
    if (request.kind === "Put") {
      this.requests.writes += 1;
      this.put(request.input as PutCommand["input"]);
      return {};
    }
    if (request.kind === "Update") {
      this.requests.writes += 1;
      return this.update(request.input as UpdateCommand["input"]);
    }
    if (request.kind === "Delete") {
      this.requests.writes += 1;
      const { Key, ConditionExpression, ExpressionAttributeNames, ExpressionAttributeValues } =
        request.input as DeleteCommand["input"];
      const item = this.get(Key as Item);
      this.check(item, ConditionExpression, ExpressionAttributeNames, ExpressionAttributeValues);
      if (item) this.remove(item);
      return {};
    }
    if (request.kind === "Query") {
      this.requests.reads += 1;
      const input = request.input as QueryCommand["input"];
      const { Limit, IndexName } = input;
      const items = this.query(input, Limit);
      // As DynamoDB: a page that reached `Limit` says where it stopped (more may follow, or none).
      if (Limit === undefined || items.length < Limit) return { Items: items };
      const last = items[Limit - 1] as Item;
      // The table's key, and an index query's index key too.
      const index = INDEXES.find((candidate) => candidate.name === IndexName);
      const keys = [
        TABLE_KEYS.partitionKey,
        TABLE_KEYS.sortKey,
        ...(index ? [index.partitionKey, index.sortKey] : []),
      ];
      const LastEvaluatedKey = Object.fromEntries(keys.map((key) => [key, last[key]]));
      return { Items: items, LastEvaluatedKey };
    }
    if (request.kind === "Scan") {
      this.requests.reads += 1;
      const { FilterExpression, ExpressionAttributeNames, ExpressionAttributeValues, IndexName } =
        request.input as ScanCommand["input"];
      // An index holds only the items carrying its keys, as in DynamoDB.
      const scanned = IndexName === undefined ? this.partitions : this.index(IndexName);
      const items = [...scanned.values()].flatMap((partition) => [...partition.values()]);
      return {
        Items: items.filter(
          (item) =>
            !FilterExpression ||
            evaluate(parse(FilterExpression), item, ExpressionAttributeNames, ExpressionAttributeValues),
        ),
      };
    }
    if (request.kind === "TransactWrite") {
      const puts = ((request.input as TransactWriteCommand["input"]).TransactItems ?? []).map((entry) => {
        if (!entry.Put)
          throw new Error(`MemoryTable: only Put in transactions, got ${JSON.stringify(entry)}`);
        assertSupported("Put", entry.Put);
        return entry.Put;
      });
      this.requests.writes += 1;
      const failed = puts.map((put) => {
        try {
          this.check(
            this.get(put.Item as Item),
            put.ConditionExpression,
            put.ExpressionAttributeNames,
            put.ExpressionAttributeValues,
          );
          return false;
        } catch {
          return true;
        }
      });
      if (failed.some(Boolean)) {
        throw withoutStack(
          () =>
            new TransactionCanceledException({
              message: "Transaction cancelled, please refer cancellation reasons for specific reasons",
              $metadata: {},
              CancellationReasons: failed.map((fail) => ({ Code: fail ? "ConditionalCheckFailed" : "None" })),
            }),
        );
      }
      for (const put of puts) this.put({ Item: put.Item });
      return {};
    }
    throw new Error(`MemoryTable: unsupported command ${request.kind}`);
  }

  private partition(key: Item): Map<string, Item> {
    const pk = String(key[TABLE_KEYS.partitionKey]);
    let partition = this.partitions.get(pk);
    if (!partition) {
      partition = new Map();
      this.partitions.set(pk, partition);
    }
    return partition;
  }

  /**
   * Stores an item, replacing the one with its key, and keeps gsi1 in step. The item is the table's own
   * copy and is frozen, so reads hand it out without copying and a caller that changed one would throw.
   */
  private write(item: Item): void {
    deepFreeze(item);
    const old = this.get(item);
    const partition = this.partition(item);
    // A new key takes its place in the partition's order; a replaced item keeps its place.
    partition.set(String(item[TABLE_KEYS.sortKey]), item);
    if (!old) this.sorted.file(partition, String(item[TABLE_KEYS.sortKey]), TABLE_KEYS.sortKey);
    // An index no one has read yet has nothing to keep in step: it is built when first read (`index`).
    for (const index of INDEXES) {
      const byPartition = this.indexes.get(index.name);
      if (byPartition) this.place(index, byPartition, item, old);
    }
  }

  /** Files an item written over `old` (if any) in one index. */
  private place(index: Index, byPartition: Map<string, Map<string, Item>>, item: Item, old?: Item): void {
    const indexKey = item[index.partitionKey];
    const sortValue = item[index.sortKey];
    const oldKey = old?.[index.partitionKey];
    const oldSort = old?.[index.sortKey];
    // Most items are in no index, or stay where they were in it: nothing to move, no order to forget.
    if (indexKey === undefined && oldKey === undefined) return;
    const indexed = indexKey !== undefined && sortValue !== undefined;
    const wasIndexed = oldKey !== undefined && oldSort !== undefined;
    const samePlace = indexed && wasIndexed && oldKey === indexKey && oldSort === sortValue;
    if (wasIndexed && !samePlace) this.unindex(index, old as Item);
    if (!indexed) return;
    let entries = byPartition.get(String(indexKey));
    if (!entries) {
      entries = new Map();
      byPartition.set(String(indexKey), entries);
    }
    const key = tableKey(item);
    entries.set(key, item);
    if (!samePlace) this.sorted.file(entries, key, index.sortKey);
  }

  /** An index's partitions, built from every item when first read and kept in step by each write since. */
  private index(name: string): Map<string, Map<string, Item>> {
    const index = INDEXES.find((candidate) => candidate.name === name);
    if (!index) throw new Error(`MemoryTable: no index ${name}`);
    let byPartition = this.indexes.get(name);
    if (!byPartition) {
      byPartition = new Map();
      this.indexes.set(name, byPartition);
      for (const partition of this.partitions.values())
        for (const item of partition.values()) this.place(index, byPartition, item);
    }
    return byPartition;
  }

  private remove(item: Item): void {
    const partition = this.partitions.get(String(item[TABLE_KEYS.partitionKey]));
    if (partition) this.sorted.unfile(partition, String(item[TABLE_KEYS.sortKey]));
    partition?.delete(String(item[TABLE_KEYS.sortKey]));
    for (const index of INDEXES) this.unindex(index, item);
  }

  private unindex(index: Index, item: Item): void {
    const entries = this.indexes.get(index.name)?.get(String(item[index.partitionKey]));
    if (!entries) return;
    const key = tableKey(item);
    this.sorted.unfile(entries, key);
    entries.delete(key);
  }

  private get(key: Item): Item | undefined {
    return this.partitions.get(String(key[TABLE_KEYS.partitionKey]))?.get(String(key[TABLE_KEYS.sortKey]));
  }

  private check(item: Item | undefined, condition: string | undefined, names: Names, values: Values): void {
    if (condition && !evaluate(parse(condition), item ?? {}, names, values)) {
      // A failed condition is the store's normal path (a claim already taken, a fact older than the one
      // kept), and the store tells it by its type.
      throw withoutStack(
        () =>
          new ConditionalCheckFailedException({ message: "The conditional request failed", $metadata: {} }),
      );
    }
  }

  private put(input: {
    Item?: Item;
    ConditionExpression?: string;
    ExpressionAttributeNames?: Names;
    ExpressionAttributeValues?: Values;
  }): void {
    const item = withoutUndefined(input.Item ?? {});
    this.check(
      this.get(item),
      input.ConditionExpression,
      input.ExpressionAttributeNames,
      input.ExpressionAttributeValues,
    );
    this.write(item);
  }

  private update(input: UpdateCommand["input"]): { Attributes?: Item } {
    const key = input.Key as Item;
    const { ExpressionAttributeNames: names, ExpressionAttributeValues: values } = input;
    const old = this.get(key);
    this.check(old, input.ConditionExpression, names, values);
    // Attributes are replaced, never changed in place, so the new item may share the old one's values.
    const item: Item = old ? { ...old } : copy(key);
    const changed = new Set<string>();
    for (const action of parseUpdate(input.UpdateExpression ?? "")) {
      const attribute = nameOf(action.path, names);
      changed.add(attribute);
      if (action.kind === "remove") {
        delete item[attribute];
        continue;
      }
      const value = evaluateOperand(action.value, item, names, values);
      if (action.kind === "set") {
        if (value === undefined) throw new Error(`MemoryTable: SET ${attribute} to an undefined value`);
        item[attribute] = copy(value);
      } else if (value instanceof Set) {
        const current = item[attribute];
        item[attribute] = new Set([...(current instanceof Set ? current : []), ...value]);
      } else {
        item[attribute] = Number(item[attribute] ?? 0) + Number(value);
      }
    }
    this.write(item);
    switch (input.ReturnValues) {
      case undefined:
      case "NONE":
        return {};
      case "ALL_NEW":
        return { Attributes: item };
      case "ALL_OLD":
        return { Attributes: old };
      case "UPDATED_NEW":
        return { Attributes: pick(item, changed) };
      case "UPDATED_OLD":
        return { Attributes: old ? pick(old, changed) : undefined };
      default:
        throw new Error(`MemoryTable: unsupported ReturnValues ${input.ReturnValues}`);
    }
  }

  private query(input: QueryCommand["input"], limit?: number): Item[] {
    const { ExpressionAttributeNames: names, ExpressionAttributeValues: values } = input;
    const index = INDEXES.find((candidate) => candidate.name === input.IndexName);
    if (input.IndexName !== undefined && !index) throw new Error(`MemoryTable: no index ${input.IndexName}`);
    const match =
      /^\s*(\S+)\s*=\s*(:\w+)\s*(?:AND\s+(\S+)\s+(?:BETWEEN\s+(:\w+)\s+AND\s+(:\w+)|<\s*(:\w+))\s*)?$/i.exec(
        input.KeyConditionExpression ?? "",
      );
    if (!match) throw new Error(`MemoryTable: unsupported key condition ${input.KeyConditionExpression}`);
    const [, partitionName, partitionValue, sortName, from, to, below] = match as unknown as string[];
    const partitionKey = nameOf(partitionName as string, names);
    const sortKey = index ? index.sortKey : TABLE_KEYS.sortKey;
    const pk = values?.[partitionValue as string];
    const expectedKey = index ? index.partitionKey : TABLE_KEYS.partitionKey;
    if (partitionKey !== expectedKey)
      throw new Error(
        `MemoryTable: ${partitionKey} is not the partition key of ${input.IndexName ?? "the table"}`,
      );
    const sortAttribute = sortName === undefined ? undefined : nameOf(sortName, names);
    if (sortAttribute !== undefined && sortAttribute !== sortKey)
      throw new Error(
        `MemoryTable: ${sortAttribute} is not the sort key of ${input.IndexName ?? "the table"}`,
      );
    const source = index ? this.index(index.name).get(String(pk)) : this.partitions.get(String(pk));
    if (!source) return [];
    const keys = this.sorted.of(source, sortKey);
    const valueAt = (position: number) => String(source.get(keys[position] as string)?.[sortKey]);
    // The range's ends by binary search over the sorted keys: [start, end).
    const firstAtLeast = (bound: string, strictlyAbove: boolean) => {
      let low = 0;
      let high = keys.length;
      while (low < high) {
        const middle = (low + high) >>> 1;
        const order = compareKeys(valueAt(middle), bound);
        if (order < 0 || (strictlyAbove && order === 0)) low = middle + 1;
        else high = middle;
      }
      return low;
    };
    let start = 0;
    let end = keys.length;
    if (below) end = firstAtLeast(String(values?.[below]), false);
    else if (sortName) {
      start = firstAtLeast(String(values?.[from as string]), false);
      end = Math.max(start, firstAtLeast(String(values?.[to as string]), true));
    }
    const count = Math.min(end - start, limit ?? Number.POSITIVE_INFINITY);
    const items: Item[] = [];
    // The customer directory's pages: newest first, at most `Limit` (a page the caller resumes by key).
    const forward = input.ScanIndexForward !== false;
    for (let taken = 0; taken < count; taken += 1)
      items.push(source.get(keys[forward ? start + taken : end - 1 - taken] as string) as Item);
    return items;
  }
}

function tableKey(item: Item): string {
  return `${String(item[TABLE_KEYS.partitionKey])}\u0000${String(item[TABLE_KEYS.sortKey])}`;
}
