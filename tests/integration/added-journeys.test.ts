import { describe, expect, it } from "vitest";
import { ConfigError, parseShopConfig } from "../../functions/core/config/config.js";
import { TEMPLATE_SPECS } from "../../functions/core/config/templates.js";
import type { ShopEvent } from "../../functions/core/intake/events.js";
import type { DecisionRecord } from "../../functions/core/shared/model.js";
import { decisionsOf, orderCreated, runSimulation } from "../support/local.js";
import { june as at } from "../support/time.js";

/** Issue 21's proof of the journey modules: two journeys of the seeds' order-care chain, one module each. */

const only = (journey: string, decisions: readonly DecisionRecord[]) =>
  decisionsOf(journey, decisions, "text");

describe("退款提醒 refund: a notice for every refund, each refund once", () => {
  it("sends one notice per refund with its amount, held to the notice window, however often a refund is delivered", async () => {
    const events: ShopEvent[] = [
      orderCreated(at("18", "10:00"), { id: "r1", amount: 129 }),
      { type: "order.paid", at: at("18", "10:05"), orderId: "r1" },
      // A partial refund by id, delivered twice; a second one without an id, delivered twice (same time and amount).
      { type: "refund.completed", at: at("19", "15:00"), orderId: "r1", amount: 30, refundId: "rf-1" },
      { type: "refund.completed", at: at("19", "15:00"), orderId: "r1", amount: 30, refundId: "rf-1" },
      { type: "refund.completed", at: at("19", "23:30"), orderId: "r1", amount: 20.5 },
      { type: "refund.completed", at: at("19", "23:30"), orderId: "r1", amount: 20.5 },
    ];

    const decisions = await runSimulation(events);

    expect(only("refund", decisions)).toEqual([
      {
        at: "2026-06-19T15:00:00.000+08:00",
        step: "notice",
        orderId: "r1",
        outcome: "sent",
        template: "refund.notice",
        text: "【Shop】王芳您好，订单r1的退款30.00元已原路退回，请注意查收。",
      },
      {
        at: "2026-06-20T08:00:00.000+08:00",
        step: "notice",
        orderId: "r1",
        outcome: "sent",
        template: "refund.notice",
        text: "【Shop】王芳您好，订单r1的退款20.50元已原路退回，请注意查收。",
      },
    ]);
  });

  it("skips a refund of an order never seen (unknown-order) and of a gift order (gift), and sends nothing when off", async () => {
    const gift = orderCreated(at("18", "10:00"), { id: "g1" });
    (gift as Extract<ShopEvent, { type: "order.created" }>).order.gift = true;
    const events: ShopEvent[] = [
      gift,
      { type: "refund.completed", at: at("18", "12:00"), orderId: "g1", amount: 129, refundId: "x" },
      { type: "refund.completed", at: at("18", "12:00"), orderId: "ghost", amount: 5, refundId: "y" },
    ];

    const on = await runSimulation(events);
    const off = await runSimulation(events, { journeys: { refund: { enabled: false } } });

    expect(only("refund", on).map(({ orderId, outcome, reason }) => [orderId, outcome, reason])).toEqual([
      ["g1", "skipped", "gift"],
      ["ghost", "skipped", "unknown-order"],
    ]);
    expect(only("refund", off)).toEqual([]);
  });
});

describe("交易成功提醒 completed: a thank-you on order.completed, off by default", () => {
  it("sends step thanks with template completed.thanks once enabled, held to the notice window; nothing by default", async () => {
    const events: ShopEvent[] = [
      orderCreated(at("18", "10:00"), { id: "d1" }),
      { type: "order.paid", at: at("18", "10:05"), orderId: "d1" },
      { type: "order.completed", at: at("25", "22:30"), orderId: "d1" },
      { type: "order.completed", at: at("25", "22:30"), orderId: "d1" },
    ];

    const byDefault = await runSimulation(events);
    const enabled = await runSimulation(events, { journeys: { completed: { enabled: true } } });

    expect(only("completed", byDefault)).toEqual([]);
    expect(only("completed", enabled)).toEqual([
      {
        at: "2026-06-26T08:00:00.000+08:00",
        step: "thanks",
        orderId: "d1",
        outcome: "sent",
        template: "completed.thanks",
        text: "【Shop】王芳您好，订单d1已确认收货，交易成功。感谢您的信任，期待再次为您服务！",
      },
    ]);
  });
});

describe("a disabled journey needs no Aliyun template code", () => {
  const aliyun = (codes: Record<string, string>, journeys: Record<string, unknown> = {}) => ({
    sms: { provider: "aliyun", aliyun: { signName: "小店", templateCodes: codes } },
    journeys,
  });
  const codesExcept = (...left: string[]) =>
    Object.fromEntries(
      Object.keys(TEMPLATE_SPECS)
        .filter((id) => !left.includes(id))
        .map((id) => [id, `SMS_${id.length}`]),
    );

  it("accepts a config without completed.thanks while completed is off, and names the field once it is on", () => {
    expect(() => parseShopConfig(aliyun(codesExcept("completed.thanks")))).not.toThrow();
    expect(() =>
      parseShopConfig(aliyun(codesExcept("completed.thanks"), { completed: { enabled: true } })),
    ).toThrow(ConfigError);
    try {
      parseShopConfig(
        aliyun(codesExcept("completed.thanks", "gift-30.gift"), {
          completed: { enabled: true },
          gift30: { enabled: false },
        }),
      );
      expect.unreachable();
    } catch (error) {
      expect((error as ConfigError).problems).toEqual([
        "shop.sms.aliyun.templateCodes.completed.thanks: the Aliyun provider needs the template code registered for this template",
      ]);
    }
  });
});
