import { ConditionalCheckFailedException } from "@aws-sdk/client-dynamodb";
import { type OrderDetails, refundKey } from "../../core/intake/events.js";
import type { OrderFactUpdate } from "../../core/intake/order-events.js";
import type { OrderRecord } from "../../core/shared/model.js";
import type { ExecutionEntry, OrderFacts } from "../../core/shared/ports.js";

import type { CustomerFactsTable } from "./customer-facts.js";
import { type FieldUpdate, stripKeys, type Table } from "./table.js";

/** Orders' facts (from their events, the earliest event time winning), tracking numbers, and each customer's executions. */
export class FactsTable implements OrderFacts {
  constructor(
    private readonly table: Table,
    /** Where an order's customer's contact details go (`order.created` carries them). */
    private readonly customers: Pick<CustomerFactsTable, "recordCustomerContact">,
  ) {}

  /**
   * Records an order's details and its customer's contact details from `order.created`.
   * @returns the order as stored now, with the facts earlier events left on it
   */
  async recordOrderCreated(order: OrderDetails, at: string): Promise<OrderRecord> {
    const { customer, id: orderId, ...details } = order;
    const stored = await this.table.update(
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
        ...(details.payer?.phone ? { payerPhone: { value: details.payer.phone } } : {}),
        gsi1pk: { value: `CUSTOMER#${customer.id}` },
        gsi1sk: { value: `${new Date(at).toISOString()}#${orderId}`, keepExisting: true },
      },
      { returnNew: true },
    );
    await this.customers.recordCustomerContact(
      {
        customerId: customer.id,
        phone: customer.phone,
        name: customer.name,
        phoneExpiresAt: customer.phoneExpiresAt,
        province: details.address?.province,
        city: details.address?.city,
        region: details.address?.region,
        timeZone: customer.timeZone,
        firstOrderedAt: at,
      },
      at,
    );
    return stripKeys<OrderRecord>(stored) as OrderRecord;
  }
  /**
   * Sets one event's order facts (its time and what came with it) unless an earlier event of its type
   * already set them: the earliest event time wins whatever order the webhooks arrive in, and a duplicate
   * changes nothing.
   * @returns the order as stored now (without `createdAt` if its `order.created` has not arrived)
   */
  async recordOrderFacts(orderId: string, facts: OrderFactUpdate): Promise<OrderRecord> {
    const timeField = facts.time;
    const fields: Record<string, FieldUpdate> = {
      orderId: { value: orderId },
      [timeField]: { value: facts.at },
      // The time as a number, so the condition compares instants, whatever offset each event was sent in.
      [`${timeField}Ms`]: { value: Date.parse(facts.at) },
    };
    for (const [field, value] of Object.entries(facts.details ?? {}))
      if (value !== undefined) fields[field] = { value };
    try {
      return stripKeys<OrderRecord>(
        await this.table.update({ pk: `ORDER#${orderId}`, sk: "ORDER" }, fields, {
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
      await this.table.doc.send(
        this.table.commands.Update({
          TableName: this.table.tableName,
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
    return this.recordOrderFacts(orderId, { time: "refundedAt", at: refund.at });
  }
  /** Notes a journey whose event came before the order, to start it when the order arrives. */
  async markAwaitingOrder(orderId: string, journeyStage: string): Promise<void> {
    await this.table.doc.send(
      this.table.commands.Update({
        TableName: this.table.tableName,
        Key: { pk: `ORDER#${orderId}`, sk: "ORDER" },
        UpdateExpression: "SET #orderId = :orderId ADD #awaiting :stage",
        ExpressionAttributeNames: { "#orderId": "orderId", "#awaiting": "awaitingOrder" },
        ExpressionAttributeValues: { ":orderId": orderId, ":stage": new Set([journeyStage]) },
      }),
    );
  }
  /** Notes an execution started or stopped, in the customer's partition (the first time is kept). */
  async recordExecution(entry: ExecutionEntry): Promise<void> {
    await this.table.update(
      { pk: `CUSTOMER#${entry.customerId}`, sk: `EXEC#${entry.name}#${entry.action}` },
      {
        customerId: { value: entry.customerId },
        journey: { value: entry.journey },
        name: { value: entry.name },
        ...(entry.orderId ? { orderId: { value: entry.orderId } } : {}),
        action: { value: entry.action },
        at: { value: entry.at, keepExisting: true },
      },
    );
  }
  async listExecutions(customerId: string): Promise<ExecutionEntry[]> {
    return (await this.table.queryAll(`CUSTOMER#${customerId}`))
      .filter((item) => String(item.sk).startsWith("EXEC#"))
      .map(
        ({ customerId, journey, name, orderId, action, at }) =>
          ({ customerId, journey, name, ...(orderId ? { orderId } : {}), action, at }) as ExecutionEntry,
      );
  }
  async getOrder(orderId: string): Promise<OrderRecord | undefined> {
    return stripKeys<OrderRecord>(await this.table.getItem({ pk: `ORDER#${orderId}`, sk: "ORDER" }));
  }
  /** A customer's orders, oldest first. */
  async listCustomerOrders(customerId: string): Promise<OrderRecord[]> {
    const items = await this.table.queryAll(`CUSTOMER#${customerId}`, { index: true });
    return items.map((item) => stripKeys<OrderRecord>(item) as OrderRecord);
  }
  /** Remembers which order ships under a tracking number (parcel tracking pushes know only the number). */
  async indexTracking(trackingNo: string, orderId: string): Promise<void> {
    await this.table.doc.send(
      this.table.commands.Put({
        TableName: this.table.tableName,
        Item: { pk: `TRACKING#${trackingNo}`, sk: "TRACKING", orderId },
      }),
    );
  }
  /** The order shipped under a tracking number, if shopcare has seen its `order.shipped`. */
  async findOrderByTracking(trackingNo: string): Promise<string | undefined> {
    const item = await this.table.getItem({ pk: `TRACKING#${trackingNo}`, sk: "TRACKING" });
    return item?.orderId as string | undefined;
  }
  /** Every order, for reports (a paginated scan: reports run rarely, and off the hot path). */
  async listOrders(): Promise<OrderRecord[]> {
    const items = await this.table.allPages((startKey) =>
      this.table.doc.send(
        this.table.commands.Scan({
          TableName: this.table.tableName,
          FilterExpression: "sk = :order",
          ExpressionAttributeValues: { ":order": "ORDER" },
          ExclusiveStartKey: startKey,
        }),
      ),
    );
    return items.map((item) => stripKeys<OrderRecord>(item) as OrderRecord);
  }
}
