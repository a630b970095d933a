import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import type { ShopEvent } from "../../functions/core/intake/events.js";
import { journeyModule } from "../../functions/core/journeys/index.js";
import type { DecisionRecord } from "../../functions/core/shared/model.js";
import { parseEventLines } from "../../functions/local/simulator/simulate.js";
import { orderCreated, runSimulation, virtualShop } from "../support/local.js";
import { june as at } from "../support/time.js";

const ORDER_CARE = new Set(["shipped", "arrived", "review-care"]);

/** Order-care decisions as `<local time> <order> <journey>.<step> <outcome> [reason] [template]`. */
function lines(decisions: readonly DecisionRecord[], options: { templates?: boolean } = {}): string[] {
  return decisions
    .filter((d) => ORDER_CARE.has(d.journey))
    .map((d) =>
      [
        d.at.slice(5, 16),
        d.orderId,
        `${d.journey}.${d.step}`,
        d.outcome,
        d.reason,
        options.templates ? d.template : undefined,
      ]
        .filter((part) => part !== undefined)
        .join(" "),
    )
    .sort();
}

const paidOrder = (
  id: string,
  created: string,
  extra: Parameters<typeof orderCreated>[1] = {},
): ShopEvent[] => [
  orderCreated(created, { id, customerId: `c-${id}`, ...extra }),
  { type: "order.paid", at: created, orderId: id },
];

/** Delivers each batch of webhooks at its arrival time, on the virtual clock, then runs to the end. */
async function deliverAtArrival(
  batches: readonly (readonly [arrival: string, events: readonly ShopEvent[]])[],
  config: unknown = {},
) {
  const first = batches[0]?.[0] as string;
  const { shop, clock, failures } = await virtualShop(first, config);
  for (const [arrival, events] of batches) {
    await clock.advanceTo(new Date(arrival));
    await shop.queue.enqueue([...events], "test");
    await shop.queue.drain();
  }
  await clock.runUntilIdle();
  await shop.engine.drain();
  expect(failures).toEqual([]);
  return { shop, decisions: await shop.store.listDecisions() };
}

describe("order-care journeys on the local engine (shipped, arrived, review care)", () => {
  it("runs the example stream to exactly the decisions the rules call for", async () => {
    const events = parseEventLines(await readFile("examples/order-care.jsonl", "utf8"));

    const decisions = await runSimulation(events);

    for (const decision of decisions) expect(journeyModule(decision.journey).steps).toContain(decision.step);
    expect(lines(decisions, { templates: true })).toEqual(
      [
        // Wang, first order: shipped at 21:30 (inside the window), duplicate arrival event, good review.
        "06-01T21:30 A1 shipped.notice sent shipped.first-time",
        "06-03T08:00 A1 arrived.arrived-city sent arrived.arrived-city",
        "06-03T11:20 A1 arrived.delivered sent arrived.delivered",
        "06-04T12:00 A1 review-care.thanks sent review-care.thanks",
        "06-06T17:00 A1 review-care.request skipped reviewed review-care.request",
        // Li, returning: the shipping event came before the order, and is applied when it arrives.
        "06-01T14:02 B1 shipped.notice sent shipped.returning",
        "06-03T16:00 B1 arrived.delivered sent arrived.delivered",
        "06-03T20:00 B1 review-care.follow-up handoff bad-review review-care.follow-up",
        "06-03T20:00 B1 review-care.apology sent review-care.apology",
        "06-06T17:00 B1 review-care.request skipped reviewed review-care.request",
        // Zhao's gift order: no parcel messages and no feedback request.
        "06-01T15:00 C1 shipped.notice skipped gift shipped.first-time",
        "06-02T10:30 C1 arrived.delivered skipped gift arrived.delivered",
        "06-05T17:00 C1 review-care.request skipped gift review-care.request",
        // An order the shop never sent, after the 24 h grace.
        "06-03T09:00 X9 arrived.arrived-city skipped unknown-order arrived.arrived-city",
      ].sort(),
    );
    const shippedNotice = decisions.find((d) => d.journey === "shipped" && d.orderId === "A1");
    expect(shippedNotice?.text).toBe(
      "【Shop】王芳您好，您的宝贝已由顺丰速运发出，运单号SF1234567890。第一次在本店购物，有任何问题直接回复我们。",
    );
    expect(decisions.find((d) => d.orderId === "X9")).not.toHaveProperty("customerId");
  });

  it("speaks English with the English example config", async () => {
    const english = JSON.parse(await readFile("examples/shop.en.json", "utf8"));
    const events: ShopEvent[] = [
      ...paidOrder("uk1", "2026-06-01T09:00:00+01:00", { name: "Amy", phone: "+447700900123" }),
      {
        type: "order.shipped",
        at: "2026-06-01T14:00:00+01:00",
        orderId: "uk1",
        carrier: "RM",
        trackingNo: "RM123456785GB",
      },
    ];

    const decisions = await runSimulation(events, english);

    const notice = decisions.find((d) => d.journey === "shipped");
    expect(notice).toMatchObject({
      at: "2026-06-01T14:00:00.000+01:00",
      outcome: "sent",
      text: "[Teahouse] Hi Amy, your first order is on its way with Royal Mail, tracking RM123456785GB. Questions? Just reply.",
      segments: 1,
    });
  });

  describe("shipped", () => {
    it("holds a late-evening notice to 08:00 and skips it if the parcel is delivered first", async () => {
      const events: ShopEvent[] = [
        ...paidOrder("late", at("01", "10:00")),
        { type: "order.shipped", at: at("01", "22:30"), orderId: "late", carrier: "JD", trackingNo: "JD001" },
        ...paidOrder("fast", at("01", "10:00")),
        { type: "order.shipped", at: at("01", "23:00"), orderId: "fast", carrier: "SF", trackingNo: "SF002" },
        { type: "parcel.delivered", at: at("02", "07:30"), orderId: "fast" },
      ];

      const decisions = await runSimulation(events, { journeys: { reviewCare: { enabled: false } } });

      expect(lines(decisions)).toEqual(
        [
          "06-02T08:00 late shipped.notice sent",
          "06-02T08:00 fast shipped.notice skipped already-delivered",
          "06-02T08:00 fast arrived.delivered sent",
        ].sort(),
      );
      expect(decisions.find((d) => d.orderId === "late" && d.journey === "shipped")?.text).toContain(
        "京东物流发出，运单号JD001",
      );
    });

    it("sends gift orders when configured, and skips cancelled orders", async () => {
      const events: ShopEvent[] = [
        orderCreated(at("01", "09:00"), { id: "g1", customerId: "giver" }),
        { type: "order.paid", at: at("01", "09:00"), orderId: "g1" },
        { type: "order.cancelled", at: at("01", "11:00"), orderId: "cx" },
        orderCreated(at("01", "10:00"), { id: "cx" }),
        { type: "order.shipped", at: at("01", "12:00"), orderId: "cx", carrier: "SF", trackingNo: "SF3" },
      ];
      (events[0] as Extract<ShopEvent, { type: "order.created" }>).order.gift = true;
      events.push({
        type: "order.shipped",
        at: at("01", "12:00"),
        orderId: "g1",
        carrier: "SF",
        trackingNo: "SF4",
      });

      const decisions = await runSimulation(events, { journeys: { shipped: { giftOrders: "send" } } });

      expect(lines(decisions)).toEqual([
        "06-01T12:00 cx shipped.notice skipped cancelled",
        "06-01T12:00 g1 shipped.notice sent",
      ]);
    });
  });

  describe("arrived", () => {
    it("sends one message per stage however often the tracking service repeats an event", async () => {
      const delivered: ShopEvent = { type: "parcel.delivered", at: at("03", "15:00"), orderId: "rep" };
      const city: ShopEvent = { type: "parcel.arrived_city", at: at("02", "18:00"), orderId: "rep" };

      const { shop, decisions } = await deliverAtArrival(
        [
          [at("01", "10:00"), paidOrder("rep", at("01", "10:00"))],
          [at("02", "18:00"), [city]],
          [at("02", "18:05"), [city, city]],
          [at("03", "15:00"), [delivered]],
          [at("03", "16:00"), [delivered, city]],
        ],
        { journeys: { reviewCare: { enabled: false } } },
      );

      expect(lines(decisions)).toEqual([
        "06-02T18:00 rep arrived.arrived-city sent",
        "06-03T15:00 rep arrived.delivered sent",
      ]);
      const parcelTexts = (await shop.store.listOutbox())
        .filter((entry) => entry.kind === "sms" && /包裹/.test(entry.text))
        .map((entry) => entry.text);
      expect(parcelTexts).toHaveLength(2);
    });

    it("sends out-for-delivery only when configured, and skips a held arrival notice once delivered", async () => {
      const events: ShopEvent[] = [
        ...paidOrder("o4d", at("01", "10:00")),
        { type: "parcel.arrived_city", at: at("01", "23:00"), orderId: "o4d" },
        { type: "parcel.out_for_delivery", at: at("02", "06:30"), orderId: "o4d" },
        { type: "parcel.delivered", at: at("02", "07:45"), orderId: "o4d" },
      ];
      const noReviews = { reviewCare: { enabled: false } };

      const byDefault = await runSimulation(events, { journeys: noReviews });
      const withOutForDelivery = await runSimulation(events, {
        journeys: { ...noReviews, arrived: { outForDelivery: true } },
      });

      expect(lines(byDefault)).toEqual([
        "06-02T08:00 o4d arrived.arrived-city skipped already-delivered",
        "06-02T08:00 o4d arrived.delivered sent",
      ]);
      expect(lines(withOutForDelivery)).toEqual([
        "06-02T08:00 o4d arrived.arrived-city skipped already-delivered",
        "06-02T08:00 o4d arrived.delivered sent",
        "06-02T08:00 o4d arrived.out-for-delivery skipped already-delivered",
      ]);
    });

    it("keeps events for an unknown order and applies them when the order arrives, or skips after the grace", async () => {
      const early: ShopEvent = { type: "parcel.arrived_city", at: at("02", "09:00"), orderId: "late-order" };
      const orphan: ShopEvent = { type: "parcel.arrived_city", at: at("02", "09:00"), orderId: "never" };

      const { decisions } = await deliverAtArrival(
        [
          [at("02", "09:00"), [early, orphan]],
          // The order (created the day before) arrives 90 minutes after its tracking event.
          [at("02", "10:30"), paidOrder("late-order", at("01", "10:00"))],
          [at("02", "10:31"), [early]],
        ],
        { unknownOrderGrace: "6h", journeys: { reviewCare: { enabled: false } } },
      );

      expect(lines(decisions)).toEqual([
        "06-02T10:30 late-order arrived.arrived-city sent",
        "06-02T15:00 never arrived.arrived-city skipped unknown-order",
      ]);
    });
  });

  describe("review care", () => {
    it("asks for feedback 3 days after delivery (or completion, if earlier) at a marketing slot, for the first 2 paid orders", async () => {
      const events: ShopEvent[] = [
        ...paidOrder("r1", at("01", "09:00"), { customerId: "rita", phone: "+8613900000001" }),
        { type: "parcel.delivered", at: at("02", "11:00"), orderId: "r1" },
        ...paidOrder("r2", at("10", "09:00"), { customerId: "rita", phone: "+8613900000001" }),
        { type: "order.completed", at: at("11", "08:00"), orderId: "r2" },
        { type: "parcel.delivered", at: at("12", "11:00"), orderId: "r2" },
        ...paidOrder("r3", at("20", "09:00"), { customerId: "rita", phone: "+8613900000001" }),
        { type: "parcel.delivered", at: at("21", "11:00"), orderId: "r3" },
      ];

      const decisions = await runSimulation(events, { journeys: { arrived: { enabled: false } } });

      expect(lines(decisions)).toEqual([
        "06-05T17:00 r1 review-care.request sent",
        "06-14T10:00 r2 review-care.request sent",
        "06-24T17:00 r3 review-care.request skipped later-order",
      ]);
    });

    it("skips the request after a refund, a posted review, or for a customer who reviews automatically", async () => {
      const events: ShopEvent[] = [
        ...paidOrder("refunded", at("01", "09:00")),
        { type: "parcel.delivered", at: at("02", "11:00"), orderId: "refunded" },
        { type: "refund.completed", at: at("04", "12:00"), orderId: "refunded", amount: 20 },
        ...paidOrder("auto1", at("01", "09:00"), { customerId: "robot" }),
        { type: "parcel.delivered", at: at("02", "11:00"), orderId: "auto1" },
        { type: "review.posted", at: at("03", "11:00"), orderId: "auto1", rating: "good", auto: true },
        ...paidOrder("auto2", at("10", "09:00"), { customerId: "robot" }),
        { type: "parcel.delivered", at: at("11", "11:00"), orderId: "auto2" },
      ];

      const decisions = await runSimulation(events, { journeys: { arrived: { enabled: false } } });

      expect(lines(decisions)).toEqual([
        "06-03T11:00 auto1 review-care.thanks skipped auto-review",
        "06-05T17:00 auto1 review-care.request skipped reviewed",
        "06-05T17:00 refunded review-care.request skipped refunded",
        "06-14T17:00 auto2 review-care.request skipped auto-reviewer",
      ]);
    });

    it("answers a bad review with a handoff carrying the rating and text, then an apology in the window", async () => {
      const { shop, decisions } = await deliverAtArrival(
        [
          [at("01", "09:00"), paidOrder("bad", at("01", "09:00"))],
          [at("02", "11:00"), [{ type: "parcel.delivered", at: at("02", "11:00"), orderId: "bad" }]],
          [
            at("02", "23:30"),
            [
              {
                type: "review.posted",
                at: at("02", "23:30"),
                orderId: "bad",
                rating: "bad",
                auto: false,
                text: "漏液了",
              },
            ],
          ],
          // A second review (an edit) changes nothing.
          [
            at("03", "09:00"),
            [{ type: "review.posted", at: at("03", "09:00"), orderId: "bad", rating: "good", auto: false }],
          ],
        ],
        { journeys: { arrived: { enabled: false } } },
      );

      expect(lines(decisions)).toEqual([
        "06-02T23:30 bad review-care.follow-up handoff bad-review",
        "06-03T08:00 bad review-care.apology sent",
        "06-05T17:00 bad review-care.request skipped reviewed",
      ]);
      const handoffs = (await shop.store.listOutbox()).filter((entry) => entry.kind === "handoff");
      expect(handoffs).toHaveLength(1);
      expect(JSON.parse(handoffs[0]?.text ?? "{}")).toMatchObject({
        journey: "review-care",
        orderId: "bad",
        reason: "bad-review",
        details: { rating: "bad", text: "漏液了" },
      });
    });

    it("skips the request for a customer who opted out (it is marketing), but still replies to their review", async () => {
      const events: ShopEvent[] = [
        ...paidOrder("quiet", at("01", "09:00"), { phone: "+8613900000009" }),
        { type: "customer.opted_out", at: at("01", "12:00"), phone: "+8613900000009" },
        { type: "parcel.delivered", at: at("02", "11:00"), orderId: "quiet" },
        { type: "review.posted", at: at("06", "12:00"), orderId: "quiet", rating: "neutral", auto: false },
      ];

      const decisions = await runSimulation(events, { journeys: { arrived: { enabled: false } } });

      expect(lines(decisions)).toEqual([
        "06-05T17:00 quiet review-care.request skipped opted-out",
        "06-06T12:00 quiet review-care.apology sent",
        "06-06T12:00 quiet review-care.follow-up handoff neutral-review",
      ]);
    });
  });
});
