import { describe, expect, it } from "vitest";
import { parseShopConfig } from "../../functions/core/config/config.js";
import { inHoldout } from "../../functions/core/customers/holdout.js";
import { planStep } from "../../functions/core/engine/decide.js";
import type { ShopEvent } from "../../functions/core/intake/events.js";
import { simulate } from "../../functions/local/simulator/simulate.js";
import { dynamo, orderCreated, runSimulation, summary, templateFor, virtualShop } from "../support/local.js";
import { local } from "../support/time.js";

const at = (time: string) => local("2026-06-18", time);

/** The payment reminder's decisions; paid orders also start the lifecycle journeys, tested elsewhere. */
async function reminderDecisions(...args: Parameters<typeof runSimulation>) {
  return (await runSimulation(...args)).filter((decision) => decision.journey === "payment-reminder");
}

describe("payment-reminder on the local engine (synthesized machine, DynamoDB Local, virtual clock)", () => {
  it("sends the 1st reminder after 60 minutes and the 2nd, with its own template, at 10:00 the next day", async () => {
    const decisions = await reminderDecisions([orderCreated(at("10:00"), { id: "p1" })]);
    expect(summary(decisions)).toEqual([
      {
        at: "2026-06-18T11:00:00.000+08:00",
        orderId: "p1",
        step: "first",
        outcome: "sent",
        reason: undefined,
      },
      {
        at: "2026-06-19T10:00:00.000+08:00",
        orderId: "p1",
        step: "second",
        outcome: "sent",
        reason: undefined,
      },
    ]);
    expect(decisions[0]?.template).toBe("payment-reminder.first");
    expect(decisions[1]?.template).toBe("payment-reminder.second");
    expect(decisions[0]?.text).toMatch(/^【Shop】王芳您好/);
    expect(decisions[1]?.text).not.toBe(decisions[0]?.text);
    expect(decisions[0]).toMatchObject({ to: "+8613800000000", segments: 1, customerId: "c-p1" });
  });

  it("skips with the reason: paid, cancelled, cash on delivery, declined", async () => {
    const events: ShopEvent[] = [
      orderCreated(at("10:00"), { id: "paid" }),
      { type: "order.paid", at: at("10:20"), orderId: "paid" },
      orderCreated(at("10:00"), { id: "cancelled" }),
      { type: "order.cancelled", at: at("10:40"), orderId: "cancelled" },
      orderCreated(at("10:00"), { id: "cod", paymentMethod: "cod" }),
      { type: "customer.declined", at: at("09:00"), customerId: "c-declined" },
      orderCreated(at("10:00"), { id: "declined" }),
    ];
    const byOrder = Object.fromEntries(summary(await reminderDecisions(events)).map((d) => [d.orderId, d]));
    // Decided when the payment arrives: the reminder's execution is stopped then, not woken at 11:00.
    expect(byOrder.paid).toMatchObject({
      at: "2026-06-18T10:20:00.000+08:00",
      outcome: "skipped",
      reason: "paid",
    });
    expect(byOrder.cancelled).toMatchObject({ outcome: "skipped", reason: "cancelled" });
    expect(byOrder.cod).toMatchObject({
      at: "2026-06-18T10:00:00.000+08:00",
      outcome: "skipped",
      reason: "cash-on-delivery",
    });
    expect(byOrder.declined).toMatchObject({ at: "2026-06-18T10:00:00.000+08:00", reason: "declined" });
    expect(Object.keys(byOrder)).toHaveLength(4);
  });

  it("stops a paid order's reminder at the payment: one state transition, no Lambda call at the due time", async () => {
    const config = parseShopConfig({});
    const events: ShopEvent[] = [
      orderCreated(at("10:00"), { id: "prompt-payer" }),
      { type: "order.paid", at: at("10:20"), orderId: "prompt-payer" },
    ];

    const result = await simulate({ config, events, dynamo: dynamo(), template: templateFor(config) });

    expect(result.byJourney["payment-reminder"]).toEqual({ executions: 1, transitions: 1 });
    expect(summary(result.decisions.filter((d) => d.journey === "payment-reminder"))).toEqual([
      {
        at: "2026-06-18T10:20:00.000+08:00",
        orderId: "prompt-payer",
        step: "first",
        outcome: "skipped",
        reason: "paid",
      },
    ]);
  });

  it("skips the 2nd reminder when the order is paid after the 1st", async () => {
    const decisions = await reminderDecisions([
      orderCreated(at("10:00"), { id: "late-payer" }),
      { type: "order.paid", at: "2026-06-18T20:00:00+08:00", orderId: "late-payer" },
    ]);
    expect(summary(decisions).map((d) => [d.step, d.outcome, d.reason])).toEqual([
      ["first", "sent", undefined],
      ["second", "skipped", "paid"],
    ]);
  });

  it("skips a duplicate order: the same customer paid another order within 24 hours", async () => {
    const decisions = await reminderDecisions([
      orderCreated(at("09:00"), { id: "kept", customerId: "twin" }),
      { type: "order.paid", at: at("09:10"), orderId: "kept" },
      orderCreated(at("09:30"), { id: "dupe", customerId: "twin" }),
    ]);
    expect(summary(decisions).find((d) => d.orderId === "dupe")).toMatchObject({
      step: "first",
      outcome: "skipped",
      reason: "duplicate-order",
    });
  });

  it("skips a reminder the auto-close overtakes while it is held for the window, at the closing time", async () => {
    const config = { journeys: { paymentReminder: { autoCloseAfter: "90m" } } };
    const decisions = await reminderDecisions(
      [orderCreated(at("21:30"), { id: "night" }), orderCreated(at("06:00"), { id: "dawn" })],
      config,
    );
    expect(summary(decisions)).toEqual([
      {
        at: "2026-06-18T07:30:00.000+08:00",
        orderId: "dawn",
        step: "first",
        outcome: "skipped",
        reason: "auto-closed",
      },
      {
        at: "2026-06-18T23:00:00.000+08:00",
        orderId: "night",
        step: "first",
        outcome: "skipped",
        reason: "auto-closed",
      },
    ]);
  });

  it("holds a reminder due at night to the next morning", async () => {
    const decisions = await reminderDecisions([orderCreated(at("23:30"), { id: "owl" })]);
    expect(summary(decisions).map((d) => [d.at, d.step, d.outcome])).toEqual([
      ["2026-06-19T08:00:00.000+08:00", "first", "sent"],
      ["2026-06-20T10:00:00.000+08:00", "second", "sent"],
    ]);
  });

  it("sends the 1st reminder after 10 minutes inside a promotion period", async () => {
    const config = {
      promotions: [{ name: "618", start: "2026-06-18T00:00:00+08:00", end: "2026-06-19T00:00:00+08:00" }],
    };
    const [first] = await reminderDecisions([orderCreated(at("10:00"), { id: "promo" })], config);
    expect(first).toMatchObject({ at: "2026-06-18T10:10:00.000+08:00", outcome: "sent" });
  });

  it("hands a high-value order to a person once, and tells the operators", async () => {
    const { shop, clock, failures } = await virtualShop(at("10:00"));
    await shop.queue.enqueue([orderCreated(at("10:00"), { id: "big", amount: 1000 })], "test");
    await shop.queue.drain();
    await clock.runUntilIdle();
    expect(failures).toEqual([]);
    expect(summary(await shop.store.listDecisions())).toEqual([
      {
        at: "2026-06-18T11:00:00.000+08:00",
        orderId: "big",
        step: "first",
        outcome: "handoff",
        reason: "high-value",
      },
    ]);
    const outbox = await shop.store.listOutbox();
    expect(outbox.map((entry) => entry.kind)).toEqual(["handoff"]);
    expect(JSON.parse(outbox[0]?.text ?? "{}")).toMatchObject({ orderId: "big", reason: "high-value" });
  });

  it("sends once when the same webhook arrives twice (same execution name, same ledger)", async () => {
    const { shop, clock, failures } = await virtualShop(at("10:00"));
    const event = orderCreated(at("10:00"), { id: "twice" });
    await shop.queue.enqueue([event], "first-delivery");
    await shop.queue.enqueue([event], "second-delivery");
    await shop.queue.drain();
    await clock.runUntilIdle();
    expect(failures).toEqual([]);
    expect(shop.engine.started).toBe(1);
    expect((await shop.store.listOutbox()).filter((entry) => entry.kind === "sms")).toHaveLength(2);
    expect(summary(await shop.store.listDecisions()).map((d) => d.step)).toEqual(["first", "second"]);
  });

  it("sends once even when two executions run the same order's steps (ledger claim before the provider)", async () => {
    const { shop, clock, failures } = await virtualShop(at("10:00"));
    const event = orderCreated(at("10:00"), { id: "raced" });
    await shop.queue.enqueue([event], "test");
    await shop.queue.drain();
    const state = {
      journey: "payment-reminder" as const,
      orderId: "raced",
      customerId: "c-raced",
      enteredAt: at("10:00"),
    };
    // Started as dispatch starts one: with its first step planned.
    const planned = await planStep({ config: shop.config, clock, store: shop.store }, state);
    await shop.engine.start("payment-reminder", "payment-reminder-raced-restarted", planned);
    await clock.runUntilIdle();
    expect(failures).toEqual([]);
    expect(shop.engine.started).toBe(2);
    const sms = (await shop.store.listOutbox()).filter((entry) => entry.kind === "sms");
    expect(sms).toHaveLength(2);
    expect(new Set(sms.map((entry) => entry.text)).size).toBe(2);
  });

  it("keeps an event that cannot be processed as a dead letter with its error", async () => {
    const { shop } = await virtualShop(at("10:00"));
    const broken = { type: "order.paid", at: "not a time", orderId: "x" } as unknown as ShopEvent;
    await shop.queue.enqueue([broken], "test");
    await shop.queue.drain();
    const letters = await shop.store.listDeadLetters();
    expect(letters).toHaveLength(1);
    expect(letters[0]?.error).toMatch(/InvalidEventError: at: expected an ISO 8601 time/);
    expect(JSON.parse(letters[0]?.body ?? "{}")).toMatchObject({ orderId: "x" });
  });

  it("holds out the configured share of customers, by customer id, recording the skip as holdout", async () => {
    const config = { effect: { holdout: { "payment-reminder": 0.5 } } };
    const ids = Array.from({ length: 12 }, (_, index) => `h${index}`);

    const decisions = await reminderDecisions(
      ids.map((id) => orderCreated(at("10:00"), { id })),
      config,
    );

    const firsts = decisions.filter((d) => d.step === "first");
    const heldOut = firsts.filter((d) => d.reason === "holdout").map((d) => d.orderId);
    const expected = ids.filter((id) => inHoldout(parseShopConfig(config), "payment-reminder", `c-${id}`));
    expect(heldOut.sort()).toEqual(expected.sort());
    expect(expected.length).toBeGreaterThan(0);
    expect(expected.length).toBeLessThan(ids.length);
    expect(firsts.filter((d) => d.outcome === "sent")).toHaveLength(ids.length - expected.length);
    // A held-out order gets no 2nd reminder either: the journey ends after its first step's skip.
    expect(decisions.filter((d) => heldOut.includes(d.orderId) && d.step === "second")).toEqual([]);
  });
});
