import { describe, expect, it } from "vitest";
import { Store } from "../../functions/adapters/dynamodb/store.js";
import { parseShopConfig } from "../../functions/core/config/config.js";
import { applyRetention } from "../../functions/core/customers/retention.js";
import type { DecisionRecord } from "../../functions/core/shared/model.js";
import { MemoryTable } from "../../functions/local/emulator/memory-table.js";

/** Issue 35: personal data is kept for `retention`, then forgotten. */

/** A customer who paid once at `paidAt`, and the shipping notice they were sent then. */
async function buyer(store: Store, customerId: string, paidAt: string) {
  await store.recordCustomerContact(
    { customerId, phone: `+86139${customerId.padStart(8, "0")}`, name: "客" },
    paidAt,
  );
  await store.recordPurchase(customerId, {
    orderId: `${customerId}-o`,
    paidAt,
    amount: 100,
    refunded: 0,
    items: 1,
    categories: [],
  });
  const decision: DecisionRecord = {
    at: paidAt,
    journey: "shipped",
    step: "notice",
    orderId: `${customerId}-o`,
    customerId,
    to: `+86139${customerId.padStart(8, "0")}`,
    outcome: "sent",
    template: "shipped.notice",
    text: `【店】您的宝贝已发出 ${customerId}`,
  };
  await store.recordDecision(`${customerId}-o`, decision, false);
}

describe("retention", () => {
  it("forgets customers inactive for retention.customers and drops texts older than retention.messageTexts", async () => {
    // Arrange: one customer from four years ago, one from two years ago, one from last month.
    const store = new Store(new MemoryTable(), "retention-unit");
    await buyer(store, "11", "2022-06-01T10:00:00+08:00");
    await buyer(store, "22", "2024-06-01T10:00:00+08:00");
    await buyer(store, "33", "2026-05-01T10:00:00+08:00");
    const config = parseShopConfig({});

    // Act
    const run = await applyRetention({ store, config, now: new Date("2026-06-18T10:00:00+08:00") });
    const again = await applyRetention({ store, config, now: new Date("2026-06-19T10:00:00+08:00") });

    // Assert: 3 years for customers, 1 year for texts; the next day finds nothing more.
    expect(run).toEqual({ customers: 1, texts: 1 });
    expect(again).toEqual({ customers: 0, texts: 0 });
    expect(await store.getCustomer("11")).toBeUndefined();
    expect(await store.getCustomer("22")).toMatchObject({ name: "客" });
    const decisions = await store.listDecisions();
    expect(
      decisions.map((d) => [
        d.customerId?.startsWith("forgotten-") ? "forgotten" : d.customerId,
        d.outcome,
        d.text !== undefined,
      ]),
    ).toEqual([
      ["forgotten", "sent", false],
      ["22", "sent", false],
      ["33", "sent", true],
    ]);
  });

  it("keeps a customer who paid long ago but ordered since", async () => {
    // Arrange
    const store = new Store(new MemoryTable(), "retention-unit");
    await buyer(store, "44", "2022-06-01T10:00:00+08:00");
    await store.recordCustomerContact({ customerId: "44", name: "客" }, "2026-01-01T10:00:00+08:00");

    // Act
    const run = await applyRetention({
      store,
      config: parseShopConfig({}),
      now: new Date("2026-06-18T10:00:00+08:00"),
    });

    // Assert
    expect(run.customers).toBe(0);
    expect(await store.getCustomer("44")).toMatchObject({ name: "客" });
  });
});
