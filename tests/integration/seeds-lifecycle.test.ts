import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import type { ShopEvent } from "../../functions/core/intake/events.js";
import { journeyModule } from "../../functions/core/journeys/index.js";
import type { DecisionRecord } from "../../functions/core/shared/model.js";
import { parseEventLines } from "../../functions/local/simulator/simulate.js";
import { orderCreated, runSimulation } from "../support/local.js";
import { local } from "../support/time.js";

/** Issue 22: the seeds' lifecycle care — birthdays, gift shops — and the seeds' example stream, through `simulate` on DynamoDB Local. */

const at = (day: string, time: string, month = "06") => local(`2026-${month}-${day}`, time);

const PHONE = "+8613800000000";

describe("生日关怀 birthday: a greeting on the birthday, once a year, re-armed every year", () => {
  const withBirthday = (event: ShopEvent, birthday: string): ShopEvent => {
    const created = event as Extract<ShopEvent, { type: "order.created" }>;
    return { ...created, order: { ...created.order, customer: { ...created.order.customer, birthday } } };
  };
  const greetings = (decisions: readonly DecisionRecord[]) =>
    decisions
      .filter((decision) => decision.journey === "birthday")
      .map(({ at, step, customerId, orderId, outcome, reason, template }) => ({
        at,
        step,
        customerId,
        ...(orderId ? { orderId } : {}),
        outcome,
        ...(reason ? { reason } : {}),
        template,
      }));

  it("greets a paying customer at the first marketing slot on the birthday this year and the next, with the coupon", async () => {
    const events: ShopEvent[] = [
      withBirthday(orderCreated(at("10", "09:00"), { id: "b1", customerId: "c-b1" }), "06-20"),
      { type: "order.paid", at: at("10", "09:05"), orderId: "b1" },
    ];

    const decisions = await runSimulation(events, {
      journeys: { birthday: { couponAmount: 20, coupon: { code: "HB20" } } },
    });

    const greeting = { step: "greeting", customerId: "c-b1", outcome: "sent", template: "birthday.greeting" };
    expect(greetings(decisions)).toEqual([
      { at: "2026-06-20T10:00:00.000+08:00", ...greeting },
      { at: "2027-06-20T10:00:00.000+08:00", ...greeting },
    ]);
    expect(decisions.find((d) => d.journey === "birthday")?.text).toBe(
      "【Shop】王芳，生日快乐！送您20元生日券HB20，愿新的一岁事事顺心。拒收请回复R",
    );
  });

  it("skips a customer with no paid order (no-paid-order), and moves the greeting when customer.updated changes the birthday", async () => {
    const events: ShopEvent[] = [
      withBirthday(orderCreated(at("10", "09:00"), { id: "u1", customerId: "c-unpaid" }), "06-20"),
      withBirthday(orderCreated(at("10", "09:00"), { id: "m1", customerId: "c-moved" }), "06-20"),
      { type: "order.paid", at: at("10", "09:05"), orderId: "m1" },
      {
        type: "customer.updated",
        at: at("12", "12:00"),
        customer: { id: "c-moved", name: "王芳", birthday: "07-01" },
      },
    ];

    const decisions = await runSimulation(events, { journeys: { paymentReminder: { enabled: false } } });

    expect(
      greetings(decisions).map(({ at, customerId, outcome, reason }) => [at, customerId, outcome, reason]),
    ).toEqual([
      ["2026-06-20T10:00:00.000+08:00", "c-unpaid", "skipped", "no-paid-order"],
      ["2026-07-01T10:00:00.000+08:00", "c-moved", "sent", undefined],
      ["2027-06-20T10:00:00.000+08:00", "c-unpaid", "skipped", "no-paid-order"],
      ["2027-07-01T10:00:00.000+08:00", "c-moved", "sent", undefined],
    ]);
  });

  it("celebrates 29 February on 28 February in other years, and hands a wait longer than 300 days to a fresh execution", async () => {
    const events: ShopEvent[] = [
      withBirthday(orderCreated(at("01", "09:00", "02"), { id: "l1", customerId: "c-leap" }), "02-29"),
      { type: "order.paid", at: at("01", "09:05", "02"), orderId: "l1" },
      // Known just after the birthday's last slot: the next greeting is a year away, past one execution's
      // 300-day relay age (the machine's timeout is 364 days: a wait that long would time out and fail the run).
      withBirthday(orderCreated(at("20", "18:00"), { id: "r1", customerId: "c-late" }), "06-20"),
      { type: "order.paid", at: at("20", "18:05"), orderId: "r1" },
    ];

    const decisions = await runSimulation(events, { journeys: { paymentReminder: { enabled: false } } });

    expect(greetings(decisions).map(({ at, customerId, outcome }) => [at, customerId, outcome])).toEqual([
      ["2026-02-28T10:00:00.000+08:00", "c-leap", "sent"],
      ["2027-02-28T10:00:00.000+08:00", "c-leap", "sent"],
      ["2027-06-20T10:00:00.000+08:00", "c-late", "sent"],
    ]);
  });
});

describe("好评关怀 and gift shops: a coupon with the thanks, notices to the payer", () => {
  it("thanks a good review with thanks-coupon (a marketing message with the coupon) once thanksCoupon is set", async () => {
    const events: ShopEvent[] = [
      orderCreated(at("10", "09:00"), { id: "t1" }),
      { type: "order.paid", at: at("10", "09:05"), orderId: "t1" },
      { type: "review.posted", at: at("14", "08:30"), orderId: "t1", rating: "good", auto: false },
    ];

    const plain = await runSimulation(events);
    const coupon = await runSimulation(events, {
      journeys: { reviewCare: { thanksCoupon: { amount: 10, code: "THX10" } } },
    });

    const thanks = (decisions: readonly DecisionRecord[]) =>
      decisions.find((decision) => decision.journey === "review-care" && decision.step === "thanks");
    expect(thanks(plain)).toMatchObject({
      at: "2026-06-14T08:30:00.000+08:00",
      template: "review-care.thanks",
    });
    // Marketing: at the next marketing slot, with the opt-out line.
    expect(thanks(coupon)).toMatchObject({
      at: "2026-06-14T10:00:00.000+08:00",
      outcome: "sent",
      template: "review-care.thanks-coupon",
      text: "【Shop】王芳，谢谢您的认可！送您10元券THX10，下次购物可用。拒收请回复R",
    });
  });

  it("sends a gift order's shipped and arrival notices to order.payer.phone with giftOrders payer, and skips them by default", async () => {
    const gift = orderCreated(at("10", "09:00"), { id: "g1" }) as Extract<
      ShopEvent,
      { type: "order.created" }
    >;
    const events: ShopEvent[] = [
      { ...gift, order: { ...gift.order, gift: true, payer: { phone: "+8613911112222" } } },
      { type: "order.paid", at: at("10", "09:05"), orderId: "g1" },
      { type: "order.shipped", at: at("10", "16:00"), orderId: "g1", carrier: "SF", trackingNo: "SFg1" },
      { type: "parcel.arrived_city", at: at("11", "12:00"), orderId: "g1" },
    ];

    const byDefault = await runSimulation(events);
    const toPayer = await runSimulation(events, { journeys: { shipped: { giftOrders: "payer" } } });

    const notices = (decisions: readonly DecisionRecord[]) =>
      decisions
        .filter((decision) => decision.journey === "shipped" || decision.journey === "arrived")
        .map(({ journey, outcome, reason, to }) => [journey, outcome, reason, to]);
    expect(notices(byDefault)).toEqual([
      ["shipped", "skipped", "gift", PHONE],
      ["arrived", "skipped", "gift", PHONE],
    ]);
    expect(notices(toPayer)).toEqual([
      ["shipped", "sent", undefined, "+8613911112222"],
      ["arrived", "sent", undefined, "+8613911112222"],
    ]);
  });
});

describe("examples/seeds-care.jsonl", () => {
  it("runs to exactly the logistics, reminder, birthday and gift-payer decisions its comments describe", async () => {
    const events = parseEventLines(await readFile("examples/seeds-care.jsonl", "utf8"));

    const decisions = await runSimulation(events, { journeys: { shipped: { giftOrders: "payer" } } });
    // Every step decided is one its journey declares (the console draws the declared steps).
    for (const decision of decisions) expect(journeyModule(decision.journey).steps).toContain(decision.step);

    const lines = decisions
      .filter(
        (d) => ["logistics", "birthday", "shipped", "arrived"].includes(d.journey) || d.orderId === "P3",
      )
      .map((d) =>
        [
          d.at.slice(0, 16),
          d.orderId ?? d.customerId,
          d.step,
          d.outcome,
          d.reason ?? "",
          d.template,
          d.to,
        ].join(" "),
      )
      .sort();
    expect(lines).toEqual(
      [
        "2026-06-01T16:00 P2 notice sent  shipped.first-time +8613800000012",
        "2026-06-01T17:00 P1 notice sent  shipped.first-time +8613800000011",
        "2026-06-02T18:00 P5 notice sent  shipped.first-time +8613800000015",
        "2026-06-02T23:30 P1 exception handoff parcel-exception logistics.handoff +8613800000011",
        "2026-06-02T23:30 P1 stalled skipped parcel-moved logistics.handoff +8613800000011",
        "2026-06-03T08:00 P1 exception-notice sent  logistics.exception +8613800000011",
        "2026-06-03T15:00 P5 delivered sent  arrived.delivered +8613800000015",
        "2026-06-03T15:00 P5 stalled skipped parcel-moved logistics.handoff +8613800000014",
        "2026-06-03T16:20 P3 first sent  payment-reminder.first-returning +8613800000012",
        "2026-06-04T10:00 P3 second sent  payment-reminder.second +8613800000012",
        "2026-06-04T15:00 P1 rejected handoff parcel-rejected logistics.handoff +8613800000011",
        "2026-06-04T16:00 P2 stalled handoff parcel-stalled logistics.handoff +8613800000012",
        "2026-06-04T16:00 P2 stalled-notice sent  logistics.stalled +8613800000012",
        "2026-06-04T18:00 P1 returned handoff parcel-returned logistics.handoff +8613800000011",
        "2026-06-18T10:00 sun greeting sent  birthday.greeting +8613800000013",
        "2027-06-18T10:00 sun greeting sent  birthday.greeting +8613800000013",
      ].sort(),
    );
  });
});
