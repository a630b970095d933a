import * as z from "zod";
import { duration, optionalCoupon, templateSettings, textsOf, timeOfDay } from "../config/settings.js";
import { earliestSendTime } from "../engine/policy.js";
import { parseDuration } from "../shared/duration.js";
import type { Next } from "../shared/model.js";
import { atLocalTimeNextDay, formatShortLocal, within } from "../shared/time.js";
import { defineJourney, type JourneyContext, type MessageContent } from "./module.js";
import {
  cancelled,
  happenedBy,
  isReturningCustomer,
  noPhone,
  sendUnless,
  unknownOrder,
} from "./vocabulary.js";

const VARIABLES = ["shop", "name", "orderId", "amount", "closeAt"] as const;

const TEMPLATES = {
  first: {
    messageClass: "notice",
    variables: VARIABLES,
    setting: ["templates", "first"],
    text: "【{shop}】{name}您好，您的订单{orderId}还未付款，宝贝已为您预留，请尽快完成支付。",
  },
  // 003: an old customer is greeted as one, not as a stranger.
  "first-returning": {
    messageClass: "notice",
    variables: VARIABLES,
    setting: ["templates", "firstReturning"],
    text: "【{shop}】{name}，感谢一直以来的支持！您的订单{orderId}还未付款，宝贝已为您预留，方便时完成支付即可。",
  },
  // 003: inside a promotion the reminder says which one and when it ends.
  "first-promotion": {
    messageClass: "notice",
    variables: [...VARIABLES, "promotion", "promotionEnds"],
    setting: ["templates", "firstPromotion"],
    text: "【{shop}】{name}您好，订单{orderId}未付款，{promotion}优惠{promotionEnds}结束，请尽快支付。",
  },
  second: {
    messageClass: "notice",
    variables: [...VARIABLES, "coupon", "couponAmount"],
    setting: ["templates", "second"],
    text: "【{shop}】{name}您好，订单{orderId}将于{closeAt}自动关闭，如仍需要请及时付款。",
  },
} as const;

/** The template variables only a configured `second.coupon` can fill. */
const COUPON_VARIABLES = ["{coupon}", "{couponAmount}"];

const settings = z
  .strictObject({
    enabled: z.boolean().default(true),
    firstAfter: duration.default("60m"),
    firstAfterInPromotion: duration.default("10m"),
    secondAt: timeOfDay.default("10:00"),
    autoCloseAfter: duration.default("72h"),
    duplicateOrderWindow: duration.default("24h"),
    highValueAmount: z.number().positive().default(1000),
    /**
     * Customer service already reminded the buyer in chat (`order.reminded`): a first SMS not sent yet
     * waits this long after that reminder (001: 6–12 hours).
     */
    firstAfterCsReminder: duration.default("6h"),
    second: z
      .strictObject({
        /** `sms`, or `handoff`: customer service calls instead of a second SMS (never the same method twice). */
        channel: z.enum(["sms", "handoff"]).default("sms"),
        /** A coupon in the second reminder (`{coupon}`, `{couponAmount}`): `{amount, code | issueUrl}`. */
        coupon: optionalCoupon,
      })
      .prefault({}),
    templates: templateSettings(TEMPLATES),
  })
  .superRefine((value, context) => {
    const second = textsOf(value.templates.second)
      .map((variant) => variant.text)
      .join("\n");
    if (value.second.coupon === undefined && COUPON_VARIABLES.some((variable) => second.includes(variable)))
      context.addIssue({
        code: "custom",
        path: ["templates", "second"],
        message: "{coupon} and {couponAmount} need journeys.paymentReminder.second.coupon",
      });
  })
  .prefault({});

type Context = JourneyContext<z.infer<typeof settings>>;

function createdAt(context: Context): Date {
  return new Date(context.order?.createdAt ?? context.state.enteredAt);
}

function autoCloseAt(context: Context): Date {
  return new Date(createdAt(context).getTime() + parseDuration(context.settings.autoCloseAfter));
}

function promotionAt(context: Context, instant: Date) {
  return context.config.promotions.find((promotion) =>
    within(instant, new Date(promotion.start), new Date(promotion.end)),
  );
}

function inPromotion(context: Context, instant: Date): boolean {
  return promotionAt(context, instant) !== undefined;
}

/** When the first reminder is due: after the order, and after customer service's own reminder if any. */
function firstDueAt(context: Context): Date {
  const { config, order } = context;
  const delay = inPromotion(context, createdAt(context))
    ? context.settings.firstAfterInPromotion
    : context.settings.firstAfter;
  const afterOrder = earliestSendTime(
    new Date(createdAt(context).getTime() + parseDuration(delay)),
    "notice",
    config,
    context.place,
  );
  if (order?.remindedAt === undefined) return afterOrder;
  const afterCs = earliestSendTime(
    new Date(Date.parse(order.remindedAt) + parseDuration(context.settings.firstAfterCsReminder)),
    "notice",
    config,
    context.place,
  );
  return afterCs > afterOrder ? afterCs : afterOrder;
}

/**
 * Reasons known the moment the order arrives: the step is decided at once instead of after the delay. A
 * payment, cancellation or refusal dated after now (the platform's clock ahead of ours) is not known yet:
 * deciding at once would find it not yet happened and send.
 */
function decidedAtEntry(context: Context): boolean {
  const { order, customer, now } = context;
  return (
    order?.createdAt === undefined ||
    order.paymentMethod === "cod" ||
    happenedBy(order.paidAt, now) ||
    happenedBy(order.cancelledAt, now) ||
    happenedBy(customer?.declinedAt, now)
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
 * 催付 — the payment reminder (docs/design.md). A notice: 1st reminder `firstAfter` after the order
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
  stops: [{ events: ["order.paid"], reason: "paid" }],
  variableLengths: { closeAt: 11, promotion: 8, promotionEnds: 11 },
  attribution: "this-order",
  steps: ["first", "second"],
  subjectId: (state) => state.orderId ?? state.customerId ?? "-",

  plan: planReminder,

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
    // Customer service reminded the buyer while the SMS waited: it waits on after their reminder.
    const planned = planReminder(context);
    if (
      planned.kind === "wait" &&
      planned.step === step &&
      Date.parse(planned.sendAt) > context.now.getTime()
    )
      return planned;
    if ((order?.amount ?? 0) >= context.settings.highValueAmount)
      return { kind: "handoff", step, reason: "high-value" };
    if (step === "second" && context.settings.second.channel === "handoff")
      return { kind: "handoff", step, reason: "second-reminder" };
    return sendUnless(context, step, [noPhone]);
  },

  async template(context, step) {
    if (step === "second") return "second";
    if (promotionAt(context, context.now)) return "first-promotion";
    return (await isReturningCustomer(context)) ? "first-returning" : "first";
  },

  content(context, step): MessageContent {
    const { config, order, customer } = context;
    const promotion = promotionAt(context, context.now);
    const coupon = step === "second" ? context.settings.second.coupon : undefined;
    return {
      variables: {
        shop: config.name,
        name: customer?.name ?? "",
        orderId: order?.orderId ?? "",
        amount: (order?.amount ?? 0).toFixed(2),
        closeAt: formatShortLocal(autoCloseAt(context), config.timeZone),
        ...(promotion
          ? {
              promotion: promotion.name,
              promotionEnds: formatShortLocal(new Date(promotion.end), config.timeZone),
            }
          : {}),
        ...(coupon ? { coupon: coupon.code, couponAmount: coupon.amount } : {}),
      },
      issueCoupon: coupon?.issueUrl ? { amount: coupon.amount, issueUrl: coupon.issueUrl } : undefined,
    };
  },
});

/** The next reminder and when it is due, or `done`. */
function planReminder(context: Context): Extract<Next, { kind: "wait" | "done" }> {
  const { config, now, ledger } = context;
  const first = ledger.get("first");
  let due: Date;
  let step: "first" | "second";
  if (first === undefined) {
    step = "first";
    due = decidedAtEntry(context) ? now : firstDueAt(context);
  } else if (first.status === "final" && first.outcome === "sent" && !ledger.has("second")) {
    step = "second";
    due = earliestSendTime(
      atLocalTimeNextDay(new Date(first.at), context.settings.secondAt, config.timeZone),
      "notice",
      config,
      context.place,
    );
  } else {
    return { kind: "done" };
  }
  // A reminder that would fall after the order auto-closes is decided when it closes.
  const closes = autoCloseAt(context);
  const latest = (a: Date, b: Date) => (a > b ? a : b);
  const sendAt = latest(due >= closes ? closes : due, now);
  return { kind: "wait", step, sendAt: sendAt.toISOString() };
}
