import { describe, expect, it } from "vitest";
import { explainOnStore } from "../../functions/core/insight/explain-archive.js";
import type { ShopEvent } from "../../functions/core/intake/events.js";
import { localPhonePlaces } from "../../functions/local/emulator/phone-data.js";
import { orderCreated, runSimulation, virtualShop } from "../support/local.js";

/** Issue 35: marketing reaches US customers in their own quiet hours, by their state's rules. */

/** A New York shop selling to the US, marketing without consent so the hours are what is tested. */
const NEW_YORK_SHOP = {
  timeZone: "America/New_York",
  marketing: { consent: "unless-opted-out" },
  webhooks: { defaultCountry: "US" },
};

/** New York time in June 2026 (EDT), as webhooks send it. */
const ny = (day: string, time: string) => `2026-06-${day}T${time}:00-04:00`;

/** A paid, shipped order of one customer on 1 June (paid at `paidAt`, New York time), with their own number. */
function buyer(customerId: string, phone: string, region?: string, paidAt = "10:05"): ShopEvent[] {
  const id = `${customerId}-o1`;
  const created = orderCreated(ny("01", "05:00"), { id, customerId, phone, name: customerId });
  if (region && created.type === "order.created") created.order.address = { region };
  return [
    created,
    { type: "order.paid", at: ny("01", paidAt), orderId: id },
    {
      type: "order.shipped",
      at: ny("02", "09:00"),
      orderId: id,
      carrier: "UPS",
      trackingNo: `1Z${customerId}`,
    },
  ];
}

/** Each customer's gift: when it went, in the shop's (New York) time. */
const gifts = (decisions: Awaited<ReturnType<typeof runSimulation>>) =>
  decisions
    .filter((d) => d.journey === "gift-30" && d.outcome === "sent")
    .map((d) => `${d.customerId} ${d.at.slice(0, 16)}`)
    .sort();

describe("quiet hours in the recipient's time", () => {
  it("sends a New York shop's 09:00 gift at 09:00 Los Angeles time to a +1 415 number", async () => {
    // Arrange
    const events = [...buyer("la", "+14155550101"), ...buyer("nyc", "+12125550102")];

    // Act
    const decisions = await runSimulation(events, { ...NEW_YORK_SHOP, marketingSlots: ["09:00"] });

    // Assert: due at 10:05 New York time on 1 July, after New York's 09:00 and before Los Angeles's.
    expect(gifts(decisions)).toEqual(["la 2026-07-01T12:00", "nyc 2026-07-02T09:00"]);
  });

  it("holds a Florida number's marketing until 08:00 and sends none after 20:00", async () => {
    // Arrange: the shop's own window runs 07:00–22:00 with slots at 07:00 and 20:30; Georgia keeps the
    // federal 8–21, Florida 8–20.
    // Both paid at 05:30: their gifts fall due before any window opens.
    const events = [
      ...buyer("miami", "+13055550103", undefined, "05:30"),
      ...buyer("atlanta", "+14045550104", undefined, "05:30"),
    ];

    // Act
    const decisions = await runSimulation(events, {
      ...NEW_YORK_SHOP,
      windows: { marketing: { start: "07:00", end: "22:00" } },
      marketingSlots: ["07:00", "20:30"],
    });

    // Assert
    expect(gifts(decisions)).toEqual(["atlanta 2026-07-01T20:30", "miami 2026-07-01T08:00"]);
  });

  it("names the rule that holds a message in explain: the recipient's zone and their state's window", async () => {
    // Arrange: a customer shipping to Florida with a California number, before their gift is due.
    const { shop } = await virtualShop(ny("20", "10:00"), NEW_YORK_SHOP);
    await shop.queue.enqueue(buyer("fl", "+14155550105", "US-FL"), "test");
    await shop.queue.drain();

    // Act
    const timeline = await explainOnStore(
      shop.store,
      shop.config,
      new Date(ny("20", "10:00")),
      { customer: "fl" },
      { showPhone: false },
      30,
      localPhonePlaces,
    );
    shop.stop();

    // Assert: the address speaks for the customer's zone (Florida's two) and rules.
    const gift = timeline.find((entry) => entry.kind === "pending" && entry.journey === "gift-30");
    expect(gift).toMatchObject({
      rule: "recipient's quiet hours (America/Chicago & America/New_York, Florida 8–20)",
    });
  });
});
