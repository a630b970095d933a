import { ConditionalCheckFailedException, type DynamoDBClient } from "@aws-sdk/client-dynamodb";
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
import { type OrderDetails, refundKey } from "../../core/events.js";
import {
  type CustomerRecord,
  canonicalDecision,
  type DecisionRecord,
  type Delivery,
  type JourneyId,
  type OrderRecord,
} from "../../core/model.js";
import {
  type ArchivedWebhook,
  type CapReservation,
  type DeadLetter,
  type LedgerEntry,
  type MessageRef,
  type OrderFact,
  type OutboxEntry,
  ReceiptTooEarlyError,
  type Repositories,
  type Touch,
} from "../../core/ports.js";

/**
 * Everything shopcare keeps lives in one DynamoDB table (single-table design):
 *
 * | item | pk | sk |
 * |---|---|---|
 * | order | `ORDER#<orderId>` | `ORDER` (gsi1: `CUSTOMER#<customerId>` / `<createdAt>#<orderId>`) |
 * | customer | `CUSTOMER#<customerId>` | `PROFILE` |
 * | decision / send ledger | `JOURNEY#<journey>#<subjectId>` | `STEP#<step>` (gsi1: `DECISIONS` / `<at>#…`) |
 * | outbox message, handoff | `OUTBOX#<date>` | `<at>#<id>` |
 * | raw webhook | `WEBHOOK#<id>` | `RAW` (TTL; gsi1: `WEBHOOKS` / `<receivedAt>#<id>`) |
 * | tracking number → order | `TRACKING#<trackingNo>` | `TRACKING` |
 * | dead letter | `DEADLETTER` | `<at>#<id>` |
 * | phone opt-out | `OPTOUT#<phone>` | `OPTOUT` |
 * | marketing frequency cap | `CAPS#CUSTOMER#<id>` or `CAPS#PHONE#<phone>` | `CAPS` (TTL) |
 * | per-second budget (send rate, StartExecution) | `RATE#<budget>` | `<epoch second>` (TTL) |
 * | provider message → ledger entry | `MESSAGE#<provider>#<messageId>` | `MESSAGE` (TTL) |
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
  ttl: "ttl",
} as const;

/** Index sort keys compare as DynamoDB compares them: by their UTF-8 bytes, which for these is by code unit. */
const compareIndexKeys = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * The step a reference names, read from the reference itself (`<journey>:<subject>:<step>`, journeys and
 * steps have no colon): a reference shorter than 64 characters was not cut.
 */
function refOfReference(reference: string): MessageRef | undefined {
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
async function acrossShards(
  query: (shard: number) => Promise<Record<string, unknown>[]>,
  sortKey: string,
): Promise<Record<string, unknown>[]> {
  const shards = await Promise.all(Array.from({ length: INDEX_SHARDS }, (_, shard) => query(shard)));
  return shards.flat().sort((a, b) => compareIndexKeys(String(a[sortKey]), String(b[sortKey])));
}

/** The message-ref key of a send known only by its ledger reference. */
const referenceKey = (reference: string) => `ref:${reference}`;

/** A value to SET; with `keepExisting`, only if the attribute has none yet (the earliest event wins). */
interface FieldUpdate {
  readonly value: unknown;
  readonly keepExisting?: boolean;
}

const WEBHOOK_TTL_SECONDS = 90 * 86_400;
const DAY_MS = 86_400_000;
const CAP_CONTENTION_ATTEMPTS = 10;

interface CapItem {
  readonly sends?: { at: string; key: string }[];
  readonly version?: number;
}

const STORAGE_ATTRIBUTES = new Set(["pk", "sk", "gsi1pk", "gsi1sk", "gsi2pk", "gsi2sk", "ttl", "status"]);

/**
 * How many index partitions the decisions and the kept webhooks are spread over: one partition takes
 * about 1,000 writes a second, and a promotion hour writes more of either than that.
 */
export const INDEX_SHARDS = 16;

/** The index partition (0 … {@link INDEX_SHARDS} − 1) of an item, from its table key. */
export function indexShard(pk: string): number {
  let hash = 2166136261;
  for (let i = 0; i < pk.length; i += 1) hash = Math.imul(hash ^ pk.charCodeAt(i), 16777619);
  return (hash >>> 0) % INDEX_SHARDS;
}

function stripKeys<T>(item: Record<string, unknown> | undefined): T | undefined {
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
type Commands = typeof SDK_COMMANDS;

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
class ReadCachingSender implements DocumentSender {
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

/** Typed access to the shopcare table. */
/** The repositories over one DynamoDB table (single-table design, above). */
export class Store implements Repositories {
  private readonly doc: DynamoDBDocumentClient;
  private readonly commands: Commands;

  constructor(
    client: DynamoDBClient | DocumentSender,
    private readonly tableName: string,
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
   * This table through a store that reads each item once until it writes anything, for work that reads
   * the same items over and over in a moment: one event's dispatch reads its order, customer and opt-out
   * again for every journey it plans. A write by another Lambda in between is not seen, as if this work
   * had run a moment earlier; a write through this store is.
   */
  withReadCache(): Store {
    return new Store(new ReadCachingSender(this.doc, this.commands), this.tableName);
  }

  /**
   * Records an order's details and its customer's contact details from `order.created`.
   * @returns the order as stored now, with the facts earlier events left on it
   */
  async recordOrderCreated(order: OrderDetails, at: string): Promise<OrderRecord> {
    const { customer, id: orderId, ...details } = order;
    const stored = await this.update(
      { pk: `ORDER#${orderId}`, sk: "ORDER" },
      {
        orderId: { value: orderId },
        customerId: { value: customer.id },
        createdAt: { value: at, keepExisting: true },
        amount: { value: details.amount },
        currency: { value: details.currency },
        paymentMethod: { value: details.paymentMethod },
        gift: { value: details.gift },
        items: { value: details.items },
        gsi1pk: { value: `CUSTOMER#${customer.id}` },
        gsi1sk: { value: `${new Date(at).toISOString()}#${orderId}`, keepExisting: true },
      },
      { returnNew: true },
    );
    await this.recordCustomerContact(
      {
        customerId: customer.id,
        phone: customer.phone,
        name: customer.name,
        phoneExpiresAt: customer.phoneExpiresAt,
      },
      at,
    );
    return stripKeys<OrderRecord>(stored) as OrderRecord;
  }

  /** Updates a customer's contact details unless a later event already did (event time, not arrival time). */
  async recordCustomerContact(
    contact: Omit<CustomerRecord, "declinedAt" | "optedOutAt">,
    at: string,
  ): Promise<void> {
    const fields: Record<string, FieldUpdate> = {
      customerId: { value: contact.customerId },
      contactAt: { value: at },
      // Compared as epoch milliseconds: ISO strings with different offsets do not sort by time.
      contactAtMs: { value: Date.parse(at) },
    };
    for (const field of ["phone", "name", "phoneExpiresAt"] as const) {
      if (contact[field] !== undefined) fields[field] = { value: contact[field] };
    }
    try {
      await this.update({ pk: `CUSTOMER#${contact.customerId}`, sk: "PROFILE" }, fields, {
        condition: "attribute_not_exists(#contactAtMs) OR #contactAtMs <= :contactAtMs",
      });
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }

  /**
   * Sets one event's order facts (one `…At` time and what came with it) unless an earlier event already
   * set them: the earliest event time wins whatever order the webhooks arrive in, and a duplicate changes
   * nothing.
   * @returns the order as stored now (without `createdAt` if its `order.created` has not arrived)
   */
  async recordOrderFacts(orderId: string, facts: OrderFact): Promise<OrderRecord> {
    const timeFields = Object.keys(facts).filter((field) => field.endsWith("At"));
    if (timeFields.length !== 1)
      throw new Error(`order facts need exactly one time, got ${timeFields.join(", ")}`);
    const timeField = timeFields[0] as string;
    const eventMs = Date.parse(String(facts[timeField as keyof OrderFact]));
    const fields: Record<string, FieldUpdate> = {
      orderId: { value: orderId },
      [`${timeField}Ms`]: { value: eventMs },
    };
    for (const [field, value] of Object.entries(facts)) if (value !== undefined) fields[field] = { value };
    try {
      return stripKeys<OrderRecord>(
        await this.update({ pk: `ORDER#${orderId}`, sk: "ORDER" }, fields, {
          condition: `attribute_not_exists(#${timeField}Ms) OR #${timeField}Ms > :${timeField}Ms`,
          returnNew: true,
        }),
      ) as OrderRecord;
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      return (await this.getOrder(orderId)) as OrderRecord;
    }
  }

  /**
   * Adds one refund to its order. `refundedAmount` is the sum of the order's refunds, each counted once:
   * by `refundId`, or by its time and amount when the platform gives no id, so a redelivered webhook adds
   * nothing. `refundedAt` is the earliest refund's time.
   * @returns the order as stored now
   */
  async recordRefund(
    orderId: string,
    refund: { readonly at: string; readonly amount: number; readonly refundId?: string },
  ): Promise<OrderRecord> {
    const refundId = refundKey(refund);
    try {
      // One conditional UpdateItem adds the amount and the id together, so no retry can add one twice.
      await this.doc.send(
        this.commands.Update({
          TableName: this.tableName,
          Key: { pk: `ORDER#${orderId}`, sk: "ORDER" },
          UpdateExpression: "SET #orderId = :orderId ADD #refundedAmount :amount, #refundIds :refundIds",
          ConditionExpression: "NOT contains(#refundIds, :refundId)",
          ExpressionAttributeNames: {
            "#orderId": "orderId",
            "#refundedAmount": "refundedAmount",
            "#refundIds": "refundIds",
          },
          ExpressionAttributeValues: {
            ":orderId": orderId,
            ":amount": refund.amount,
            ":refundIds": new Set([refundId]),
            ":refundId": refundId,
          },
        }),
      );
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
    // Also after a duplicate: a first delivery that failed between the two writes is completed by its retry.
    return this.recordOrderFacts(orderId, { refundedAt: refund.at });
  }

  /** Notes a journey whose event came before the order, to start it when the order arrives. */
  async markAwaitingOrder(orderId: string, journeyStage: string): Promise<void> {
    await this.doc.send(
      this.commands.Update({
        TableName: this.tableName,
        Key: { pk: `ORDER#${orderId}`, sk: "ORDER" },
        UpdateExpression: "SET #orderId = :orderId ADD #awaiting :stage",
        ExpressionAttributeNames: { "#orderId": "orderId", "#awaiting": "awaitingOrder" },
        ExpressionAttributeValues: { ":orderId": orderId, ":stage": new Set([journeyStage]) },
      }),
    );
  }

  /** Marks a customer as declined, opted out or an automatic reviewer at `at`, keeping the earliest time. */
  async recordCustomerFlag(
    customerId: string,
    flag: "declinedAt" | "optedOutAt" | "autoReviewedAt",
    at: string,
  ): Promise<void> {
    await this.update(
      { pk: `CUSTOMER#${customerId}`, sk: "PROFILE" },
      { customerId: { value: customerId }, [flag]: { value: at, keepExisting: true } },
    );
  }

  /**
   * One UpdateItem that SETs `fields`; every attribute name is aliased (`#name`), since words like
   * `name` and `items` are reserved in DynamoDB expressions.
   */
  private async update(
    key: Record<string, string>,
    fields: Record<string, FieldUpdate>,
    options: {
      condition?: string;
      /** Placeholders the condition uses beyond the fields'. */
      conditionNames?: Record<string, string>;
      conditionValues?: Record<string, unknown>;
      returnNew?: boolean;
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
        ReturnValues: options.returnNew ? "ALL_NEW" : undefined,
      }),
    );
    return Attributes;
  }

  async getOrder(orderId: string): Promise<OrderRecord | undefined> {
    return stripKeys<OrderRecord>(await this.getItem({ pk: `ORDER#${orderId}`, sk: "ORDER" }));
  }

  async getCustomer(customerId: string): Promise<CustomerRecord | undefined> {
    return stripKeys<CustomerRecord>(await this.getItem({ pk: `CUSTOMER#${customerId}`, sk: "PROFILE" }));
  }

  private async getItem(key: Record<string, string>): Promise<Record<string, unknown> | undefined> {
    const { Item } = await this.doc.send(
      this.commands.Get({ TableName: this.tableName, Key: key, ConsistentRead: true }),
    );
    return Item;
  }

  /** Every item of one partition (of the table, or of gsi1 with `index`), following pagination. */
  private async queryAll(
    partition: string,
    options: { index?: boolean } = {},
  ): Promise<Record<string, unknown>[]> {
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
  private async allPages(
    page: (
      startKey: Record<string, unknown> | undefined,
    ) => Promise<{ Items?: Record<string, unknown>[]; LastEvaluatedKey?: Record<string, unknown> }>,
  ): Promise<Record<string, unknown>[]> {
    const items: Record<string, unknown>[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const result = await page(startKey);
      items.push(...(result.Items ?? []));
      startKey = result.LastEvaluatedKey;
    } while (startKey);
    return items;
  }

  /** A customer's orders, oldest first. */
  async listCustomerOrders(customerId: string): Promise<OrderRecord[]> {
    const items = await this.queryAll(`CUSTOMER#${customerId}`, { index: true });
    return items.map((item) => stripKeys<OrderRecord>(item) as OrderRecord);
  }

  /** The ledger entries of one journey for one subject (order or customer), by step name. */
  async listLedger(journey: JourneyId, subjectId: string): Promise<Map<string, LedgerEntry>> {
    const ledger = new Map<string, LedgerEntry>();
    for (const item of await this.queryAll(`JOURNEY#${journey}#${subjectId}`)) {
      const step = String(item.sk).slice("STEP#".length);
      ledger.set(step, { status: item.status, ...stripKeys<Record<string, unknown>>(item) } as LedgerEntry);
    }
    return ledger;
  }

  /**
   * Claims a step before its side effect. Exactly one caller wins; every other (a retry, a duplicate
   * execution) gets `false` and must not send.
   */
  async claimStep(journey: JourneyId, subjectId: string, step: string, at: string): Promise<boolean> {
    try {
      await this.doc.send(
        this.commands.Put({
          TableName: this.tableName,
          Item: {
            pk: `JOURNEY#${journey}#${subjectId}`,
            sk: `STEP#${step}`,
            status: "pending",
            claimedAt: at,
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

  /** Frees a claim whose side effect certainly did not happen, so a retry may claim the step again. */
  async releaseClaim(journey: JourneyId, subjectId: string, step: string): Promise<void> {
    try {
      await this.doc.send(
        this.commands.Delete({
          TableName: this.tableName,
          Key: { pk: `JOURNEY#${journey}#${subjectId}`, sk: `STEP#${step}` },
          ConditionExpression: "#status = :pending",
          ExpressionAttributeNames: { "#status": "status" },
          ExpressionAttributeValues: { ":pending": "pending" },
        }),
      );
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }

  /**
   * Writes a step's final decision. With `claimed`, it completes this caller's own claim; without, it
   * succeeds only if nobody decided the step yet. Returns whether this call wrote it.
   */
  async recordDecision(
    subjectId: string,
    decision: DecisionRecord,
    claimed: boolean,
    extra: { readonly provider?: string; readonly messageId?: string; readonly error?: string } = {},
  ): Promise<boolean> {
    try {
      await this.doc.send(
        this.commands.Put({
          TableName: this.tableName,
          Item: {
            pk: `JOURNEY#${decision.journey}#${subjectId}`,
            sk: `STEP#${decision.step}`,
            gsi1pk: `DECISIONS#${indexShard(`JOURNEY#${decision.journey}#${subjectId}`)}`,
            gsi1sk: `${new Date(decision.at).toISOString()}#${decision.journey}#${subjectId}#${decision.step}`,
            status: "final",
            ...decision,
            ...extra,
          },
          ConditionExpression: claimed ? "#status = :pending" : "attribute_not_exists(pk)",
          ...(claimed
            ? {
                ExpressionAttributeNames: { "#status": "status" },
                ExpressionAttributeValues: { ":pending": "pending" },
              }
            : {}),
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  /**
   * Makes `cycle` the customer's current win-back cycle unless a later-paid order already is one (webhooks
   * arrive out of order).
   * @returns `{ started: false }` when a later cycle exists; otherwise the cycle it replaced, if any
   */
  async startWinbackCycle(
    customerId: string,
    cycle: { readonly orderId: string; readonly paidAt: string },
  ): Promise<{ started: boolean; replaced?: { orderId: string; paidAt: string } }> {
    try {
      const { Attributes } = await this.doc.send(
        this.commands.Update({
          TableName: this.tableName,
          Key: { pk: `CUSTOMER#${customerId}`, sk: "PROFILE" },
          UpdateExpression: "SET #customerId = :customerId, #orderId = :orderId, #paidAt = :paidAt",
          ConditionExpression: "attribute_not_exists(#paidAt) OR #paidAt < :paidAt",
          ExpressionAttributeNames: {
            "#customerId": "customerId",
            "#orderId": "winbackOrderId",
            "#paidAt": "winbackPaidAt",
          },
          ExpressionAttributeValues: {
            ":customerId": customerId,
            ":orderId": cycle.orderId,
            ":paidAt": new Date(cycle.paidAt).toISOString(),
          },
          ReturnValues: "UPDATED_OLD",
        }),
      );
      const replaced =
        Attributes?.winbackOrderId !== undefined
          ? { orderId: String(Attributes.winbackOrderId), paidAt: String(Attributes.winbackPaidAt) }
          : undefined;
      return { started: true, replaced };
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return { started: false };
      throw error;
    }
  }

  /** Files a provider message id so its delivery receipt finds the step (kept 30 days). */
  /**
   * Keeps where a sent message's receipts go: under the provider's message id, or, for a send whose outcome
   * is unknown (`messageId` undefined), under the ledger reference the provider echoes in receipts.
   */
  async putMessageRef(
    provider: string,
    sent: { readonly messageId?: string; readonly reference: string },
    ref: MessageRef,
    at: Date,
  ): Promise<void> {
    const messageId = sent.messageId ?? referenceKey(sent.reference);
    await this.doc.send(
      this.commands.Put({
        TableName: this.tableName,
        Item: {
          pk: `MESSAGE#${provider}#${messageId}`,
          sk: "MESSAGE",
          ttl: Math.floor(at.getTime() / 1000) + 30 * 86_400,
          ...ref,
        },
      }),
    );
  }

  /**
   * Records a delivery receipt on the decision of the step that sent the message, found by the provider's
   * message id, else by the ledger reference the provider echoed (a send that timed out has no id).
   * @returns false when neither is known (not ours, or older than 30 days)
   */
  async recordDelivery(
    receipt: { readonly provider: string; readonly messageId: string; readonly reference?: string },
    delivery: Delivery,
    at: string,
  ): Promise<boolean> {
    const lookup = (id: string) =>
      this.getItem({ pk: `MESSAGE#${receipt.provider}#${id}`, sk: "MESSAGE" }).then((item) =>
        stripKeys<MessageRef>(item),
      );
    const ref =
      (await lookup(receipt.messageId)) ??
      (receipt.reference
        ? ((await lookup(referenceKey(receipt.reference))) ?? refOfReference(receipt.reference))
        : undefined);
    if (!ref) return false;
    const key = { pk: `JOURNEY#${ref.journey}#${ref.subjectId}`, sk: `STEP#${ref.step}` };
    try {
      // Only on the decision: on a claim still in flight, the decision's own write would replace it.
      await this.update(
        key,
        { delivery: { value: delivery }, deliveryAt: { value: at } },
        {
          condition: "attribute_exists(pk) AND #status = :final",
          conditionNames: { "#status": "status" },
          conditionValues: { ":final": "final" },
        },
      );
      return true;
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
    const entry = await this.getItem(key);
    if (entry?.status === "pending")
      throw new ReceiptTooEarlyError(`${ref.journey}:${ref.subjectId}:${ref.step}`);
    return false;
  }

  /** Opts a phone number out of marketing from `at` (the earliest opt-out is kept). */
  async recordPhoneOptOut(phone: string, at: string, source: string): Promise<void> {
    await this.update(
      { pk: `OPTOUT#${phone}`, sk: "OPTOUT" },
      {
        phone: { value: phone },
        optedOutAt: { value: at, keepExisting: true },
        source: { value: source, keepExisting: true },
      },
    );
  }

  /** When a phone number opted out of marketing, if it did. */
  async getPhoneOptOut(phone: string): Promise<string | undefined> {
    const item = await this.getItem({ pk: `OPTOUT#${phone}`, sk: "OPTOUT" });
    return item?.optedOutAt as string | undefined;
  }

  /**
   * Counts one marketing send against the frequency caps of the customer and of the phone number,
   * atomically (optimistic locking in one transaction), so two journeys deciding at the same moment
   * cannot both pass a cap of 1. Reserving the same `key` again returns true without counting twice.
   * @returns whether the send fits under both caps
   */
  async reserveMarketingSend(reservation: CapReservation): Promise<boolean> {
    const keys = [`CAPS#CUSTOMER#${reservation.customerId}`];
    if (reservation.phone) keys.push(`CAPS#PHONE#${reservation.phone}`);
    const now = reservation.at.getTime();
    for (let attempt = 0; attempt < CAP_CONTENTION_ATTEMPTS; attempt += 1) {
      const items = await Promise.all(
        keys.map(async (pk) => ((await this.getItem({ pk, sk: "CAPS" })) ?? {}) as CapItem),
      );
      if (items.some((item) => item.sends?.some((send) => send.key === reservation.key))) return true;
      const recent = items.map((item) =>
        (item.sends ?? []).filter((send) => Date.parse(send.at) > now - 7 * DAY_MS),
      );
      const overCap = recent.some(
        (sends) =>
          sends.length >= reservation.perWeek ||
          sends.filter((send) => Date.parse(send.at) > now - DAY_MS).length >= reservation.perDay,
      );
      if (overCap) return false;
      const send = { at: reservation.at.toISOString(), key: reservation.key };
      try {
        await this.doc.send(
          this.commands.TransactWrite({
            TransactItems: keys.map((pk, index) => {
              const version = items[index]?.version;
              return {
                Put: {
                  TableName: this.tableName,
                  Item: {
                    pk,
                    sk: "CAPS",
                    sends: [...(recent[index] ?? []), send],
                    version: (version ?? 0) + 1,
                    ttl: Math.floor(now / 1000) + 8 * 86_400,
                  },
                  ConditionExpression:
                    version === undefined ? "attribute_not_exists(pk)" : "#version = :version",
                  ...(version === undefined
                    ? {}
                    : {
                        ExpressionAttributeNames: { "#version": "version" },
                        ExpressionAttributeValues: { ":version": version },
                      }),
                },
              };
            }),
          }),
        );
        return true;
      } catch (error) {
        // Another send changed a cap item between our read and write: read again and re-decide.
        if ((error as Error).name !== "TransactionCanceledException") throw error;
      }
    }
    throw new Error(`frequency cap for customer ${reservation.customerId} stayed contended`);
  }

  /**
   * Takes a ticket from a per-second budget shared by every Lambda (a provider's send rate, the
   * StartExecution quota): one conditional write per caller, however many wait. Tickets of a second are
   * numbered from the caller's current slot on, so the counter never trails the clock.
   * @param offset the caller's slot within the second (0 … limit − 1)
   * @returns the ticket (1 … limit: send in slot ticket − 1), `full` when the second is used up, or
   *   `retry` when another caller just moved the counter
   */
  async takeRateTicket(
    budget: string,
    second: number,
    offset: number,
    limit: number,
  ): Promise<number | "full" | "retry"> {
    const key = { pk: `RATE#${budget}`, sk: String(second) };
    const names = { "#count": "count", "#ttl": "ttl" };
    const ttl = second + 300;
    try {
      const { Attributes } = await this.doc.send(
        this.commands.Update({
          TableName: this.tableName,
          Key: key,
          UpdateExpression: "SET #count = if_not_exists(#count, :offset) + :one, #ttl = :ttl",
          ConditionExpression: "attribute_not_exists(#count) OR (#count >= :offset AND #count < :limit)",
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: { ":offset": offset, ":one": 1, ":limit": limit, ":ttl": ttl },
          ReturnValues: "UPDATED_NEW",
        }),
      );
      return Number(Attributes?.count);
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
    // Full, or the counter trails the clock (nobody took a ticket for a while): move it to now.
    try {
      await this.doc.send(
        this.commands.Update({
          TableName: this.tableName,
          Key: key,
          UpdateExpression: "SET #count = :next, #ttl = :ttl",
          ConditionExpression: "#count < :offset",
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: { ":offset": offset, ":next": offset + 1, ":ttl": ttl },
        }),
      );
      return offset + 1;
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
    const current = Number((await this.getItem(key))?.count ?? 0);
    return current >= limit ? "full" : "retry";
  }

  /**
   * Reserves the next free send slot of a budget, `slotMs` long, at `now` or after the last one reserved.
   * @returns the slot's start (ms since the epoch)
   */
  async reserveRateSlot(budget: string, now: number, slotMs: number): Promise<number> {
    const key = { pk: `RATE#${budget}`, sk: "NEXT" };
    const names = { "#next": "next", "#ttl": "ttl" };
    const ttl = Math.floor(now / 1000) + 86_400;
    try {
      // Nobody holds a later slot: this one starts now.
      await this.doc.send(
        this.commands.Update({
          TableName: this.tableName,
          Key: key,
          UpdateExpression: "SET #next = :after, #ttl = :ttl",
          ConditionExpression: "attribute_not_exists(#next) OR #next <= :now",
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: { ":now": now, ":after": now + slotMs, ":ttl": ttl },
        }),
      );
      return now;
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
    const { Attributes } = await this.doc.send(
      this.commands.Update({
        TableName: this.tableName,
        Key: key,
        UpdateExpression: "SET #next = #next + :slot, #ttl = :ttl",
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: { ":slot": slotMs, ":ttl": ttl },
        ReturnValues: "UPDATED_NEW",
      }),
    );
    return Number(Attributes?.next) - slotMs;
  }

  /** All decisions, oldest first (the audit trail behind `simulate` and reports). */
  async listDecisions(): Promise<DecisionRecord[]> {
    const items = await acrossShards(
      (shard) => this.queryAll(`DECISIONS#${shard}`, { index: true }),
      "gsi1sk",
    );
    return items.map(canonicalDecision);
  }

  /**
   * Keeps a raw webhook body for audit and replay (expires after 90 days), unless the same delivery (same
   * id) was kept before.
   * @returns the earlier copy (status `received`: it never finished), or undefined when this call kept it
   */
  async archiveWebhook(webhook: ArchivedWebhook): Promise<ArchivedWebhook | undefined> {
    try {
      await this.doc.send(
        this.commands.Put({
          TableName: this.tableName,
          Item: {
            pk: `WEBHOOK#${webhook.id}`,
            sk: "RAW",
            gsi2pk: `WEBHOOKS#${indexShard(`WEBHOOK#${webhook.id}`)}`,
            gsi2sk: `${webhook.receivedAt}#${webhook.id}`,
            ttl: Math.floor(new Date(webhook.receivedAt).getTime() / 1000) + WEBHOOK_TTL_SECONDS,
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
    await this.update(
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
        this.allPages((startKey) =>
          this.doc.send(
            this.commands.Query({
              TableName: this.tableName,
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
      const item = await this.getItem({ pk: String(key.pk), sk: String(key.sk) });
      if (item) items.push(item);
    }
    return items.map(
      (item) => ({ ...stripKeys<ArchivedWebhook>(item), status: item.status }) as ArchivedWebhook,
    );
  }

  /** Remembers which order ships under a tracking number (parcel tracking pushes know only the number). */
  async indexTracking(trackingNo: string, orderId: string): Promise<void> {
    await this.doc.send(
      this.commands.Put({
        TableName: this.tableName,
        Item: { pk: `TRACKING#${trackingNo}`, sk: "TRACKING", orderId },
      }),
    );
  }

  /** The order shipped under a tracking number, if shopcare has seen its `order.shipped`. */
  async findOrderByTracking(trackingNo: string): Promise<string | undefined> {
    const item = await this.getItem({ pk: `TRACKING#${trackingNo}`, sk: "TRACKING" });
    return item?.orderId as string | undefined;
  }

  /** Removes a dead letter once it has been re-driven. */
  async deleteDeadLetter(letter: Pick<DeadLetter, "id" | "at">): Promise<void> {
    await this.doc.send(
      this.commands.Delete({
        TableName: this.tableName,
        Key: { pk: "DEADLETTER", sk: `${letter.at}#${letter.id}` },
      }),
    );
  }

  async getWebhook(id: string): Promise<ArchivedWebhook | undefined> {
    const Item = await this.getItem({ pk: `WEBHOOK#${id}`, sk: "RAW" });
    return Item
      ? ({ ...stripKeys<ArchivedWebhook>(Item), status: Item.status } as ArchivedWebhook)
      : undefined;
  }

  /** Appends to the local outbox (the local runtime's stand-in for an SMS provider and the operators' topic). */
  async putOutbox(entry: OutboxEntry): Promise<void> {
    await this.doc.send(
      this.commands.Put({
        TableName: this.tableName,
        Item: { pk: "OUTBOX", sk: `${entry.at}#${entry.id}`, ...entry },
      }),
    );
  }

  async listOutbox(): Promise<OutboxEntry[]> {
    return (await this.queryAll("OUTBOX")).map((item) => stripKeys<OutboxEntry>(item) as OutboxEntry);
  }

  /** Keeps an event that failed processing, with its error, for an operator to inspect and replay. */
  async putDeadLetter(letter: DeadLetter): Promise<void> {
    await this.doc.send(
      this.commands.Put({
        TableName: this.tableName,
        Item: { pk: "DEADLETTER", sk: `${letter.at}#${letter.id}`, ...letter },
      }),
    );
  }

  async listDeadLetters(): Promise<DeadLetter[]> {
    return (await this.queryAll("DEADLETTER")).map((item) => stripKeys<DeadLetter>(item) as DeadLetter);
  }

  /** Remembers a customer's latest message that aims at a purchase, for the conversion metric. */
  async recordTouch(customerId: string, touch: Touch): Promise<void> {
    await this.doc
      .send(
        this.commands.Put({
          TableName: this.tableName,
          Item: {
            pk: `TOUCH#${customerId}`,
            sk: "TOUCH",
            ...touch,
            ttl: Math.floor(Date.parse(touch.at) / 1000) + 30 * 86_400,
          },
          // Keep the latest: a retried older send must not replace a newer touch.
          ConditionExpression: "attribute_not_exists(pk) OR #atMs < :atMs",
          ExpressionAttributeNames: { "#atMs": "atMs" },
          ExpressionAttributeValues: { ":atMs": touch.atMs },
        }),
      )
      .catch((error) => {
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
      });
  }

  async getTouch(customerId: string): Promise<Touch | undefined> {
    const item = await this.getItem({ pk: `TOUCH#${customerId}`, sk: "TOUCH" });
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

  /** Every order, for reports (a paginated scan: reports run rarely, and off the hot path). */
  async listOrders(): Promise<OrderRecord[]> {
    const items = await this.allPages((startKey) =>
      this.doc.send(
        this.commands.Scan({
          TableName: this.tableName,
          FilterExpression: "sk = :order",
          ExpressionAttributeValues: { ":order": "ORDER" },
          ExclusiveStartKey: startKey,
        }),
      ),
    );
    return items.map((item) => stripKeys<OrderRecord>(item) as OrderRecord);
  }

  /** Scans the whole table; for tests and local inspection only. */
  async scanAll(): Promise<Record<string, unknown>[]> {
    const { Items } = await this.doc.send(this.commands.Scan({ TableName: this.tableName }));
    return Items ?? [];
  }
}
