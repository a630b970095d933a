import { describe, expect, it } from "vitest";
import { parseShopConfig } from "../../functions/core/config.js";
import { inHoldout } from "../../functions/core/holdout.js";
import type { DecisionRecord, OrderRecord } from "../../functions/core/model.js";
import { attribute, awsCost, buildReport } from "../../functions/core/report.js";

const config = parseShopConfig({ effect: { attributionWindows: { "gift-30": "7d" } } });

const sent = (
  at: string,
  journey: DecisionRecord["journey"],
  step: string,
  customerId: string,
  orderId: string,
  template: string,
): DecisionRecord => ({
  at,
  journey,
  step,
  customerId,
  orderId,
  outcome: "sent",
  template,
  segments: 1,
});
const skipped = (
  at: string,
  journey: DecisionRecord["journey"],
  customerId: string,
  orderId: string,
  reason: string,
): DecisionRecord => ({
  at,
  journey,
  step: "first",
  customerId,
  orderId,
  outcome: "skipped",
  reason,
  template: `${journey}.first`,
});
const order = (
  orderId: string,
  customerId: string,
  paidAt: string | undefined,
  amount: number,
): OrderRecord => ({
  orderId,
  customerId,
  paidAt,
  amount,
});

describe("effect report", () => {
  const decisions: DecisionRecord[] = [
    sent("2026-06-01T11:00:00+08:00", "payment-reminder", "first", "c1", "o1", "payment-reminder.first"),
    sent("2026-06-01T12:00:00+08:00", "gift-30", "gift", "c1", "o0", "gift-30.gift"),
    sent("2026-06-01T13:00:00+08:00", "shipped", "notice", "c1", "o0", "shipped.first-time"),
    sent("2026-06-01T10:00:00+08:00", "winback", "first", "c2", "o2", "winback.first"),
    skipped("2026-06-01T10:00:00+08:00", "winback", "c3", "o3", "holdout"),
    skipped("2026-06-01T10:00:00+08:00", "winback", "c4", "o4", "holdout"),
  ];
  const orders: OrderRecord[] = [
    // Paid after its reminder (11:00) and after the gift (12:00): two eligible touches, the last one wins.
    order("o1", "c1", "2026-06-01T14:00:00+08:00", 100),
    // Another order of c1, 5 days after the gift: inside gift-30's 7-day window; the reminder only claims o1;
    // the shipped notice claims nothing.
    order("o5", "c1", "2026-06-06T12:00:00+08:00", 50),
    // c2 buys again 2 days after win-back; c3 (held out) buys too; c4 does not.
    order("o6", "c2", "2026-06-03T10:00:00+08:00", 80),
    order("o7", "c3", "2026-06-02T10:00:00+08:00", 60),
    // Paid 4 days after win-back: outside the default 3-day window.
    order("o8", "c2", "2026-06-05T10:00:01+08:00", 999),
  ];

  it("credits each paid order once, to the last message that aims at it within its window", () => {
    expect(attribute(config, decisions, orders)).toEqual([
      { orderId: "o1", journey: "gift-30", step: "gift", revenue: 100, paidAt: "2026-06-01T14:00:00+08:00" },
      { orderId: "o5", journey: "gift-30", step: "gift", revenue: 50, paidAt: "2026-06-06T12:00:00+08:00" },
      { orderId: "o6", journey: "winback", step: "first", revenue: 80, paidAt: "2026-06-03T10:00:00+08:00" },
    ]);
  });

  it("adds up sent, segments, cost, conversions, revenue, ROI and the holdout lift per journey", () => {
    const report = buildReport(config, decisions, orders);
    const winback = report.journeys.find((j) => j.journey === "winback");
    // Exact, not rounded: one segment at 0.045 and 80 of revenue is an ROI of 1777.8 (rounding the cost to
    // cents first made it 1600).
    expect(winback?.smsCost).toBeCloseTo(0.045, 10);
    expect(winback?.roi).toBeCloseTo(80 / 0.045, 6);
    expect(winback).toMatchObject({
      entered: 3,
      sent: 1,
      segments: 1,
      converted: 1,
      revenue: 80,
      skipped: { holdout: 2 },
      // 1 of 1 messaged bought vs 1 of 2 held out: +50 points.
      lift: { messaged: 1, messagedConverted: 1, holdout: 2, holdoutConverted: 1, liftPoints: 50 },
    });
    expect(report.journeys.find((j) => j.journey === "shipped")).toMatchObject({ sent: 1, converted: 0 });
    expect(report.totals).toMatchObject({ sent: 4, segments: 4, converted: 3, revenue: 230 });
    expect(report.sendsByHour[11]).toBe(1);
    expect(report.days).toEqual([
      { date: "2026-06-01", sent: 4, converted: 1, revenue: 100 },
      { date: "2026-06-03", sent: 0, converted: 1, revenue: 80 },
      { date: "2026-06-06", sent: 0, converted: 1, revenue: 50 },
    ]);
  });

  it("prices the AWS work at list prices in the SMS currency", () => {
    const workload = { transitions: 1_000_000, lambdaInvocations: 0, dynamoReads: 0, dynamoWrites: 0 };
    expect(awsCost(config, workload)).toBeCloseTo(177.5, 9); // 25 USD × 7.1
  });

  it("draws holdout groups from the customer id: stable, per journey, at the configured share", () => {
    const withHoldout = parseShopConfig({ effect: { holdout: { "payment-reminder": 0.1 } } });
    const ids = Array.from({ length: 10_000 }, (_, index) => `c${index}`);
    const held = ids.filter((id) => inHoldout(withHoldout, "payment-reminder", id));
    expect(held.length).toBeGreaterThan(900);
    expect(held.length).toBeLessThan(1100);
    expect(ids.filter((id) => inHoldout(withHoldout, "payment-reminder", id))).toEqual(held);
    expect(ids.some((id) => inHoldout(withHoldout, "gift-30", id))).toBe(false);
  });
});
