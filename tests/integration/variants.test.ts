import { describe, expect, it } from "vitest";
import type { ShopEvent } from "../../functions/core/intake/events.js";
import { variantOf } from "../../functions/core/journeys/context.js";
import { JOURNEYS_OFF } from "../support/config.js";
import { runSimulation } from "../support/local.js";

/** Issue 25 (variants): an A/B-tested template through `simulate` on DynamoDB Local. */

const VARIANTS = [
  { id: "short", weight: 1, text: "【{shop}】{name}，满月礼{couponAmount}元券{coupon}。回T退订" },
  {
    id: "warm",
    weight: 1,
    text: "【{shop}】{name}，认识满一个月啦，送您{couponAmount}元券{coupon}。回T退订",
  },
];

const buyers = (count: number): ShopEvent[] =>
  Array.from({ length: count }, (_, index) => [
    {
      type: "order.created",
      at: "2026-06-01T10:00:00+08:00",
      order: {
        id: `o${index}`,
        customer: { id: `c${index}`, phone: `+86138${String(index).padStart(8, "0")}`, name: "王芳" },
        amount: 100,
        currency: "CNY",
        paymentMethod: "online",
        gift: false,
        items: [],
      },
    } as ShopEvent,
    { type: "order.paid", at: "2026-06-01T10:05:00+08:00", orderId: `o${index}` } as ShopEvent,
  ]).flat();

describe("template variants", () => {
  it("gives each customer one variant by a stable hash, in a journey and a campaign, and records which", async () => {
    const decisions = await runSimulation(buyers(24), {
      caps: { marketingPerDay: 3 },
      journeys: { ...JOURNEYS_OFF, gift30: { enabled: true, template: VARIANTS } },
      segments: { buyers: { minPaidOrders: 1 } },
      campaigns: [
        {
          id: "ab",
          segment: "buyers",
          at: "2026-06-20T10:00:00+08:00",
          template: VARIANTS,
          coupon: { amount: 5, code: "AB5" },
        },
      ],
    });

    for (const [journey, step] of [
      ["gift-30", "gift"],
      ["campaign", "ab"],
    ]) {
      const sent = decisions.filter((d) => d.journey === journey && d.outcome === "sent");
      expect(sent).toHaveLength(24);
      for (const decision of sent) {
        const expected = variantOf(VARIANTS, `${journey}:${step}:${decision.customerId}`);
        expect(decision.variant).toBe(expected?.id);
        expect(decision.text).toContain(expected?.id === "short" ? "满月礼" : "认识满一个月啦");
      }
      const shares = new Set(sent.map((d) => d.variant));
      expect(shares).toEqual(new Set(["short", "warm"]));
    }
  });
});
