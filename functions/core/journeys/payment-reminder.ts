import { parseDuration } from "../duration.js";
import { earliestSendTime } from "../policy.js";
import { atLocalTimeNextDay, formatShortLocal, within } from "../time.js";
import type { Journey, JourneyContext } from "./journey.js";

/**
 * 催付 — the payment reminder (DESIGN.md). A notice: 1st reminder `firstAfter` after the order
 * (`firstAfterInPromotion` inside a promotion period), 2nd with its own template at `secondAt` local on
 * the day after the 1st, both only while the order is unpaid and open. High-value orders go to a person.
 */
const STEPS = ["first", "second"] as const;
type Step = (typeof STEPS)[number];

function settings(context: JourneyContext) {
  return context.config.journeys.paymentReminder;
}

function createdAt(context: JourneyContext): Date {
  return new Date(context.order?.createdAt ?? context.state.enteredAt);
}

function autoCloseAt(context: JourneyContext): Date {
  return new Date(createdAt(context).getTime() + parseDuration(settings(context).autoCloseAfter));
}

function inPromotion(context: JourneyContext, instant: Date): boolean {
  return context.config.promotions.some((promotion) =>
    within(instant, new Date(promotion.start), new Date(promotion.end)),
  );
}

/** Reasons known the moment the order arrives: the step is decided at once instead of after the delay. */
function decidedAtEntry(context: JourneyContext): boolean {
  const { order, customer } = context;
  return (
    order?.createdAt === undefined ||
    order.paymentMethod === "cod" ||
    order.paidAt !== undefined ||
    order.cancelledAt !== undefined ||
    customer?.declinedAt !== undefined
  );
}

function isBefore(timestamp: string | undefined, now: Date): boolean {
  return timestamp !== undefined && new Date(timestamp) <= now;
}

export const paymentReminder: Journey = {
  id: "payment-reminder",

  subjectId: (state) => state.orderId ?? state.customerId ?? "-",

  plan(context) {
    const { config, now, ledger } = context;
    const first = ledger.get("first");
    let due: Date;
    let step: Step;
    if (first === undefined) {
      step = "first";
      const delay = inPromotion(context, createdAt(context))
        ? settings(context).firstAfterInPromotion
        : settings(context).firstAfter;
      due = decidedAtEntry(context)
        ? now
        : earliestSendTime(new Date(createdAt(context).getTime() + parseDuration(delay)), "notice", config);
    } else if (first.status === "final" && first.outcome === "sent" && !ledger.has("second")) {
      step = "second";
      due = earliestSendTime(
        atLocalTimeNextDay(new Date(first.at), settings(context).secondAt, config.timeZone),
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
    const { order, customer, now } = context;
    const skip = (reason: string) => ({ kind: "skip" as const, step, reason });
    if (order?.createdAt === undefined) return skip("unknown-order");
    if (order.paymentMethod === "cod") return skip("cash-on-delivery");
    if (isBefore(order.cancelledAt, now)) return skip("cancelled");
    if (isBefore(order.paidAt, now)) return skip("paid");
    if (isBefore(customer?.declinedAt, now)) return skip("declined");
    const windowStart = now.getTime() - parseDuration(settings(context).duplicateOrderWindow);
    const otherPaid = (await context.customerOrders()).some(
      (other) =>
        other.orderId !== order.orderId &&
        other.paidAt !== undefined &&
        within(new Date(other.paidAt), new Date(windowStart), new Date(now.getTime() + 1)),
    );
    if (otherPaid) return skip("duplicate-order");
    if (now >= autoCloseAt(context)) return skip("auto-closed");
    if ((order.amount ?? 0) >= settings(context).highValueAmount) {
      return { kind: "handoff", step, reason: "high-value" };
    }
    if (!customer?.phone) return skip("no-phone");
    return { kind: "send", step };
  },

  message(context, step) {
    const { config, order, customer } = context;
    const templates = settings(context).templates;
    return {
      templateId: `payment-reminder.${step}`,
      template: step === "second" ? templates.second : templates.first,
      messageClass: "notice",
      variables: {
        shop: config.name,
        name: customer?.name ?? "",
        orderId: order?.orderId ?? "",
        amount: (order?.amount ?? 0).toFixed(2),
        closeAt: formatShortLocal(autoCloseAt(context), config.timeZone),
      },
    };
  },
};
