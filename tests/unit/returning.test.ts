import { describe, expect, it } from "vitest";
import type { JourneyContext } from "../../functions/core/journeys/module.js";
import { isReturningCustomer, paidOrderKey } from "../../functions/core/journeys/vocabulary.js";

/** A context for `order`, its customer's earliest paid order kept as `firstPaid`; listing orders fails. */
function contextOf(order: { orderId: string; paidAt?: string; createdAt: string }, firstPaid?: string) {
  return {
    order,
    state: { journey: "shipped", orderId: order.orderId, enteredAt: order.createdAt },
    customer: { customerId: "c1", ...(firstPaid ? { firstPaid } : {}) },
    customerOrders: () => {
      throw new Error("listed every order");
    },
  } as unknown as JourneyContext;
}

const earliest = paidOrderKey({
  orderId: "o1",
  paidAt: "2026-06-01T10:05:00Z",
  createdAt: "2026-06-01T10:00:00Z",
});

describe("a returning customer, told by the profile's firstPaid", () => {
  it("is returning for a later order, not for the earliest paid order itself, without listing their orders", async () => {
    const later = contextOf(
      { orderId: "o2", paidAt: "2026-06-05T10:00:00Z", createdAt: "2026-06-05T09:00:00Z" },
      earliest,
    );
    const itself = contextOf(
      { orderId: "o1", paidAt: "2026-06-01T10:05:00Z", createdAt: "2026-06-01T10:00:00Z" },
      earliest,
    );
    const unpaidBefore = contextOf({ orderId: "o0", createdAt: "2026-05-30T10:00:00Z" }, earliest);

    const answers = [
      await isReturningCustomer(later),
      await isReturningCustomer(itself),
      await isReturningCustomer(unpaidBefore),
    ];

    expect(answers).toEqual([true, false, false]);
  });

  it("lists the orders when the profile has no firstPaid (kept before it was)", async () => {
    const context = contextOf({
      orderId: "o2",
      paidAt: "2026-06-05T10:00:00Z",
      createdAt: "2026-06-05T09:00:00Z",
    });

    await expect(isReturningCustomer(context)).rejects.toThrow("listed every order");
  });
});
