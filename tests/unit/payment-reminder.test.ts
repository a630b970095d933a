import { describe, expect, it } from "vitest";
import { parseShopConfig } from "../../functions/core/config/config.js";
import { shopPlace } from "../../functions/core/engine/quiet-hours.js";
import { messageOf } from "../../functions/core/journeys/context.js";
import type { JourneyContext } from "../../functions/core/journeys/module.js";
import { paymentReminder } from "../../functions/core/journeys/payment-reminder.js";
import type { CustomerRecord, OrderRecord } from "../../functions/core/shared/model.js";
import type { LedgerEntry } from "../../functions/core/shared/ports.js";

const CREATED = "2026-06-18T10:00:00+08:00";

function context(
  now: string,
  overrides: {
    order?: Partial<OrderRecord> | null;
    customer?: Partial<CustomerRecord>;
    ledger?: Record<string, LedgerEntry>;
    otherOrders?: OrderRecord[];
    config?: unknown;
  } = {},
): JourneyContext<ReturnType<typeof parseShopConfig>["journeys"]["paymentReminder"]> {
  const order: OrderRecord | undefined =
    overrides.order === null
      ? undefined
      : {
          orderId: "o1",
          customerId: "c1",
          createdAt: CREATED,
          amount: 129,
          paymentMethod: "online",
          ...overrides.order,
        };
  const config = parseShopConfig(overrides.config ?? {});
  const customer = { customerId: "c1", phone: "+8613800000000", name: "王芳", ...overrides.customer };
  return {
    config,
    settings: config.journeys.paymentReminder,
    place: shopPlace(config),
    now: new Date(now),
    state: { journey: "payment-reminder", orderId: "o1", customerId: "c1", enteredAt: CREATED },
    order,
    customer,
    customerId: "c1",
    recipient: customer.phone,
    ledger: new Map(Object.entries(overrides.ledger ?? {})),
    optedOutAt: undefined,
    customerOrders: async () => [...(order ? [order] : []), ...(overrides.otherOrders ?? [])],
  };
}

const sentFirst = (at: string): Extract<LedgerEntry, { status: "final" }> => ({
  status: "final",
  at,
  journey: "payment-reminder",
  step: "first",
  customerId: "c1",
  outcome: "sent",
  template: "payment-reminder.first",
});

describe("payment reminder: planning", () => {
  it("plans the 1st reminder 60 minutes after the order", () => {
    expect(paymentReminder.plan(context(CREATED))).toEqual({
      kind: "wait",
      step: "first",
      sendAt: new Date("2026-06-18T11:00:00+08:00").toISOString(),
    });
  });

  it("plans it 10 minutes after an order placed inside a promotion period", () => {
    const config = {
      promotions: [{ name: "618", start: "2026-06-18T00:00:00+08:00", end: "2026-06-19T00:00:00+08:00" }],
    };
    expect(paymentReminder.plan(context(CREATED, { config }))).toMatchObject({
      sendAt: new Date("2026-06-18T10:10:00+08:00").toISOString(),
    });
  });

  it("holds a reminder due at night until the notice window opens", () => {
    const order = { createdAt: "2026-06-18T21:30:00+08:00" };
    expect(paymentReminder.plan(context("2026-06-18T21:30:00+08:00", { order }))).toMatchObject({
      sendAt: new Date("2026-06-19T08:00:00+08:00").toISOString(),
    });
  });

  it("decides at once when the order is cash on delivery", () => {
    const now = "2026-06-18T10:00:05+08:00";
    expect(paymentReminder.plan(context(now, { order: { paymentMethod: "cod" } }))).toMatchObject({
      sendAt: new Date(now).toISOString(),
    });
  });

  it("plans the 2nd reminder at 10:00 on the day after the 1st was sent", () => {
    const ledger = { first: sentFirst("2026-06-18T11:00:00.000+08:00") };
    expect(paymentReminder.plan(context("2026-06-18T11:00:00+08:00", { ledger }))).toEqual({
      kind: "wait",
      step: "second",
      sendAt: new Date("2026-06-19T10:00:00+08:00").toISOString(),
    });
  });

  it("plans no 2nd reminder when the 1st was not sent, and nothing after the 2nd", () => {
    const skipped: LedgerEntry = { ...sentFirst(CREATED), outcome: "skipped", reason: "paid" };
    expect(paymentReminder.plan(context(CREATED, { ledger: { first: skipped } }))).toEqual({ kind: "done" });
    const both = { first: sentFirst(CREATED), second: { ...sentFirst(CREATED), step: "second" } };
    expect(paymentReminder.plan(context(CREATED, { ledger: both }))).toEqual({ kind: "done" });
  });

  it("decides a reminder that would fall after the auto-close at the moment the order closes", () => {
    const config = { journeys: { paymentReminder: { autoCloseAfter: "12h" } } };
    const ledger = { first: sentFirst("2026-06-18T11:00:00.000+08:00") };
    expect(paymentReminder.plan(context("2026-06-18T11:00:00+08:00", { ledger, config }))).toMatchObject({
      step: "second",
      sendAt: new Date("2026-06-18T22:00:00+08:00").toISOString(),
    });
  });
});

describe("payment reminder: the check at the due time", () => {
  const due = "2026-06-18T11:00:00+08:00";
  const check = (overrides: Parameters<typeof context>[1]) =>
    paymentReminder.check(context(due, overrides), "first");

  it("sends to an unpaid, open, ordinary order", async () => {
    expect(await check({})).toEqual({ kind: "send", step: "first" });
  });

  it.each([
    ["cash-on-delivery", { order: { paymentMethod: "cod" as const } }],
    ["paid", { order: { paidAt: "2026-06-18T10:30:00+08:00" } }],
    ["cancelled", { order: { cancelledAt: "2026-06-18T10:30:00+08:00" } }],
    ["declined", { customer: { declinedAt: "2026-06-01T00:00:00+08:00" } }],
    ["unknown-order", { order: null }],
    ["no-phone", { customer: { phone: undefined } }],
  ])("skips with reason %s", async (reason, overrides) => {
    expect(await check(overrides)).toEqual({ kind: "skip", step: "first", reason });
  });

  it("ignores a payment that happens after the check (event time, not arrival)", async () => {
    expect(await check({ order: { paidAt: "2026-06-18T11:30:00+08:00" } })).toEqual({
      kind: "send",
      step: "first",
    });
  });

  it("skips a duplicate: the customer paid another order in the last 24 hours", async () => {
    const other: OrderRecord = { orderId: "o0", customerId: "c1", paidAt: "2026-06-17T12:00:00+08:00" };
    expect(await check({ otherOrders: [other] })).toEqual({
      kind: "skip",
      step: "first",
      reason: "duplicate-order",
    });
    const older: OrderRecord = { ...other, paidAt: "2026-06-17T10:59:00+08:00" };
    expect(await check({ otherOrders: [older] })).toEqual({ kind: "send", step: "first" });
  });

  it("hands a high-value order to a person, at or above highValueAmount", async () => {
    expect(await check({ order: { amount: 1000 } })).toEqual({
      kind: "handoff",
      step: "first",
      reason: "high-value",
    });
    expect(await check({ order: { amount: 999.99 } })).toEqual({ kind: "send", step: "first" });
  });

  it("skips once the order has auto-closed", async () => {
    const result = await paymentReminder.check(context("2026-06-21T10:00:00+08:00", {}), "second");
    expect(result).toEqual({ kind: "skip", step: "second", reason: "auto-closed" });
  });

  it("leaves the notice window to the sending rules, and gives them the auto-close as the deadline", async () => {
    const late = context("2026-06-18T23:00:00+08:00", {});
    expect(await paymentReminder.check(late, "first")).toEqual({ kind: "send", step: "first" });
    expect(paymentReminder.deadline?.(late, "first")).toEqual({
      at: new Date("2026-06-21T10:00:00+08:00"),
      reason: "auto-closed",
    });
  });

  it("renders the 2nd reminder with its own template and the auto-close time", async () => {
    const message = await messageOf(paymentReminder, context(due), "second");
    expect(message.templateId).toBe("payment-reminder.second");
    expect(message.template).not.toBe((await messageOf(paymentReminder, context(due), "first")).template);
    expect(message.variables).toMatchObject({
      shop: "Shop",
      name: "王芳",
      orderId: "o1",
      closeAt: "06-21 10:00",
    });
  });
});
