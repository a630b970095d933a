import { describe, expect, it } from "vitest";
import { parseShopConfig } from "../../functions/core/config/config.js";
import { explainOnStore } from "../../functions/core/insight/explain-archive.js";
import type { ShopEvent } from "../../functions/core/intake/events.js";
import { whatIf } from "../../functions/local/simulator/whatif.js";
import { orderCreated, runSimulation, virtualShop } from "../support/local.js";
import { june as at } from "../support/time.js";

/** Issue 35: marketing only with consent where the shop's law asks for it; notices never need it. */

const REQUIRED = { marketing: { consent: "required" } };

/** A paid, shipped order of one customer on the 1st of June, with their own number. */
function buyer(customerId: string, phone: string): ShopEvent[] {
  const id = `${customerId}-o1`;
  return [
    orderCreated(at("01", "10:00"), { id, customerId, phone }),
    { type: "order.paid", at: at("01", "10:05"), orderId: id },
    {
      type: "order.shipped",
      at: at("02", "09:00"),
      orderId: id,
      carrier: "顺丰",
      trackingNo: `SF${customerId}`,
    },
  ];
}

/** Two buyers, "no" and "yes" (at these numbers); only "yes" consented, at checkout. */
function oneOfTwoConsented(noPhone: string, yesPhone: string): ShopEvent[] {
  return [
    ...buyer("no", noPhone),
    ...buyer("yes", yesPhone),
    {
      type: "customer.consent",
      at: at("01", "10:01"),
      customerId: "yes",
      state: "subscribed",
      source: "checkout",
    },
  ];
}

/** What each customer's gift and shipping notice came to. */
const outcomes = (decisions: Awaited<ReturnType<typeof runSimulation>>) =>
  decisions
    .filter((d) => d.journey === "gift-30" || d.journey === "shipped")
    .map((d) => `${d.customerId} ${d.journey}.${d.step} ${d.outcome}${d.reason ? ` ${d.reason}` : ""}`)
    .sort();

describe("marketing consent", () => {
  it("with marketing.consent required, sends notices to all but marketing only to the customer who consented", async () => {
    // Arrange: two buyers; only "yes" consented at checkout.
    const events = oneOfTwoConsented("+8613800000001", "+8613800000002");

    // Act
    const decisions = await runSimulation(events, REQUIRED);

    // Assert
    expect(outcomes(decisions)).toEqual([
      "no gift-30.gift skipped no-consent",
      "no shipped.notice sent",
      "yes gift-30.gift sent",
      "yes shipped.notice sent",
    ]);
  });

  it("re-subscribes a customer who opted out when they consent again, and stops on a number's own withdrawal", async () => {
    // Arrange: "back" opts out, then consents again at a form; "gone" consented, then their number withdrew.
    const events: ShopEvent[] = [
      ...buyer("back", "+8613800000003"),
      ...buyer("gone", "+8613800000004"),
      { type: "customer.opted_out", at: at("01", "11:00"), customerId: "back" },
      {
        type: "customer.consent",
        at: at("03", "12:00"),
        customerId: "back",
        state: "subscribed",
        source: "form",
      },
      {
        type: "customer.consent",
        at: at("01", "10:01"),
        customerId: "gone",
        state: "subscribed",
        source: "checkout",
      },
      {
        type: "customer.consent",
        at: at("04", "12:00"),
        phone: "+8613800000004",
        state: "unsubscribed",
        source: "call",
      },
    ];

    // Act
    const decisions = await runSimulation(events, REQUIRED);

    // Assert
    expect(outcomes(decisions).filter((line) => line.includes("gift-30"))).toEqual([
      "back gift-30.gift sent",
      "gone gift-30.gift skipped opted-out",
    ]);
  });

  it("shows a customer's consent history in explain: the consent, the opt-out and the consent again", async () => {
    // Arrange
    const { shop } = await virtualShop(at("05", "10:00"), REQUIRED);
    const events: ShopEvent[] = [
      {
        type: "customer.consent",
        at: at("01", "10:00"),
        customerId: "c9",
        state: "subscribed",
        source: "checkout",
      },
      { type: "customer.opted_out", at: at("02", "10:00"), customerId: "c9" },
      {
        type: "customer.consent",
        at: at("03", "10:00"),
        customerId: "c9",
        state: "subscribed",
        source: "form",
      },
    ];
    await shop.queue.enqueue(events, "test");
    await shop.queue.drain();

    // Act
    const timeline = await explainOnStore(
      shop.store,
      shop.config,
      new Date(at("05", "10:00")),
      { customer: "c9" },
      {
        showPhone: false,
      },
    );
    shop.stop();

    // Assert
    expect(
      timeline.filter((entry) => entry.kind === "consent").map((entry) => `${entry.state} ${entry.source}`),
    ).toEqual(["subscribed checkout", "unsubscribed opt-out", "subscribed form"]);
    expect((await shop.store.getCustomer("c9"))?.consent).toEqual({
      state: "subscribed",
      source: "form",
      at: at("03", "10:00"),
    });
  });

  it("keeps the latest consent by its time when an older one arrives after it (DynamoDB Local)", async () => {
    // Arrange: the newer consent is delivered first, the older withdrawal after it.
    const { shop } = await virtualShop(at("05", "10:00"), REQUIRED);
    const newer: ShopEvent = {
      type: "customer.consent",
      at: at("03", "10:00"),
      customerId: "c-late",
      state: "subscribed",
      source: "form",
    };
    const older: ShopEvent = { ...newer, at: at("02", "10:00"), state: "unsubscribed", source: "checkout" };

    // Act
    await shop.queue.enqueue([newer], "test-newer");
    await shop.queue.drain();
    await shop.queue.enqueue([older], "test-older");
    await shop.queue.drain();
    shop.stop();

    // Assert: the newer stands; the history keeps both.
    expect((await shop.store.getCustomer("c-late"))?.consent).toEqual({
      state: "subscribed",
      source: "form",
      at: at("03", "10:00"),
    });
    expect((await shop.store.listConsents({ customerId: "c-late" })).map((c) => c.state).sort()).toEqual([
      "subscribed",
      "unsubscribed",
    ]);
  });

  it("shows in what-if what requiring consent would change: the marketing of those who never consented", async () => {
    // Arrange: the first test's two buyers, under today's rule and under consent required.
    const events = oneOfTwoConsented("+8613800000005", "+8613800000006");

    // Act
    const result = await whatIf({ events, base: parseShopConfig({}), candidate: parseShopConfig(REQUIRED) });

    // Assert: every marketing message of "no" is now skipped; "yes" keeps each of theirs (some at another
    // sub-second rate slot, as "no" no longer takes one); no notice changes.
    const lines = result.changes.map(
      (change) =>
        `${change.customerId} ${change.journey}.${change.step}: ${change.before?.outcome} → ${change.after?.outcome}${change.after?.reason ? ` ${change.after.reason}` : ""}`,
    );
    expect(lines.filter((line) => line.startsWith("no ")).sort()).toEqual([
      "no gift-100.gift: sent → skipped no-consent",
      "no gift-30.gift: sent → skipped no-consent",
      "no winback.first: sent → skipped no-consent",
      "no winback.second: sent → skipped no-consent",
    ]);
    expect(
      lines.filter((line) => line.startsWith("yes ")).every((line) => line.endsWith("sent → sent")),
    ).toBe(true);
    expect(result.changes.filter((change) => change.journey === "shipped")).toEqual([]);
  });
});
