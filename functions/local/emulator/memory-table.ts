import { ConditionalCheckFailedException, TransactionCanceledException } from "@aws-sdk/client-dynamodb";
import {
  DeleteCommand,
  GetCommand,
  PutCommand,
  QueryCommand,
  ScanCommand,
  TransactWriteCommand,
  UpdateCommand,
} from "@aws-sdk/lib-dynamodb";
import { type DocumentRequest, type DocumentSender, TABLE_KEYS } from "../../adapters/dynamodb/store.js";
import { withoutStack } from "./without-stack.js";

type Item = Record<string, unknown>;
type Names = Readonly<Record<string, string>> | undefined;
type Values = Readonly<Record<string, unknown>> | undefined;

/**
 * The shopcare table in this process's memory, for `simulate --store memory` and the benchmark: the
 * store's own commands (lib-dynamodb Get, Put, Update, Delete, Query, Scan, TransactWrite) with the
 * DynamoDB semantics the store relies on — conditional writes that throw the SDK's exceptions, all-or-
 * nothing transactions, `if_not_exists`, set `ADD`, `ReturnValues`, partitions and gsi1 / gsi2 sorted by their
 * sort keys. Nothing else: a command, parameter or expression the store does not use is an error, not a
 * guess.
 *
 * A simulation's cost is DynamoDB Local's round trips (a few milliseconds each, one after another on the
 * virtual clock); this answers in microseconds. `tests/integration/memory-table.test.ts` holds it to
 * DynamoDB Local: the same streams give the same decisions on both.
 */
/**
 * The table's global secondary indexes. Items are returned whole from either (gsi2 is keys-only in the
 * stack; the store reads nothing but keys from it).
 */
const INDEXES = [
  { name: TABLE_KEYS.gsi1, partitionKey: TABLE_KEYS.gsi1PartitionKey, sortKey: TABLE_KEYS.gsi1SortKey },
  { name: TABLE_KEYS.gsi2, partitionKey: TABLE_KEYS.gsi2PartitionKey, sortKey: TABLE_KEYS.gsi2SortKey },
] as const;

export class MemoryTable implements DocumentSender {
  readonly documentSender = true;
  private readonly partitions = new Map<string, Map<string, Item>>();
  /** Each index (gsi1, gsi2): its partition key → the items carrying it, by their table key. */
  private readonly indexes = new Map(
    INDEXES.map((index) => [index.name, new Map<string, Map<string, Item>>()]),
  );
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
      const items = this.query(request.input as QueryCommand["input"]);
      const { Limit, IndexName } = request.input as QueryCommand["input"];
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
      return { Items: items.slice(0, Limit), LastEvaluatedKey };
    }
    if (request.kind === "Scan") {
      this.requests.reads += 1;
      const { FilterExpression, ExpressionAttributeNames, ExpressionAttributeValues } =
        request.input as ScanCommand["input"];
      const items = [...this.partitions.values()].flatMap((partition) => [...partition.values()]);
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
    if (old) this.remove(old);
    this.partition(item).set(String(item[TABLE_KEYS.sortKey]), item);
    for (const index of INDEXES) {
      const indexKey = item[index.partitionKey];
      if (indexKey === undefined || item[index.sortKey] === undefined) continue;
      const byPartition = this.indexes.get(index.name) as Map<string, Map<string, Item>>;
      let entries = byPartition.get(String(indexKey));
      if (!entries) {
        entries = new Map();
        byPartition.set(String(indexKey), entries);
      }
      entries.set(tableKey(item), item);
    }
  }

  private remove(item: Item): void {
    this.partitions.get(String(item[TABLE_KEYS.partitionKey]))?.delete(String(item[TABLE_KEYS.sortKey]));
    for (const index of INDEXES)
      this.indexes.get(index.name)?.get(String(item[index.partitionKey]))?.delete(tableKey(item));
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
      case "UPDATED_NEW":
        return { Attributes: pick(item, changed) };
      case "UPDATED_OLD":
        return { Attributes: old ? pick(old, changed) : undefined };
      default:
        throw new Error(`MemoryTable: unsupported ReturnValues ${input.ReturnValues}`);
    }
  }

  private query(input: QueryCommand["input"]): Item[] {
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
    const source = index ? this.indexes.get(index.name)?.get(String(pk)) : this.partitions.get(String(pk));
    let items = [...(source?.values() ?? [])];
    if (below) {
      const high = String(values?.[below]);
      items = items.filter((item) => compareKeys(String(item[sortKey]), high) < 0);
    } else if (sortName) {
      const low = String(values?.[from as string]);
      const high = String(values?.[to as string]);
      items = items.filter((item) => String(item[sortKey]) >= low && String(item[sortKey]) <= high);
    }
    items.sort((a, b) => compareKeys(String(a[sortKey]), String(b[sortKey])));
    // The customer directory's pages: newest first, at most `Limit` (a page the caller resumes by key).
    if (input.ScanIndexForward === false) items.reverse();
    return items;
  }
}

const COMMAND_KINDS = new Map<unknown, DocumentRequest["kind"]>([
  [GetCommand, "Get"],
  [PutCommand, "Put"],
  [UpdateCommand, "Update"],
  [DeleteCommand, "Delete"],
  [QueryCommand, "Query"],
  [ScanCommand, "Scan"],
  [TransactWriteCommand, "TransactWrite"],
]);

const CONDITION_PARAMETERS = ["ConditionExpression", "ExpressionAttributeNames", "ExpressionAttributeValues"];

/**
 * The request parameters this table implements, by request kind. Any other (a `ProjectionExpression`, a
 * real `ExclusiveStartKey`: this table pages only by `Limit` and a key condition) would change DynamoDB's
 * answer, so it is refused rather than ignored.
 */
const IMPLEMENTED_PARAMETERS: Readonly<Record<string, ReadonlySet<string>>> = {
  Get: new Set(["TableName", "Key", "ConsistentRead"]),
  Put: new Set(["TableName", "Item", ...CONDITION_PARAMETERS]),
  Update: new Set(["TableName", "Key", "UpdateExpression", "ReturnValues", ...CONDITION_PARAMETERS]),
  Delete: new Set(["TableName", "Key", ...CONDITION_PARAMETERS]),
  Query: new Set([
    "TableName",
    "IndexName",
    "KeyConditionExpression",
    "ConsistentRead",
    "ScanIndexForward",
    "Limit",
    ...CONDITION_PARAMETERS,
  ]),
  Scan: new Set(["TableName", "FilterExpression", "ExpressionAttributeNames", "ExpressionAttributeValues"]),
  TransactWrite: new Set(["TransactItems"]),
};

/**
 * Refuses a request DynamoDB would answer otherwise: one that sets a parameter this table does not
 * implement, or names a placeholder no expression uses.
 */
function assertSupported(kind: string, input: unknown): void {
  assertImplemented(kind, input);
  // A transaction has no expressions of its own; its entries have.
  if (kind !== "TransactWrite") assertPlaceholdersUsed(input as ExpressionInput);
}

/** Refuses a request that sets a parameter this table does not implement (undefined ones are unset). */
function assertImplemented(kind: string, input: unknown): void {
  const implemented = IMPLEMENTED_PARAMETERS[kind];
  if (!implemented || typeof input !== "object" || input === null) return;
  for (const parameter in input)
    if ((input as Record<string, unknown>)[parameter] !== undefined && !implemented.has(parameter))
      throw new Error(`MemoryTable: ${kind} parameter ${parameter} is not implemented`);
}

function toRequest(command: object): { kind: string; input: unknown } {
  if ("kind" in command && "input" in command) return command as DocumentRequest;
  const kind = COMMAND_KINDS.get(command.constructor);
  return { kind: kind ?? command.constructor.name, input: (command as { input?: unknown }).input };
}

function tableKey(item: Item): string {
  return `${String(item[TABLE_KEYS.partitionKey])}\u0000${String(item[TABLE_KEYS.sortKey])}`;
}

function compareKeys(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * A deep copy of an item's value, so no caller shares an object with the table. Items hold only what
 * lib-dynamodb marshals (strings, numbers, booleans, null, lists, maps, sets), which this copies several
 * times faster than `structuredClone`; anything else is a store bug and throws.
 */
function copy<T>(value: T): T {
  if (typeof value !== "object" || value === null) return value;
  if (Array.isArray(value)) return value.map(copy) as T;
  if (value instanceof Set) return new Set([...value].map(copy)) as T;
  const prototype = Object.getPrototypeOf(value);
  if (prototype !== Object.prototype && prototype !== null)
    throw new Error(`MemoryTable: cannot store a ${prototype?.constructor?.name ?? "non-plain"} object`);
  const copied: Record<string, unknown> = {};
  for (const key in value) copied[key] = copy((value as Record<string, unknown>)[key]);
  return copied as T;
}

function withoutUndefined(item: Item): Item {
  const defined: Item = {};
  for (const key in item) if (item[key] !== undefined) defined[key] = copy(item[key]);
  return defined;
}

function pick(item: Item, attributes: ReadonlySet<string>): Item {
  return Object.fromEntries(Object.entries(item).filter(([name]) => attributes.has(name)));
}

function deepFreeze(value: unknown): void {
  if (typeof value !== "object" || value === null || Object.isFrozen(value)) return;
  Object.freeze(value);
  for (const nested of value instanceof Set ? value : Object.values(value)) deepFreeze(nested);
}

function nameOf(path: string, names: Names): string {
  if (!path.startsWith("#")) return path;
  const name = names?.[path];
  if (name === undefined) throw new Error(`MemoryTable: no ExpressionAttributeNames entry for ${path}`);
  return name;
}

// Expressions: the grammar of DynamoDB condition and update expressions, as far as the store uses it.

type Operand =
  | { readonly kind: "path"; readonly path: string }
  | { readonly kind: "value"; readonly name: string }
  | { readonly kind: "if_not_exists"; readonly path: string; readonly fallback: Operand }
  | { readonly kind: "arithmetic"; readonly op: "+" | "-"; readonly left: Operand; readonly right: Operand };

type Condition =
  | { readonly kind: "and" | "or"; readonly left: Condition; readonly right: Condition }
  | { readonly kind: "not"; readonly inner: Condition }
  | { readonly kind: "exists" | "not_exists"; readonly path: string }
  | { readonly kind: "contains"; readonly path: string; readonly operand: Operand }
  | { readonly kind: "compare"; readonly op: string; readonly left: Operand; readonly right: Operand }
  | { readonly kind: "between"; readonly value: Operand; readonly low: Operand; readonly high: Operand };

type UpdateAction =
  | { readonly kind: "set" | "add"; readonly path: string; readonly value: Operand }
  | { readonly kind: "remove"; readonly path: string };

const TOKEN = /\s*(<=|>=|<>|[=<>(),+-]|[#:]?[A-Za-z_][\w]*)/y;

function tokenize(expression: string): string[] {
  const tokens: string[] = [];
  TOKEN.lastIndex = 0;
  while (TOKEN.lastIndex < expression.length) {
    if (/^\s*$/.test(expression.slice(TOKEN.lastIndex))) break;
    const match = TOKEN.exec(expression);
    if (!match) throw new Error(`MemoryTable: cannot read expression ${expression}`);
    tokens.push(match[1] as string);
  }
  return tokens;
}

class Parser {
  private position = 0;
  constructor(
    private readonly tokens: string[],
    private readonly source: string,
  ) {}

  peek(): string | undefined {
    return this.tokens[this.position];
  }

  keyword(word: string): boolean {
    if (this.peek()?.toUpperCase() !== word) return false;
    this.position += 1;
    return true;
  }

  expect(token: string): void {
    if (this.tokens[this.position] !== token)
      throw new Error(`MemoryTable: expected ${token} in ${this.source}`);
    this.position += 1;
  }

  take(): string {
    const token = this.tokens[this.position];
    if (token === undefined) throw new Error(`MemoryTable: unexpected end of ${this.source}`);
    this.position += 1;
    return token;
  }

  get done(): boolean {
    return this.position >= this.tokens.length;
  }

  condition(): Condition {
    let left = this.conjunction();
    while (this.keyword("OR")) left = { kind: "or", left, right: this.conjunction() };
    return left;
  }

  private conjunction(): Condition {
    let left = this.negation();
    while (this.keyword("AND")) left = { kind: "and", left, right: this.negation() };
    return left;
  }

  private negation(): Condition {
    if (this.keyword("NOT")) return { kind: "not", inner: this.negation() };
    if (this.peek() === "(") {
      this.take();
      const inner = this.condition();
      this.expect(")");
      return inner;
    }
    const word = this.peek();
    if (word === "attribute_exists" || word === "attribute_not_exists") {
      this.take();
      this.expect("(");
      const path = this.take();
      this.expect(")");
      return { kind: word === "attribute_exists" ? "exists" : "not_exists", path };
    }
    if (word === "contains") {
      this.take();
      const { path, operand } = this.pathAndOperand();
      return { kind: "contains", path, operand };
    }
    const left = this.operand();
    if (this.keyword("BETWEEN")) {
      const low = this.operand();
      if (!this.keyword("AND")) throw new Error(`MemoryTable: expected AND in ${this.source}`);
      return { kind: "between", value: left, low, high: this.operand() };
    }
    const op = this.take();
    if (!["=", "<>", "<", "<=", ">", ">="].includes(op))
      throw new Error(`MemoryTable: unsupported comparison ${op} in ${this.source}`);
    return { kind: "compare", op, left, right: this.operand() };
  }

  operand(): Operand {
    let left = this.term();
    while (this.peek() === "+" || this.peek() === "-") {
      const op = this.take() as "+" | "-";
      left = { kind: "arithmetic", op, left, right: this.term() };
    }
    return left;
  }

  /** A function's arguments `(path, operand)`, as `contains` and `if_not_exists` take them. */
  private pathAndOperand(): { path: string; operand: Operand } {
    this.expect("(");
    const path = this.take();
    this.expect(",");
    const operand = this.operand();
    this.expect(")");
    return { path, operand };
  }

  private term(): Operand {
    const token = this.take();
    if (token === "if_not_exists") {
      const { path, operand } = this.pathAndOperand();
      return { kind: "if_not_exists", path, fallback: operand };
    }
    if (token.startsWith(":")) return { kind: "value", name: token };
    return { kind: "path", path: token };
  }

  updateActions(): UpdateAction[] {
    const actions: UpdateAction[] = [];
    while (!this.done) {
      const clause = this.take().toUpperCase();
      if (clause !== "SET" && clause !== "ADD" && clause !== "REMOVE")
        throw new Error(`MemoryTable: unsupported update clause ${clause} in ${this.source}`);
      do {
        const path = this.take();
        if (clause === "REMOVE") {
          actions.push({ kind: "remove", path });
          continue;
        }
        if (clause === "SET") this.expect("=");
        actions.push({ kind: clause === "SET" ? "set" : "add", path, value: this.operand() });
      } while (this.peek() === "," && this.take());
    }
    return actions;
  }
}

/** The expression fields of a request and the placeholders they may name. */
interface ExpressionInput {
  readonly ConditionExpression?: string;
  readonly UpdateExpression?: string;
  readonly KeyConditionExpression?: string;
  readonly FilterExpression?: string;
  readonly ExpressionAttributeNames?: Names;
  readonly ExpressionAttributeValues?: Values;
}

const placeholdersOf = new Map<string, ReadonlySet<string>>();

/** The `#name` and `:value` placeholders an expression uses (cached per expression text). */
function placeholders(expression: string): ReadonlySet<string> {
  let found = placeholdersOf.get(expression);
  if (!found) {
    found = new Set(tokenize(expression).filter((token) => token.startsWith("#") || token.startsWith(":")));
    placeholdersOf.set(expression, found);
  }
  return found;
}

/** DynamoDB refuses a request whose ExpressionAttributeNames or Values name something no expression uses. */
function assertPlaceholdersUsed(input: ExpressionInput | undefined): void {
  if (!input || (!input.ExpressionAttributeNames && !input.ExpressionAttributeValues)) return;
  const expressions = [
    input.ConditionExpression,
    input.UpdateExpression,
    input.KeyConditionExpression,
    input.FilterExpression,
  ].filter((expression): expression is string => expression !== undefined);
  for (const [field, entries] of [
    ["ExpressionAttributeNames", input.ExpressionAttributeNames],
    ["ExpressionAttributeValues", input.ExpressionAttributeValues],
  ] as const) {
    const unused = Object.keys(entries ?? {}).filter(
      (placeholder) => !expressions.some((expression) => placeholders(expression).has(placeholder)),
    );
    if (unused.length > 0)
      throw new Error(`MemoryTable: ${field} unused in expressions: ${unused.join(", ")}`);
  }
}

const parsedConditions = new Map<string, Condition>();
const parsedUpdates = new Map<string, UpdateAction[]>();

/** Parses a condition expression (cached: the store sends the same few again and again). */
function parse(expression: string): Condition {
  let parsed = parsedConditions.get(expression);
  if (!parsed) {
    const parser = new Parser(tokenize(expression), expression);
    parsed = parser.condition();
    if (!parser.done) throw new Error(`MemoryTable: unexpected ${parser.peek()} in ${expression}`);
    parsedConditions.set(expression, parsed);
  }
  return parsed;
}

function parseUpdate(expression: string): UpdateAction[] {
  let parsed = parsedUpdates.get(expression);
  if (!parsed) {
    parsed = new Parser(tokenize(expression), expression).updateActions();
    parsedUpdates.set(expression, parsed);
  }
  return parsed;
}

function evaluateOperand(operand: Operand, item: Item, names: Names, values: Values): unknown {
  switch (operand.kind) {
    case "path":
      return item[nameOf(operand.path, names)];
    case "value": {
      if (!values || !(operand.name in values))
        throw new Error(`MemoryTable: no ExpressionAttributeValues entry for ${operand.name}`);
      return values[operand.name];
    }
    case "if_not_exists":
      return item[nameOf(operand.path, names)] ?? evaluateOperand(operand.fallback, item, names, values);
    case "arithmetic": {
      const left = evaluateOperand(operand.left, item, names, values);
      const right = evaluateOperand(operand.right, item, names, values);
      if (typeof left !== "number" || typeof right !== "number")
        throw new Error("MemoryTable: arithmetic needs two numbers");
      return operand.op === "+" ? left + right : left - right;
    }
    default: {
      const unknown: never = operand;
      throw new Error(`MemoryTable: unknown operand ${JSON.stringify(unknown)}`);
    }
  }
}

/** DynamoDB compares values of the same type only; a comparison across types is false. */
function compare(op: string, left: unknown, right: unknown): boolean {
  if (left === undefined || right === undefined) return false;
  if (op === "=" || op === "<>") {
    const equal = sameValue(left, right);
    return op === "=" ? equal : !equal;
  }
  if (typeof left !== typeof right || (typeof left !== "number" && typeof left !== "string")) return false;
  const a = left as number | string;
  const b = right as number | string;
  switch (op) {
    case "<":
      return a < b;
    case "<=":
      return a <= b;
    case ">":
      return a > b;
    case ">=":
      return a >= b;
    default:
      throw new Error(`MemoryTable: unknown comparison ${op}`);
  }
}

/**
 * DynamoDB's equality: sets by their members in any order, maps by their entries in any order, lists
 * element by element (JSON text would tell `{a, b}` from `{b, a}` and see every Set as `{}`).
 */
function sameValue(left: unknown, right: unknown): boolean {
  if (left === right) return true;
  if (typeof left !== "object" || typeof right !== "object" || left === null || right === null) return false;
  if (left instanceof Set || right instanceof Set) {
    if (!(left instanceof Set && right instanceof Set) || left.size !== right.size) return false;
    // The store's sets hold strings or numbers, which Set.has compares by value.
    for (const member of left) if (!right.has(member)) return false;
    return true;
  }
  if (Array.isArray(left) || Array.isArray(right)) {
    if (!(Array.isArray(left) && Array.isArray(right)) || left.length !== right.length) return false;
    return left.every((element, index) => sameValue(element, right[index]));
  }
  const leftKeys = Object.keys(left);
  if (leftKeys.length !== Object.keys(right).length) return false;
  return leftKeys.every(
    (key) =>
      Object.hasOwn(right, key) &&
      sameValue((left as Record<string, unknown>)[key], (right as Record<string, unknown>)[key]),
  );
}

/** DynamoDB's `contains`: a substring of a string, a member of a set, an element of a list; else false. */
function contains(container: unknown, operand: unknown): boolean {
  if (typeof container === "string") return typeof operand === "string" && container.includes(operand);
  if (container instanceof Set) return container.has(operand);
  if (Array.isArray(container)) return container.some((element) => sameValue(element, operand));
  return false;
}

function evaluate(condition: Condition, item: Item, names: Names, values: Values): boolean {
  switch (condition.kind) {
    case "and":
      return evaluate(condition.left, item, names, values) && evaluate(condition.right, item, names, values);
    case "or":
      return evaluate(condition.left, item, names, values) || evaluate(condition.right, item, names, values);
    case "not":
      return !evaluate(condition.inner, item, names, values);
    case "exists":
      return item[nameOf(condition.path, names)] !== undefined;
    case "not_exists":
      return item[nameOf(condition.path, names)] === undefined;
    case "contains":
      return contains(
        item[nameOf(condition.path, names)],
        evaluateOperand(condition.operand, item, names, values),
      );
    case "compare":
      return compare(
        condition.op,
        evaluateOperand(condition.left, item, names, values),
        evaluateOperand(condition.right, item, names, values),
      );
    case "between": {
      const value = evaluateOperand(condition.value, item, names, values);
      return (
        compare(">=", value, evaluateOperand(condition.low, item, names, values)) &&
        compare("<=", value, evaluateOperand(condition.high, item, names, values))
      );
    }
    default: {
      const unknown: never = condition;
      throw new Error(`MemoryTable: unknown condition ${JSON.stringify(unknown)}`);
    }
  }
}
