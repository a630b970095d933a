/** An item as the document client holds it. */
export type Item = Record<string, unknown>;
/** `ExpressionAttributeNames`. */
export type Names = Readonly<Record<string, string>> | undefined;
/** `ExpressionAttributeValues`. */
export type Values = Readonly<Record<string, unknown>> | undefined;

/**
 * DynamoDB's expression language as the in-memory table evaluates it: condition, key-condition and update
 * expressions parsed once per text (with their names and placeholders checked as DynamoDB checks them) and
 * evaluated against an item. Held to DynamoDB Local by `tests/integration/memory-table.test.ts`.
 */

export function nameOf(path: string, names: Names): string {
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
  | { readonly kind: "contains" | "begins_with"; readonly path: string; readonly operand: Operand }
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
    if (word === "contains" || word === "begins_with") {
      this.take();
      const { path, operand } = this.pathAndOperand();
      return { kind: word, path, operand };
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
export interface ExpressionInput {
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
export function assertPlaceholdersUsed(input: ExpressionInput | undefined): void {
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
export function parse(expression: string): Condition {
  let parsed = parsedConditions.get(expression);
  if (!parsed) {
    const parser = new Parser(tokenize(expression), expression);
    parsed = parser.condition();
    if (!parser.done) throw new Error(`MemoryTable: unexpected ${parser.peek()} in ${expression}`);
    parsedConditions.set(expression, parsed);
  }
  return parsed;
}

export function parseUpdate(expression: string): UpdateAction[] {
  let parsed = parsedUpdates.get(expression);
  if (!parsed) {
    parsed = new Parser(tokenize(expression), expression).updateActions();
    parsedUpdates.set(expression, parsed);
  }
  return parsed;
}

export function evaluateOperand(operand: Operand, item: Item, names: Names, values: Values): unknown {
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

export function evaluate(condition: Condition, item: Item, names: Names, values: Values): boolean {
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
    case "begins_with": {
      // A string's prefix (binary attributes, which DynamoDB also takes, are not in the table).
      const value = item[nameOf(condition.path, names)];
      const prefix = evaluateOperand(condition.operand, item, names, values);
      return typeof value === "string" && typeof prefix === "string" && value.startsWith(prefix);
    }
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
