import { describe, expect, it } from "vitest";
import { parseShopConfig } from "../../functions/core/config/config.js";
import { inHoldout } from "../../functions/core/customers/holdout.js";
import { attribute, awsCost, buildReport } from "../../functions/core/insight/report.js";
import type { DecisionRecord, OrderRecord } from "../../functions/core/shared/model.js";

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
    const credit = (
      orderId: string,
      journey: string,
      step: string,
      revenue: number,
      paidAt: string,
      customerId: string,
      sentAt: string,
    ) => ({
      orderId,
      journey,
      step,
      revenue,
      paidAt,
      customerId,
      sentAt,
      items: 0,
    });
    expect(attribute(config, decisions, orders)).toEqual([
      credit("o1", "gift-30", "gift", 100, "2026-06-01T14:00:00+08:00", "c1", "2026-06-01T12:00:00+08:00"),
      credit("o5", "gift-30", "gift", 50, "2026-06-06T12:00:00+08:00", "c1", "2026-06-01T12:00:00+08:00"),
      credit("o6", "winback", "first", 80, "2026-06-03T10:00:00+08:00", "c2", "2026-06-01T10:00:00+08:00"),
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
      lift: {
        messaged: 1,
        messagedConverted: 1,
        holdout: 2,
        holdoutConverted: 1,
        liftPoints: 50,
        // One of one against one of two: anything from −39 to +91 points, far from decided.
        liftInterval: { low: expect.closeTo(-39.1, 1), high: expect.closeTo(90.5, 1) },
        significant: false,
        neededPerGroup: 8,
      },
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

describe("campaign reports (per campaign, per customer group, by day since the message)", () => {
  const campaignConfig = parseShopConfig({
    segments: { everyone: {} },
    campaigns: [
      {
        id: "newyear",
        segment: "everyone",
        at: "2027-01-01T10:00:00+08:00",
        template: "【{shop}】{name}新年快乐。回T退订",
      },
      {
        id: "flash",
        segment: "everyone",
        at: "2027-01-10T10:00:00+08:00",
        until: "2027-01-10T21:00:00+08:00",
        template: "【{shop}】{name}限时特惠。回T退订",
        attributionWindow: "12h",
      },
    ],
  });
  const campaignSend = (at: string, step: string, customerId: string): DecisionRecord => ({
    at,
    journey: "campaign",
    step,
    customerId,
    outcome: "sent",
    template: `campaign.${step}`,
    segments: 1,
  });
  const paid = (
    orderId: string,
    customerId: string,
    paidAt: string,
    amount: number,
    items = 1,
  ): OrderRecord => ({
    orderId,
    customerId,
    paidAt,
    amount,
    items: [{ quantity: items }],
  });
  const decisions = [
    campaignSend("2027-01-01T10:00:00+08:00", "newyear", "c1"),
    campaignSend("2027-01-01T10:00:01+08:00", "newyear", "c2"),
    campaignSend("2027-01-01T10:00:02+08:00", "newyear", "c3"),
    // c2 also got a gift after the greeting: its order is the gift's (the last message that could earn it).
    sent("2027-01-02T10:00:00+08:00", "gift-30", "gift", "c2", "x", "gift-30.gift"),
    campaignSend("2027-01-10T10:00:00+08:00", "flash", "c1"),
  ];
  const orders = [
    // Before the campaign: c1 a returning customer, c2 new, c3 a prospect.
    paid("p1", "c1", "2026-10-01T10:00:00+08:00", 100),
    paid("p2", "c1", "2026-11-01T10:00:00+08:00", 100),
    paid("p3", "c2", "2026-11-01T10:00:00+08:00", 100),
    // After: c1 the same day and three days later (until + 1 day covers both), c2 after its gift,
    // c3 five days later (past the newyear's until + 1 day).
    paid("n1", "c1", "2027-01-01T20:00:00+08:00", 300, 3),
    paid("n2", "c1", "2027-01-04T09:00:00+08:00", 100, 1),
    paid("n3", "c2", "2027-01-02T12:00:00+08:00", 80),
    paid("n4", "c3", "2027-01-06T12:00:00+08:00", 50),
    // After the flash sale: inside its 12 hours, and outside them.
    paid("f1", "c1", "2027-01-10T21:59:00+08:00", 200, 2),
    paid("f2", "c1", "2027-01-10T22:01:00+08:00", 200, 2),
  ];

  it("credits a campaign's orders until a day after its until (or its attributionWindow), to the last message", () => {
    const credited = attribute(campaignConfig, decisions, orders).map(
      (a) => `${a.orderId} ${a.journey}.${a.step}`,
    );

    expect(credited).toEqual([
      "n1 campaign.newyear",
      "n2 campaign.newyear",
      "n3 gift-30.gift",
      "f1 campaign.flash",
    ]);
  });

  it("reports each campaign with its new and returning customers' orders, revenue, 客单价, items and 认购率, and its curve by day", () => {
    const report = buildReport(campaignConfig, decisions, orders, {
      levelOf: (customerId) => (customerId === "c1" ? "金卡" : undefined),
    });

    const newyear = report.campaigns.find((campaign) => campaign.campaign === "newyear");
    expect(newyear).toMatchObject({
      members: 3,
      sent: 3,
      converted: 2,
      revenue: 400,
      conversionsByDay: [1, 0, 1],
    });
    const nothingBought = {
      orders: 0,
      revenue: 0,
      revenuePerOrder: undefined,
      itemsPerBuyer: undefined,
      orderRate: 0,
    };
    const twoOrders = { orders: 2, revenue: 400, revenuePerOrder: 200, itemsPerBuyer: 4, orderRate: 2 };
    expect(newyear?.groups).toEqual([
      { group: "prospect", messages: 1, customers: 1, ...nothingBought },
      { group: "new", messages: 1, customers: 1, ...nothingBought },
      { group: "returning", messages: 1, customers: 1, ...twoOrders },
      { group: "level:金卡", messages: 1, customers: 1, ...twoOrders },
    ]);
    const campaigns = report.journeys.find((journey) => journey.journey === "campaign");
    expect(campaigns?.steps.map((step) => [step.step, step.sent, step.converted])).toEqual([
      ["newyear", 3, 2],
      ["flash", 1, 1],
    ]);
  });
});

describe("A/B test verdicts", () => {
  const abConfig = parseShopConfig({});
  const variantSend = (index: number, variant: string): DecisionRecord => ({
    at: "2026-06-01T10:00:00+08:00",
    journey: "gift-30",
    step: "gift",
    customerId: `v${index}`,
    outcome: "sent",
    template: "gift-30.gift",
    variant,
    segments: 1,
  });
  /** `sent` messages of each variant, of which the first `converted` customers buy the next day. */
  const run = (a: [number, number], b: [number, number]) => {
    const decisions: DecisionRecord[] = [];
    const orders: OrderRecord[] = [];
    let index = 0;
    for (const [variant, [sent, converted]] of [
      ["a", a],
      ["b", b],
    ] as const)
      for (let i = 0; i < sent; i += 1) {
        index += 1;
        decisions.push(variantSend(index, variant));
        if (i < converted) orders.push(order(`vo${index}`, `v${index}`, "2026-06-02T10:00:00+08:00", 100));
      }
    return buildReport(abConfig, decisions, orders).journeys[0]?.steps[0]?.variants;
  };

  it("names a winner when the best variant beats the next at 95%", () => {
    const test = run([400, 80], [400, 40]);

    expect(test?.winner).toBe("a");
    expect(test?.variants.map((v) => [v.variant, v.sent, v.converted, v.revenue])).toEqual([
      ["a", 400, 80, 8000],
      ["b", 400, 40, 4000],
    ]);
    expect(test?.variants[0]?.interval.low).toBeCloseTo(0.1636, 3);
  });

  it("names none while the difference could be chance, and says about how many messages a variant would tell", () => {
    const test = run([40, 6], [40, 4]);

    expect(test?.winner).toBeUndefined();
    // 15% against 10%: (1.96 + 0.84)² × (0.15·0.85 + 0.10·0.90) / 0.05² ≈ 683 a variant.
    expect(test?.neededPerVariant).toBe(683);
  });
});

describe("short-link clicks in the report", () => {
  it("counts messages with a link, those clicked and the clicks, per journey, step, variant and campaign", () => {
    // Arrange: a gift with two variants and a campaign, 2 links each; one of each clicked.
    const config = parseShopConfig({
      segments: { all: {} },
      campaigns: [
        {
          id: "spring",
          segment: "all",
          at: "2026-06-01T10:00:00+08:00",
          template: "【{shop}】{name}，春装上新。回T退订",
        },
      ],
    });
    const send = (journey: string, step: string, customerId: string, link: string, variant?: string) =>
      ({
        at: "2026-06-01T10:00:00+08:00",
        journey,
        step,
        customerId,
        outcome: "sent",
        template: `${journey}.${step}`,
        ...(variant ? { variant } : {}),
        link,
        segments: 1,
      }) as DecisionRecord;
    const decisions = [
      send("gift-30", "gift", "c1", "AAAAAAA1", "a"),
      send("gift-30", "gift", "c2", "AAAAAAA2", "a"),
      send("gift-30", "gift", "c3", "AAAAAAA3", "b"),
      send("gift-30", "gift", "c4", "AAAAAAA4", "b"),
      // A message without a link counts as sent, not as linked.
      { ...send("gift-30", "gift", "c5", "", "b"), link: undefined },
      send("campaign", "spring", "c1", "BBBBBBB1"),
      send("campaign", "spring", "c2", "BBBBBBB2"),
    ];
    const clickedLinks = [
      { code: "AAAAAAA1", clicks: 3 },
      { code: "AAAAAAA3", clicks: 1 },
      { code: "BBBBBBB2", clicks: 2 },
      // A click on a link of a decision outside the report's period counts nowhere.
      { code: "CCCCCCC1", clicks: 9 },
    ];

    // Act
    const report = buildReport(config, decisions, [], { clickedLinks });

    // Assert
    const gift = report.journeys.find((journey) => journey.journey === "gift-30");
    expect(gift).toMatchObject({ sent: 5, linked: 4, clicked: 2, clicks: 4, clickRate: 0.5 });
    expect(gift?.steps[0]).toMatchObject({ step: "gift", linked: 4, clicked: 2, clicks: 4 });
    expect(
      gift?.steps[0]?.variants?.variants.map(({ variant, linked, clicked, clickRate }) => ({
        variant,
        linked,
        clicked,
        clickRate,
      })),
    ).toEqual([
      { variant: "a", linked: 2, clicked: 1, clickRate: 0.5 },
      { variant: "b", linked: 2, clicked: 1, clickRate: 0.5 },
    ]);
    expect(report.campaigns[0]).toMatchObject({
      campaign: "spring",
      linked: 2,
      clicked: 1,
      clicks: 2,
      clickRate: 0.5,
    });
    expect(report.totals).toMatchObject({ sent: 7, linked: 6, clicked: 3, clicks: 6, clickRate: 0.5 });
  });
});
