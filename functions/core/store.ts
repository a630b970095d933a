import { ConditionalCheckFailedException, type DynamoDBClient } from "@aws-sdk/client-dynamodb";
import {
  DeleteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  ScanCommand,
  UpdateCommand,
} from "@aws-sdk/lib-dynamodb";
import type { OrderDetails } from "./events.js";
import type { CustomerRecord, DecisionRecord, JourneyId, OrderRecord } from "./model.js";

/**
 * Everything shopcare keeps lives in one DynamoDB table (single-table design):
 *
 * | item | pk | sk |
 * |---|---|---|
 * | order | `ORDER#<orderId>` | `ORDER` (gsi1: `CUSTOMER#<customerId>` / `<createdAt>#<orderId>`) |
 * | customer | `CUSTOMER#<customerId>` | `PROFILE` |
 * | decision / send ledger | `JOURNEY#<journey>#<subjectId>` | `STEP#<step>` (gsi1: `DECISIONS` / `<at>#…`) |
 * | outbox message, handoff | `OUTBOX#<date>` | `<at>#<id>` |
 * | raw webhook | `WEBHOOK#<id>` | `RAW` (TTL) |
 * | dead letter | `DEADLETTER` | `<at>#<id>` |
 */
export const TABLE_KEYS = {
  partitionKey: "pk",
  sortKey: "sk",
  gsi1: "gsi1",
  gsi1PartitionKey: "gsi1pk",
  gsi1SortKey: "gsi1sk",
  ttl: "ttl",
} as const;

/** Order facts that events set; each is kept at its earliest value so replays and duplicates change nothing. */
export type OrderFact = Partial<
  Pick<
    OrderRecord,
    | "paidAt"
    | "cancelledAt"
    | "shippedAt"
    | "carrier"
    | "trackingNo"
    | "arrivedCityAt"
    | "outForDeliveryAt"
    | "deliveredAt"
    | "completedAt"
    | "refundedAt"
    | "refundedAmount"
  >
>;

/** A step's ledger entry: a claim while the provider call is in flight, then the final decision. */
export type LedgerEntry =
  | { readonly status: "pending"; readonly claimedAt: string }
  | ({ readonly status: "final" } & DecisionRecord);

/** A raw webhook as received, kept for audit and replay. */
export interface ArchivedWebhook {
  readonly id: string;
  readonly source: string;
  readonly receivedAt: string;
  readonly body: string;
  readonly status: "accepted" | "rejected";
  readonly error?: string;
}

/** A message the local outbox provider "sent", or a handoff it raised. */
export interface OutboxEntry {
  readonly id: string;
  readonly at: string;
  readonly kind: "sms" | "handoff";
  readonly to?: string;
  readonly text: string;
  readonly messageClass?: string;
}

const WEBHOOK_TTL_SECONDS = 90 * 86_400;

function stripKeys<T>(item: Record<string, unknown> | undefined): T | undefined {
  if (!item) return undefined;
  const { pk: _pk, sk: _sk, gsi1pk: _g1, gsi1sk: _g2, ttl: _ttl, status: _status, ...rest } = item;
  return rest as T;
}

/** Typed access to the shopcare table. */
export class Store {
  private readonly doc: DynamoDBDocumentClient;

  constructor(
    client: DynamoDBClient,
    private readonly tableName: string,
  ) {
    this.doc = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  }

  /** Records an order's details and its customer's contact details from `order.created`. */
  async recordOrderCreated(order: OrderDetails, at: string): Promise<void> {
    const { customer, id: orderId, ...details } = order;
    await this.doc.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: { pk: `ORDER#${orderId}`, sk: "ORDER" },
        UpdateExpression:
          "SET orderId = :orderId, customerId = :customerId, createdAt = if_not_exists(createdAt, :at), amount = :amount, currency = :currency, paymentMethod = :paymentMethod, gift = :gift, items = :items, gsi1pk = :gsi1pk, gsi1sk = if_not_exists(gsi1sk, :gsi1sk)",
        ExpressionAttributeValues: {
          ":orderId": orderId,
          ":customerId": customer.id,
          ":at": at,
          ":amount": details.amount,
          ":currency": details.currency,
          ":paymentMethod": details.paymentMethod,
          ":gift": details.gift,
          ":items": details.items,
          ":gsi1pk": `CUSTOMER#${customer.id}`,
          ":gsi1sk": `${new Date(at).toISOString()}#${orderId}`,
        },
      }),
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
  }

  /** Updates a customer's contact details unless a later event already did (event time, not arrival time). */
  async recordCustomerContact(
    contact: Omit<CustomerRecord, "declinedAt" | "optedOutAt">,
    at: string,
  ): Promise<void> {
    const sets = ["customerId = :customerId", "contactAt = :at"];
    const values: Record<string, unknown> = { ":customerId": contact.customerId, ":at": at };
    for (const field of ["phone", "name", "phoneExpiresAt"] as const) {
      if (contact[field] !== undefined) {
        sets.push(`${field} = :${field}`);
        values[`:${field}`] = contact[field];
      }
    }
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: `CUSTOMER#${contact.customerId}`, sk: "PROFILE" },
          UpdateExpression: `SET ${sets.join(", ")}`,
          ConditionExpression: "attribute_not_exists(contactAt) OR contactAt <= :at",
          ExpressionAttributeValues: values,
        }),
      );
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }

  /** Sets order facts, keeping the earliest value of each so a late duplicate never moves it. */
  async recordOrderFacts(orderId: string, facts: OrderFact): Promise<void> {
    const entries = Object.entries(facts).filter(([, value]) => value !== undefined);
    if (entries.length === 0) return;
    await this.doc.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: { pk: `ORDER#${orderId}`, sk: "ORDER" },
        UpdateExpression: `SET orderId = :orderId, ${entries.map(([field]) => `${field} = if_not_exists(${field}, :${field})`).join(", ")}`,
        ExpressionAttributeValues: Object.fromEntries([
          [":orderId", orderId],
          ...entries.map(([field, value]) => [`:${field}`, value]),
        ]),
      }),
    );
  }

  /** Marks a customer as declined or opted out at `at`, keeping the earliest time. */
  async recordCustomerFlag(customerId: string, flag: "declinedAt" | "optedOutAt", at: string): Promise<void> {
    await this.doc.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: { pk: `CUSTOMER#${customerId}`, sk: "PROFILE" },
        UpdateExpression: `SET customerId = :customerId, ${flag} = if_not_exists(${flag}, :at)`,
        ExpressionAttributeValues: { ":customerId": customerId, ":at": at },
      }),
    );
  }

  async getOrder(orderId: string): Promise<OrderRecord | undefined> {
    const { Item } = await this.doc.send(
      new GetCommand({
        TableName: this.tableName,
        Key: { pk: `ORDER#${orderId}`, sk: "ORDER" },
        ConsistentRead: true,
      }),
    );
    return stripKeys<OrderRecord>(Item);
  }

  async getCustomer(customerId: string): Promise<CustomerRecord | undefined> {
    const { Item } = await this.doc.send(
      new GetCommand({
        TableName: this.tableName,
        Key: { pk: `CUSTOMER#${customerId}`, sk: "PROFILE" },
        ConsistentRead: true,
      }),
    );
    return stripKeys<CustomerRecord>(Item);
  }

  /** A customer's orders, oldest first. */
  async listCustomerOrders(customerId: string): Promise<OrderRecord[]> {
    const orders: OrderRecord[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.doc.send(
        new QueryCommand({
          TableName: this.tableName,
          IndexName: TABLE_KEYS.gsi1,
          KeyConditionExpression: "gsi1pk = :pk",
          ExpressionAttributeValues: { ":pk": `CUSTOMER#${customerId}` },
          ExclusiveStartKey: startKey,
        }),
      );
      for (const item of page.Items ?? []) orders.push(stripKeys<OrderRecord>(item) as OrderRecord);
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return orders;
  }

  /** The ledger entries of one journey for one subject (order or customer), by step name. */
  async listLedger(journey: JourneyId, subjectId: string): Promise<Map<string, LedgerEntry>> {
    const { Items } = await this.doc.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: "pk = :pk",
        ExpressionAttributeValues: { ":pk": `JOURNEY#${journey}#${subjectId}` },
        ConsistentRead: true,
      }),
    );
    const ledger = new Map<string, LedgerEntry>();
    for (const item of Items ?? []) {
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
        new PutCommand({
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
        new DeleteCommand({
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
  async recordDecision(subjectId: string, decision: DecisionRecord, claimed: boolean): Promise<boolean> {
    try {
      await this.doc.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            pk: `JOURNEY#${decision.journey}#${subjectId}`,
            sk: `STEP#${decision.step}`,
            gsi1pk: "DECISIONS",
            gsi1sk: `${new Date(decision.at).toISOString()}#${decision.journey}#${subjectId}#${decision.step}`,
            status: "final",
            ...decision,
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

  /** All decisions, oldest first (the audit trail behind `simulate` and reports). */
  async listDecisions(): Promise<DecisionRecord[]> {
    const decisions: DecisionRecord[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.doc.send(
        new QueryCommand({
          TableName: this.tableName,
          IndexName: TABLE_KEYS.gsi1,
          KeyConditionExpression: "gsi1pk = :pk",
          ExpressionAttributeValues: { ":pk": "DECISIONS" },
          ExclusiveStartKey: startKey,
        }),
      );
      for (const item of page.Items ?? []) decisions.push(stripKeys<DecisionRecord>(item) as DecisionRecord);
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return decisions;
  }

  /** Keeps a raw webhook body for audit and replay (expires after 90 days). */
  async archiveWebhook(webhook: ArchivedWebhook): Promise<void> {
    await this.doc.send(
      new PutCommand({
        TableName: this.tableName,
        Item: {
          pk: `WEBHOOK#${webhook.id}`,
          sk: "RAW",
          ttl: Math.floor(new Date(webhook.receivedAt).getTime() / 1000) + WEBHOOK_TTL_SECONDS,
          ...webhook,
        },
      }),
    );
  }

  async getWebhook(id: string): Promise<ArchivedWebhook | undefined> {
    const { Item } = await this.doc.send(
      new GetCommand({ TableName: this.tableName, Key: { pk: `WEBHOOK#${id}`, sk: "RAW" } }),
    );
    return Item
      ? ({ ...stripKeys<ArchivedWebhook>(Item), status: Item.status } as ArchivedWebhook)
      : undefined;
  }

  /** Appends to the local outbox (the local runtime's stand-in for an SMS provider and the operators' topic). */
  async putOutbox(entry: OutboxEntry): Promise<void> {
    await this.doc.send(
      new PutCommand({
        TableName: this.tableName,
        Item: { pk: "OUTBOX", sk: `${entry.at}#${entry.id}`, ...entry },
      }),
    );
  }

  async listOutbox(): Promise<OutboxEntry[]> {
    const { Items } = await this.doc.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: "pk = :pk",
        ExpressionAttributeValues: { ":pk": "OUTBOX" },
      }),
    );
    return (Items ?? []).map((item) => stripKeys<OutboxEntry>(item) as OutboxEntry);
  }

  /** Keeps an event that failed processing, with its error, for an operator to inspect and replay. */
  async putDeadLetter(letter: { id: string; at: string; body: string; error: string }): Promise<void> {
    await this.doc.send(
      new PutCommand({
        TableName: this.tableName,
        Item: { pk: "DEADLETTER", sk: `${letter.at}#${letter.id}`, ...letter },
      }),
    );
  }

  async listDeadLetters(): Promise<{ id: string; at: string; body: string; error: string }[]> {
    const { Items } = await this.doc.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: "pk = :pk",
        ExpressionAttributeValues: { ":pk": "DEADLETTER" },
      }),
    );
    return (Items ?? []).map(
      (item) => stripKeys(item) as { id: string; at: string; body: string; error: string },
    );
  }

  /** Scans the whole table; for tests and local inspection only. */
  async scanAll(): Promise<Record<string, unknown>[]> {
    const { Items } = await this.doc.send(new ScanCommand({ TableName: this.tableName }));
    return Items ?? [];
  }
}
