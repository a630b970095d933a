import * as z from "zod";
import { parseDuration } from "../duration.js";
import { earliestSendTime } from "../policy.js";
import { duration, templateSettings, timeOfDay } from "../settings.js";
import { atLocalTimeNextDay, formatShortLocal, within } from "../time.js";
import { defineJourney, type JourneyContext } from "./module.js";
import { cancelled, happenedBy, noPhone, sendUnless, unknownOrder } from "./vocabulary.js";

const VARIABLES = ["shop", "name", "orderId", "amount", "closeAt"] as const;

const TEMPLATES = {
  first: {
    messageClass: "notice",
    variables: VARIABLES,
    setting: ["templates", "first"],
    text: "【{shop}】{name}您好，您的订单{orderId}还未付款，宝贝已为您预留，请尽快完成支付。",
  },
  second: {
    messageClass: "notice",
    variables: VARIABLES,
    setting: ["templates", "second"],
    text: "【{shop}】{name}您好，订单{orderId}将于{closeAt}自动关闭，如仍需要请及时付款。",
  },
} as const;

const settings = z
  .strictObject({
    enabled: z.boolean().default(true),
    firstAfter: duration.default("60m"),
    firstAfterInPromotion: duration.default("10m"),
    secondAt: timeOfDay.default("10:00"),
    autoCloseAfter: duration.default("72h"),
    duplicateOrderWindow: duration.default("24h"),
    highValueAmount: z.number().positive().default(1000),
    templates: templateSettings(TEMPLATES),
  })
  .prefault({});

type Context = JourneyContext<z.infer<typeof settings>>;

function createdAt(context: Context): Date {
  return new Date(context.order?.createdAt ?? context.state.enteredAt);
}

function autoCloseAt(context: Context): Date {
  return new Date(createdAt(context).getTime() + parseDuration(context.settings.autoCloseAfter));
}

function inPromotion(context: Context, instant: Date): boolean {
  return context.config.promotions.some((promotion) =>
    within(instant, new Date(promotion.start), new Date(promotion.end)),
  );
}

/** Reasons known the moment the order arrives: the step is decided at once instead of after the delay. */
function decidedAtEntry(context: Context): boolean {
  const { order, customer } = context;
  return (
    order?.createdAt === undefined ||
    order.paymentMethod === "cod" ||
    order.paidAt !== undefined ||
    order.cancelledAt !== undefined ||
    customer?.declinedAt !== undefined
  );
}

/** The customer paid another order within `duplicateOrderWindow`: this one is a duplicate they left. */
async function paidAnotherOrder(context: Context): Promise<string | undefined> {
  const { order, now } = context;
  const windowStart = now.getTime() - parseDuration(context.settings.duplicateOrderWindow);
  const otherPaid = (await context.customerOrders()).some(
    (other) =>
      other.orderId !== order?.orderId &&
      other.paidAt !== undefined &&
      within(new Date(other.paidAt), new Date(windowStart), new Date(now.getTime() + 1)),
  );
  return otherPaid ? "duplicate-order" : undefined;
}

/**
 * 催付 — the payment reminder (DESIGN.md). A notice: 1st reminder `firstAfter` after the order
 * (`firstAfterInPromotion` inside a promotion period), 2nd with its own template at `secondAt` local on
 * the day after the 1st, both only while the order is unpaid and open. High-value orders go to a person.
 * A payment stops the execution at once, its next step recorded `paid`.
 */
export const paymentReminder = defineJourney({
  id: "payment-reminder",
  configKey: "paymentReminder",
  settings,
  templates: TEMPLATES,
  triggers: [{ kind: "order-created" }],
  stops: [{ kind: "order-paid", reason: "paid" }],
  attribution: "this-order",
  subjectId: (state) => state.orderId ?? state.customerId ?? "-",

  plan(context) {
    const { config, now, ledger } = context;
    const first = ledger.get("first");
    let due: Date;
    let step: keyof typeof TEMPLATES;
    if (first === undefined) {
      step = "first";
      const delay = inPromotion(context, createdAt(context))
        ? context.settings.firstAfterInPromotion
        : context.settings.firstAfter;
      due = decidedAtEntry(context)
        ? now
        : earliestSendTime(new Date(createdAt(context).getTime() + parseDuration(delay)), "notice", config);
    } else if (first.status === "final" && first.outcome === "sent" && !ledger.has("second")) {
      step = "second";
      due = earliestSendTime(
        atLocalTimeNextDay(new Date(first.at), context.settings.secondAt, config.timeZone),
        "notice",
        config,
      );
    } else {
      return { kind: "done" };
    }
    // A reminder that would fall after the order auto-closes is decided when it closes.
    const closes = autoCloseAt(context);
    const latest = (a: Date, b: Date) => (a > b ? a : b);
    const sendAt = latest(due >= closes ? closes : due, now);
    return { kind: "wait", step, sendAt: sendAt.toISOString() };
  },

  deadline: (context) => ({ at: autoCloseAt(context), reason: "auto-closed" }),

  async check(context, step) {
    const { order } = context;
    const verdict = await sendUnless(context, step, [
      unknownOrder,
      () => (order?.paymentMethod === "cod" ? "cash-on-delivery" : undefined),
      cancelled,
      ({ now }) => (happenedBy(order?.paidAt, now) ? "paid" : undefined),
      ({ now, customer }) => (happenedBy(customer?.declinedAt, now) ? "declined" : undefined),
      paidAnotherOrder,
      ({ now }) => (now >= autoCloseAt(context) ? "auto-closed" : undefined),
    ]);
    if (verdict.kind === "skip") return verdict;
    if ((order?.amount ?? 0) >= context.settings.highValueAmount)
      return { kind: "handoff", step, reason: "high-value" };
    return sendUnless(context, step, [noPhone]);
  },

  template: (_context, step) => (step === "second" ? "second" : "first"),

  content(context) {
    const { config, order, customer } = context;
    return {
      variables: {
        shop: config.name,
        name: customer?.name ?? "",
        orderId: order?.orderId ?? "",
        amount: (order?.amount ?? 0).toFixed(2),
        closeAt: formatShortLocal(autoCloseAt(context), config.timeZone),
      },
    };
  },
});
