import { ConditionalCheckFailedException } from "@aws-sdk/client-dynamodb";
import type { CheckoutDetails } from "../../core/intake/events.js";
import type { CheckoutRecord } from "../../core/shared/model.js";
import type { CheckoutFacts } from "../../core/shared/ports.js";
import type { CustomerFactsTable } from "./customer-facts.js";
import { type FieldUpdate, stripKeys, type Table, whoseFields } from "./table.js";

const keyOf = (token: string) => ({ pk: `CHECKOUT#${token}`, sk: "CHECKOUT" });

/**
 * Checkouts (`CHECKOUT#<token>` / `CHECKOUT`): the latest update wins by its time, whatever order the
 * webhooks arrive in; filed under their customer (gsi3), so `forget` erases them with the customer.
 */
export class CheckoutTable implements CheckoutFacts {
  constructor(
    private readonly table: Table,
    /** Where a checkout's customer's contact details go. */
    private readonly customers: Pick<CustomerFactsTable, "recordCustomerContact">,
  ) {}

  async recordCheckout(checkout: CheckoutDetails, at: string): Promise<CheckoutRecord> {
    const { customer } = checkout;
    const items = checkout.items.reduce((sum, item) => sum + (Number(item.quantity) || 1), 0);
    const fields: Record<string, FieldUpdate> = {
      token: { value: checkout.token },
      createdAt: { value: at, keepExisting: true },
      updatedAt: { value: at },
      // Compared as epoch milliseconds: ISO strings with different offsets do not sort by time.
      updatedAtMs: { value: Date.parse(at) },
      amount: { value: checkout.amount },
      currency: { value: checkout.currency },
      items: { value: items },
    };
    if (checkout.url) fields.url = { value: checkout.url };
    if (checkout.completedAt) fields.completedAt = { value: checkout.completedAt };
    if (customer) {
      fields.customerId = { value: customer.id };
      Object.assign(fields, whoseFields({ kind: "CUSTOMER", id: customer.id }, `CHECKOUT#${checkout.token}`));
    }
    let stored: CheckoutRecord | undefined;
    try {
      stored = stripKeys<CheckoutRecord>(
        await this.table.update(keyOf(checkout.token), fields, {
          condition: "attribute_not_exists(#updatedAtMs) OR #updatedAtMs <= :updatedAtMs",
          returnNew: true,
        }),
      );
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      stored = await this.getCheckout(checkout.token);
    }
    if (customer)
      await this.customers.recordCustomerContact(
        {
          customerId: customer.id,
          phone: customer.phone,
          name: customer.name,
          timeZone: customer.timeZone,
          region: checkout.region,
        },
        at,
      );
    return stored as CheckoutRecord;
  }

  async markCheckoutOrdered(token: string, orderId: string, at: string): Promise<CheckoutRecord> {
    try {
      return stripKeys<CheckoutRecord>(
        await this.table.update(
          keyOf(token),
          {
            token: { value: token },
            orderId: { value: orderId },
            orderedAt: { value: at },
            orderedAtMs: { value: Date.parse(at) },
          },
          { condition: "attribute_not_exists(#orderedAtMs) OR #orderedAtMs > :orderedAtMs", returnNew: true },
        ),
      ) as CheckoutRecord;
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      return (await this.getCheckout(token)) as CheckoutRecord;
    }
  }

  async getCheckout(token: string): Promise<CheckoutRecord | undefined> {
    return stripKeys<CheckoutRecord>(await this.table.getItem(keyOf(token)));
  }
}
