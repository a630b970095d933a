import { describe, expect, it } from "vitest";
import { parseShopConfig } from "../../functions/core/config/config.js";
import { type CustomerConfig, profileOf } from "../../functions/core/customers/profiles.js";
import { previewSegment } from "../../functions/core/customers/segments.js";
import type { ShopEvent } from "../../functions/core/intake/events.js";
import { paidOrder, phoneOf, storeWith } from "../support/campaigns.js";
import { local as at } from "../support/time.js";

/**
 * Issue 24: customer profiles kept by dispatch, and segments over them, on DynamoDB Local.
 */

describe("customer profiles (kept by dispatch, derived from the config)", () => {
  it("counts each paid order once whatever order and however often its events arrive, nets refunds and never lowers a level", async () => {
    const config = parseShopConfig({
      members: {
        levels: [
          { name: "银卡", minSpend: 300 },
          { name: "金卡", minSpend: 400, minOrders: 2 },
        ],
      },
      rfm: { bounds: { r: ["30d", "60d", "90d", "180d"], f: [1, 2, 3, 4], m: [100, 200, 300, 500] } },
    });
    const [created1, paid1] = paidOrder(1, "o1", at("2026-06-01", "10:00"), {
      amount: 100,
      quantity: 2,
      province: "浙江",
    });
    const [created2, paid2] = paidOrder(1, "o2", at("2026-06-20", "10:00"), {
      amount: 300,
      category: "teaware",
      province: "上海",
    });
    const refund = {
      type: "refund.completed",
      at: at("2026-06-25", "10:00"),
      orderId: "o2",
      amount: 50,
      refundId: "r1",
    };
    const events = [
      // The payment overtakes its order; the second order's payment and its refund are delivered twice.
      paid1,
      {
        ...(created1 as ShopEvent),
        order: {
          ...(created1 as Extract<ShopEvent, { type: "order.created" }>).order,
          customer: { id: "c1", phone: phoneOf(1), name: "王芳", birthday: "05-20" },
        },
      },
      created2,
      paid2,
      paid2,
      refund,
      refund,
      // Ordered, never paid: no purchase.
      paidOrder(1, "o3", at("2026-06-26", "10:00"))[0],
    ] as ShopEvent[];

    const store = await storeWith(events, config);
    const customer = await store.getCustomer("c1");
    const profile = profileOf(
      customer as NonNullable<typeof customer>,
      config as unknown as CustomerConfig,
      new Date(at("2026-07-01", "10:00")),
    );

    expect(profile).toMatchObject({
      paidOrders: 2,
      spend: 350,
      items: 3,
      categories: ["tea", "teaware"],
      province: "上海",
      city: "杭州",
      birthday: "05-20",
      stage: "returning",
      // 400 before the refund, 350 after: the level reached stays.
      level: "金卡",
      rfm: { r: 5, f: 2, m: 4 },
    });
    expect(
      customer?.purchases?.map((purchase) => [purchase.orderId, purchase.amount, purchase.refunded]),
    ).toEqual([
      ["o1", 100, 0],
      ["o2", 300, 50],
    ]);
  });

  it("derives prospect, new, returning, dormant (past the win-back's cycle) and churned (past stages.churnedAfter)", async () => {
    const config = parseShopConfig({
      stages: { churnedAfter: "120d" },
      journeys: { winback: { cycle: "60d" } },
    });
    const events = [
      paidOrder(1, "a", at("2026-06-25", "10:00"))[0],
      ...paidOrder(2, "b", at("2026-06-25", "10:00")),
      ...paidOrder(3, "c1", at("2026-06-01", "10:00")),
      ...paidOrder(3, "c2", at("2026-06-20", "10:00")),
      ...paidOrder(4, "d", at("2026-04-20", "10:00")),
      ...paidOrder(5, "e", at("2026-02-01", "10:00")),
    ] as ShopEvent[];
    const store = await storeWith(events, config);
    const now = new Date(at("2026-07-01", "10:00"));

    const stages = await Promise.all(
      [1, 2, 3, 4, 5].map(async (index) => {
        const customer = await store.getCustomer(`c${index}`);
        return profileOf(customer as NonNullable<typeof customer>, config as unknown as CustomerConfig, now)
          .stage;
      }),
    );

    expect(stages).toEqual(["prospect", "new", "returning", "dormant", "churned"]);
  });
});

describe("segments (shopcare segment)", () => {
  it("counts a segment's members by stage and level, most recent buyers first, numbers and names masked", async () => {
    const config = parseShopConfig({
      members: { levels: [{ name: "银卡", minSpend: 150 }] },
      segments: {
        "zhejiang-tea": {
          categories: ["tea"],
          provinces: ["浙江"],
          minItemsPerOrder: 2,
          birthdayMonth: [5, 6],
        },
      },
    });
    const birthday = (events: ShopEvent[], day: string) =>
      events.map((event) =>
        event.type === "order.created"
          ? ({
              ...event,
              order: { ...event.order, customer: { ...event.order.customer, birthday: day } },
            } as ShopEvent)
          : event,
      );
    const events = [
      ...birthday(paidOrder(1, "a", at("2026-06-01", "10:00"), { province: "浙江", quantity: 2 }), "05-01"),
      ...birthday(
        paidOrder(2, "b", at("2026-06-03", "10:00"), { province: "浙江", quantity: 3, amount: 200 }),
        "06-09",
      ),
      // Not in it: one item an order; another province; another category; born in another month.
      ...birthday(paidOrder(3, "c", at("2026-06-04", "10:00"), { province: "浙江", quantity: 1 }), "05-01"),
      ...birthday(paidOrder(4, "d", at("2026-06-05", "10:00"), { province: "上海", quantity: 2 }), "05-01"),
      ...birthday(
        paidOrder(5, "e", at("2026-06-06", "10:00"), { province: "浙江", quantity: 2, category: "snacks" }),
        "05-01",
      ),
      ...birthday(paidOrder(6, "f", at("2026-06-07", "10:00"), { province: "浙江", quantity: 2 }), "01-01"),
    ];
    const store = await storeWith(events, config);

    const preview = await previewSegment(store, config, "zhejiang-tea", new Date(at("2026-06-10", "10:00")));

    expect(preview).toMatchObject({
      customers: 6,
      members: 2,
      byStage: { new: 2 },
      byLevel: { 银卡: 1, "(none)": 1 },
    });
    expect(preview.sample.map(({ customerId, phone, name }) => ({ customerId, phone, name }))).toEqual([
      { customerId: "c2", phone: "+86138****0002", name: "王*" },
      { customerId: "c1", phone: "+86138****0001", name: "王*" },
    ]);
  });

  it("scores RFM by the shop's quintiles when no cut points are configured", async () => {
    const config = parseShopConfig({
      segments: { best: { rfm: { m: [5, 5] } }, worst: { rfm: { m: [1, 1] } } },
    });
    const events = Array.from({ length: 10 }, (_, index) =>
      paidOrder(index + 1, `o${index + 1}`, at("2026-06-01", "10:00"), { amount: 100 * (index + 1) }),
    ).flat();
    const store = await storeWith(events, config);
    const now = new Date(at("2026-06-10", "10:00"));

    const best = await previewSegment(store, config, "best", now);
    const worst = await previewSegment(store, config, "worst", now);

    // Ten customers spending 100 … 1,000: the top fifth scores m 5, the bottom fifth m 1.
    expect(best.bounds?.m).toEqual([200, 400, 600, 800]);
    expect(best.sample.map((member) => member.customerId).sort()).toEqual(["c10", "c9"]);
    expect(worst.sample.map((member) => member.customerId).sort()).toEqual(["c1", "c2"]);
  });
});
