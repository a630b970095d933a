import { describe, expect, it } from "vitest";
import type { ShopEvent } from "../../functions/core/intake/events.js";
import type { DecisionRecord } from "../../functions/core/shared/model.js";
import { decisionsOf, orderCreated, runSimulation, virtualShop } from "../support/local.js";
import { local } from "../support/time.js";

/** Issue 22: the seeds' care the journeys did not give yet, through `simulate` on DynamoDB Local. */

const at = (day: string, time: string, month = "06") => local(`2026-${month}-${day}`, time);

const only = (journey: string, decisions: readonly DecisionRecord[]) => decisionsOf(journey, decisions, "to");

const paidAndShipped = (id: string, day = "10"): ShopEvent[] => [
  orderCreated(at(day, "09:00"), { id }),
  { type: "order.paid", at: at(day, "09:05"), orderId: id },
  { type: "order.shipped", at: at(day, "16:00"), orderId: id, carrier: "SF", trackingNo: `SF${id}` },
];

const PHONE = "+8613800000000";

/** Decisions taken at the same instant come in no set order: compared by order and step. */
const byOrderAndStep = <T extends { orderId?: string; step: string; at: string }>(rows: T[]) =>
  [...rows].sort(
    (a, b) =>
      a.at.localeCompare(b.at) ||
      (a.orderId ?? "").localeCompare(b.orderId ?? "") ||
      a.step.localeCompare(b.step),
  );

describe("物流异常 logistics: parcels in trouble reach customer service at once", () => {
  it("hands a parcel exception off at once and tells the customer in the notice window, once however often it is reported", async () => {
    const events: ShopEvent[] = [
      ...paidAndShipped("x1"),
      { type: "parcel.arrived_city", at: at("11", "08:00"), orderId: "x1" },
      { type: "parcel.exception", at: at("11", "23:10"), orderId: "x1", reason: "208" },
      { type: "parcel.exception", at: at("12", "07:00"), orderId: "x1", reason: "209" },
    ];

    const decisions = await runSimulation(events, { journeys: { arrived: { enabled: false } } });

    expect(only("logistics", decisions)).toEqual([
      {
        at: "2026-06-11T08:00:00.000+08:00",
        step: "stalled",
        orderId: "x1",
        outcome: "skipped",
        reason: "parcel-moved",
        template: "logistics.handoff",
        to: PHONE,
      },
      {
        at: "2026-06-11T23:10:00.000+08:00",
        step: "exception",
        orderId: "x1",
        outcome: "handoff",
        reason: "parcel-exception",
        template: "logistics.handoff",
        to: PHONE,
      },
      {
        at: "2026-06-12T08:00:00.000+08:00",
        step: "exception-notice",
        orderId: "x1",
        outcome: "sent",
        template: "logistics.exception",
        to: PHONE,
      },
    ]);
    const notice = decisions.find((decision) => decision.step === "exception-notice");
    expect(notice?.text).toBe(
      "【Shop】王芳您好，您的包裹（顺丰速运 SFx1）运输中出现异常，我们已在联系快递处理，有进展第一时间告诉您。",
    );
  });

  it("tells customer service the carrier, tracking number and reason of a parcel exception", async () => {
    const events: ShopEvent[] = [
      ...paidAndShipped("d1"),
      { type: "parcel.exception", at: at("11", "09:00"), orderId: "d1", reason: "209" },
    ];
    const { shop, clock, failures } = await virtualShop(at("10", "09:00"));

    for (const event of events) {
      await clock.advanceTo(new Date(event.at));
      await shop.queue.enqueue([event], "test");
      await shop.queue.drain();
    }
    await clock.runUntilIdle();
    await shop.engine.drain();

    expect(failures).toEqual([]);
    const handoffs = (await shop.store.listOutbox()).filter((entry) => entry.kind === "handoff");
    expect(handoffs.map((entry) => JSON.parse(entry.text))).toEqual([
      expect.objectContaining({
        journey: "logistics",
        step: "exception",
        orderId: "d1",
        reason: "parcel-exception",
        summary: "logistics: parcel-exception on order d1 (顺丰速运 SFd1): 209",
        details: { carrier: "顺丰速运", trackingNo: "SFd1", reason: "209" },
      }),
    ]);
    shop.stop();
  });

  it("hands off a refused parcel (no SMS unless notifyRejected) and a returned one", async () => {
    const events: ShopEvent[] = [
      ...paidAndShipped("r1"),
      { type: "parcel.rejected", at: at("12", "14:00"), orderId: "r1" },
      { type: "parcel.returned", at: at("12", "18:00"), orderId: "r1" },
    ];

    const byDefault = await runSimulation(events);
    const notifying = await runSimulation(events, { journeys: { logistics: { notifyRejected: true } } });

    const steps = (decisions: readonly DecisionRecord[]) =>
      byOrderAndStep(only("logistics", decisions)).map(({ at, step, outcome, reason, template }) => [
        at.slice(5, 16),
        step,
        outcome,
        reason,
        template,
      ]);
    expect(steps(byDefault)).toEqual([
      ["06-12T14:00", "rejected", "handoff", "parcel-rejected", "logistics.handoff"],
      ["06-12T14:00", "stalled", "skipped", "parcel-moved", "logistics.handoff"],
      ["06-12T18:00", "returned", "handoff", "parcel-returned", "logistics.handoff"],
    ]);
    expect(steps(notifying)).toEqual([
      ["06-12T14:00", "rejected", "handoff", "parcel-rejected", "logistics.handoff"],
      ["06-12T14:00", "rejected-notice", "sent", undefined, "logistics.rejected"],
      ["06-12T14:00", "stalled", "skipped", "parcel-moved", "logistics.handoff"],
      ["06-12T18:00", "returned", "handoff", "parcel-returned", "logistics.handoff"],
    ]);
  });

  it("hands off a parcel with no tracking event stalledAfter after shipping, and skips a cancelled order's", async () => {
    const events: ShopEvent[] = [
      ...paidAndShipped("s1"),
      ...paidAndShipped("s2"),
      { type: "order.cancelled", at: at("11", "12:00"), orderId: "s2" },
    ];

    const decisions = await runSimulation(events, { journeys: { logistics: { stalledAfter: "48h" } } });

    // The cancelled order's watch skips both steps; the handoff is made at 16:00 and the notice too (in window).
    expect(byOrderAndStep(only("logistics", decisions))).toEqual([
      {
        at: "2026-06-12T16:00:00.000+08:00",
        step: "stalled",
        orderId: "s1",
        outcome: "handoff",
        reason: "parcel-stalled",
        template: "logistics.handoff",
        to: PHONE,
      },
      {
        at: "2026-06-12T16:00:00.000+08:00",
        step: "stalled-notice",
        orderId: "s1",
        outcome: "sent",
        template: "logistics.stalled",
        to: PHONE,
      },
      {
        at: "2026-06-12T16:00:00.000+08:00",
        step: "stalled",
        orderId: "s2",
        outcome: "skipped",
        reason: "cancelled",
        template: "logistics.handoff",
        to: PHONE,
      },
      {
        at: "2026-06-12T16:00:00.000+08:00",
        step: "stalled-notice",
        orderId: "s2",
        outcome: "skipped",
        reason: "cancelled",
        template: "logistics.stalled",
        to: PHONE,
      },
    ]);
  });
});

describe("催付 payment reminders that fit the buyer", () => {
  const unpaid = (id: string, customerId: string, time = "10:00") =>
    orderCreated(at("10", time), { id, customerId });

  it("greets a returning customer with first-returning, and uses first-promotion with its name and end inside a promotion", async () => {
    const events: ShopEvent[] = [
      orderCreated(at("01", "10:00"), { id: "old", customerId: "c-back" }),
      { type: "order.paid", at: at("01", "10:05"), orderId: "old" },
      unpaid("again", "c-back"),
      unpaid("new", "c-new"),
    ];
    const promotion = {
      promotions: [{ name: "618大促", start: at("09", "00:00"), end: at("18", "23:59") }],
    };

    const plain = await runSimulation(events);
    const inPromotion = await runSimulation(events, promotion);

    const first = (decisions: readonly DecisionRecord[], orderId: string) =>
      decisions.find((d) => d.journey === "payment-reminder" && d.orderId === orderId && d.step === "first");
    expect(first(plain, "again")).toMatchObject({
      outcome: "sent",
      template: "payment-reminder.first-returning",
      text: "【Shop】王芳，感谢一直以来的支持！您的订单again还未付款，宝贝已为您预留，方便时完成支付即可。",
    });
    expect(first(plain, "new")).toMatchObject({ outcome: "sent", template: "payment-reminder.first" });
    expect(first(inPromotion, "new")).toMatchObject({
      outcome: "sent",
      template: "payment-reminder.first-promotion",
      text: "【Shop】王芳您好，订单new未付款，618大促优惠06-18 23:59结束，请尽快支付。",
    });
  });

  it("makes the second reminder a call with second.channel handoff, and puts a coupon in the second SMS with second.coupon", async () => {
    const events: ShopEvent[] = [unpaid("h1", "c-h1")];

    const handoff = await runSimulation(events, {
      journeys: { paymentReminder: { second: { channel: "handoff" } } },
    });
    const coupon = await runSimulation(events, {
      journeys: {
        paymentReminder: {
          second: { coupon: { amount: 5, code: "PAY5" } },
          templates: {
            second: "【{shop}】{name}您好，订单{orderId}将于{closeAt}关闭，送您{couponAmount}元券{coupon}。",
          },
        },
      },
    });

    const reminders = (decisions: readonly DecisionRecord[]) =>
      only("payment-reminder", decisions).map(({ at, step, outcome, reason }) => [at, step, outcome, reason]);
    expect(reminders(handoff)).toEqual([
      ["2026-06-10T11:00:00.000+08:00", "first", "sent", undefined],
      ["2026-06-11T10:00:00.000+08:00", "second", "handoff", "second-reminder"],
    ]);
    expect(coupon.find((d) => d.step === "second")?.text).toBe(
      "【Shop】王芳您好，订单h1将于06-13 10:00关闭，送您5元券PAY5。",
    );
  });

  it("waits firstAfterCsReminder after customer service's own reminder before the first SMS", async () => {
    const events: ShopEvent[] = [
      unpaid("cs1", "c-cs1"),
      { type: "order.reminded", at: at("10", "10:20"), orderId: "cs1", by: "cs" },
      unpaid("cs2", "c-cs2"),
      // After the first SMS went out: nothing moves.
      { type: "order.reminded", at: at("10", "11:30"), orderId: "cs2", by: "cs" },
    ];

    const decisions = await runSimulation(events);

    const firsts = only("payment-reminder", decisions)
      .filter((d) => d.step === "first")
      .map(({ at, orderId, outcome }) => [orderId, at, outcome]);
    expect(firsts).toEqual([
      ["cs2", "2026-06-10T11:00:00.000+08:00", "sent"],
      ["cs1", "2026-06-10T16:20:00.000+08:00", "sent"],
    ]);
  });

  it("names the field when templates.second uses {coupon} without second.coupon", async () => {
    const { parseShopConfig } = await import("../../functions/core/config/config.js");
    expect(() =>
      parseShopConfig({ journeys: { paymentReminder: { templates: { second: "【{shop}】券{coupon}" } } } }),
    ).toThrow(/journeys\.paymentReminder\.templates\.second: \{coupon\} and \{couponAmount\} need/);
  });
});
