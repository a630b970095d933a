import { describe, expect, it } from "vitest";
import { startHttpServer } from "../../functions/local/emulator/server.js";
import { virtualShop } from "../support/local.js";
import { fixture, shopifyHeaders } from "../support/webhooks.js";

/**
 * Issue 36: Shopify's payment states as the buyer sees them ("OrderDisplayFinancialStatus", Shopify GraphQL
 * Admin API). Each through the signed Shopify route, the reminder's hour then passed.
 */

const ORDER = "820982911946154508";
const CUSTOMER = "115310627314723954";

/** A shop that took Shopify's example `orders/create` in `financialStatus`, an hour and a minute later. */
async function orderCreatedIn(financialStatus: string) {
  const { shop, clock, failures } = await virtualShop("2026-06-18T10:00:00+08:00");
  const http = await startHttpServer(shop.routes);
  // Edited as text: Shopify's ids pass 2^53, and the body carries their digits.
  const body = fixture("shopify-orders-create.json")
    .replace('"financial_status": "pending"', `"financial_status": "${financialStatus}"`)
    .replace('"processed_at": "2026-06-18T10:00:00+08:00"', '"processed_at": "2026-06-18T10:00:30+08:00"')
    .replace(
      '"cancelled_at": null',
      financialStatus === "voided" ? '"cancelled_at": "2026-06-18T10:20:00+08:00"' : '"cancelled_at": null',
    );
  const response = await fetch(`${http.url}/webhooks/shopify`, {
    method: "POST",
    body,
    headers: shopifyHeaders(body, "orders/create", `wh-${financialStatus}`),
  });
  await shop.queue.drain();
  await clock.advanceTo(new Date("2026-06-18T11:01:00+08:00"));
  const reminder = (await shop.store.listDecisions()).find(
    (decision) => decision.journey === "payment-reminder" && decision.step === "first",
  );
  const state = {
    status: response.status,
    order: await shop.store.getOrder(ORDER),
    customer: await shop.store.getCustomer(CUSTOMER),
    reminder,
    failures,
  };
  shop.stop();
  await http.close();
  return state;
}

describe("Shopify's payment states on orders/create", () => {
  it.each(["authorized", "partially_paid"])(
    "takes %s as paid at processed_at: no payment reminder, a purchase on the profile",
    async (financialStatus) => {
      // Arrange, act
      const { status, order, customer, reminder, failures } = await orderCreatedIn(financialStatus);

      // Assert
      expect(status).toBe(202);
      expect(order?.paidAt).toBe("2026-06-18T10:00:30+08:00");
      expect(reminder).toMatchObject({ outcome: "skipped", reason: "paid" });
      expect(customer?.purchases?.map((purchase) => purchase.orderId)).toEqual([ORDER]);
      expect(failures).toEqual([]);
    },
  );

  it("keeps today's rules for pending (a manual gateway): the buyer is reminded an hour on", async () => {
    // Arrange, act
    const { order, customer, reminder } = await orderCreatedIn("pending");

    // Assert
    expect(order?.paidAt).toBeUndefined();
    expect(reminder).toMatchObject({ outcome: "sent" });
    expect(customer?.purchases).toBeUndefined();
  });

  it("cancels a voided order: its reminder is skipped, nothing is paid", async () => {
    // Arrange, act
    const { order, customer, reminder } = await orderCreatedIn("voided");

    // Assert
    expect(order?.cancelledAt).toBe("2026-06-18T10:20:00+08:00");
    expect(order?.paidAt).toBeUndefined();
    expect(reminder).toMatchObject({ outcome: "skipped", reason: "cancelled" });
    expect(customer?.purchases).toBeUndefined();
  });
});
