import { ConditionalCheckFailedException } from "@aws-sdk/client-dynamodb";
import { type OrderDetails, refundKey } from "../../core/events.js";
import type { CustomerRecord, OrderRecord } from "../../core/model.js";
import type { CustomerFacts, ExecutionEntry, OrderFact, OrderFacts } from "../../core/ports.js";

import { type FieldUpdate, stripKeys, type Table } from "./table.js";

/** Order and customer facts (and opt-outs, tracking numbers) over the table. */
export class FactsTable implements OrderFacts, CustomerFacts {
  constructor(private readonly table: Table) {}

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
      await this.table.update({ pk: `CUSTOMER#${contact.customerId}`, sk: "PROFILE" }, fields, {
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
    return this.recordOrderFacts(orderId, { refundedAt: refund.at });
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
  /**
   * Sets a customer's birthday unless a later event already set one (event time, not arrival time).
   * @returns the birthday it replaced, and whether this event changed it
   */
  async recordCustomerBirthday(
    customerId: string,
    birthday: string,
    at: string,
  ): Promise<{ readonly previous?: string; readonly changed: boolean }> {
    try {
      const old = await this.table.update(
        { pk: `CUSTOMER#${customerId}`, sk: "PROFILE" },
        {
          customerId: { value: customerId },
          birthday: { value: birthday },
          birthdayAtMs: { value: Date.parse(at) },
        },
        {
          condition: "attribute_not_exists(#birthdayAtMs) OR #birthdayAtMs <= :birthdayAtMs",
          returnOld: true,
        },
      );
      const previous = old?.birthday as string | undefined;
      return { previous, changed: previous !== birthday };
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      return { changed: false };
    }
  }
  /** Notes that the celebrations of `birthday` were started. */
  async markBirthdayArmed(customerId: string, birthday: string): Promise<void> {
    await this.table.update(
      { pk: `CUSTOMER#${customerId}`, sk: "PROFILE" },
      { customerId: { value: customerId }, birthdayArmed: { value: birthday } },
    );
  }
  /** Marks a customer as declined, opted out or an automatic reviewer at `at`, keeping the earliest time. */
  async recordCustomerFlag(
    customerId: string,
    flag: "declinedAt" | "optedOutAt" | "autoReviewedAt",
    at: string,
  ): Promise<void> {
    await this.table.update(
      { pk: `CUSTOMER#${customerId}`, sk: "PROFILE" },
      { customerId: { value: customerId }, [flag]: { value: at, keepExisting: true } },
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
  async getCustomer(customerId: string): Promise<CustomerRecord | undefined> {
    return stripKeys<CustomerRecord>(
      await this.table.getItem({ pk: `CUSTOMER#${customerId}`, sk: "PROFILE" }),
    );
  }
  /** A customer's orders, oldest first. */
  async listCustomerOrders(customerId: string): Promise<OrderRecord[]> {
    const items = await this.table.queryAll(`CUSTOMER#${customerId}`, { index: true });
    return items.map((item) => stripKeys<OrderRecord>(item) as OrderRecord);
  }
  /** Opts a phone number out of marketing from `at` (the earliest opt-out is kept). */
  async recordPhoneOptOut(phone: string, at: string, source: string): Promise<void> {
    await this.table.update(
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
    const item = await this.table.getItem({ pk: `OPTOUT#${phone}`, sk: "OPTOUT" });
    return item?.optedOutAt as string | undefined;
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
