import * as z from "zod";
import { duration, optionalCoupon, templateSettings } from "../config/settings.js";
import { earliestSendTime } from "../engine/policy.js";
import { insideWindows } from "../engine/quiet-hours.js";
import type { Next } from "../shared/model.js";
import { defineJourney, type JourneyContext, type MessageContent } from "./module.js";
import { after, type Guard, happenedBy, noPhone, sendUnless } from "./vocabulary.js";

const VARIABLES = ["shop", "name", "amount"] as const;

const TEMPLATES = {
  reminder: {
    messageClass: "marketing",
    variables: VARIABLES,
    setting: ["templates", "reminder"],
    text: "【{shop}】{name}，购物车{amount}元宝贝待下单：{link} 拒收请回复R",
  },
  second: {
    messageClass: "marketing",
    variables: [...VARIABLES, "coupon", "couponAmount"],
    setting: ["templates", "second"],
    text: "【{shop}】{name}，购物车仍为您保留：{link} 拒收请回复R",
  },
} as const;

const settings = z
  .strictObject({
    enabled: z.boolean().default(false),
    /** The reminder is due this long after the checkout's latest update. */
    after: duration.default("1h"),
    second: z
      .strictObject({
        /** A second reminder, when the first went out and the checkout is still not completed. */
        enabled: z.boolean().default(false),
        /** After the checkout's latest update (and never before the first reminder). */
        after: duration.default("24h"),
        /** A coupon in the second reminder (`{coupon}`, `{couponAmount}`): `{amount, code | issueUrl}`. */
        coupon: optionalCoupon,
      })
      .prefault({}),
    templates: templateSettings(TEMPLATES),
  })
  .prefault({});

type Context = JourneyContext<z.infer<typeof settings>>;

/** The checkout was completed: the platform says so, an order carried its token, or the customer ordered since. */
const ordered: Guard = async (context) => {
  const { checkout, now } = context;
  if (happenedBy(checkout?.orderedAt, now) || happenedBy(checkout?.completedAt, now)) return "ordered";
  const since = checkout?.createdAt;
  if (since === undefined || context.customerId === undefined) return undefined;
  const orders = await context.customerOrders();
  const sinceMs = Date.parse(since);
  return orders.some(
    (order) =>
      order.createdAt !== undefined &&
      Date.parse(order.createdAt) >= sinceMs &&
      happenedBy(order.createdAt, now),
  )
    ? "ordered"
    : undefined;
};

/** Nothing to come back for: no items, or nothing to pay. */
const emptyCheckout: Guard = ({ checkout }) =>
  checkout === undefined || !checkout.items || !checkout.amount ? "empty-checkout" : undefined;

/**
 * When a reminder due at `due` goes out: then, if the marketing window is open (a slot would turn a
 * one-hour reminder into a seven-hour one), else at the window's next slot.
 */
function reminderAt(context: Context, step: string, due: Date): Extract<Next, { kind: "wait" }> {
  const { config, place, now } = context;
  const from = due < now ? now : due;
  const sendAt = insideWindows(from, "marketing", config, place)
    ? from
    : earliestSendTime(from, "marketing", config, place);
  return { kind: "wait", step, sendAt: sendAt.toISOString() };
}

/** The next reminder and when it is due, or `done`. */
function planCheckout(context: Context): Extract<Next, { kind: "wait" | "done" }> {
  const { checkout, ledger, settings, now } = context;
  const updatedAt = checkout?.updatedAt ?? context.state.enteredAt;
  const reminder = ledger.get("reminder");
  if (reminder === undefined) {
    // Known completed (or empty) when it starts: decided at once rather than an hour later.
    const settled =
      happenedBy(checkout?.orderedAt, now) || happenedBy(checkout?.completedAt, now) || !checkout?.items;
    return reminderAt(context, "reminder", settled ? now : after(updatedAt, settings.after));
  }
  if (!settings.second.enabled || ledger.has("second")) return { kind: "done" };
  if (reminder.status !== "final" || reminder.outcome !== "sent") return { kind: "done" };
  const due = after(updatedAt, settings.second.after);
  return reminderAt(context, "second", due < new Date(reminder.at) ? new Date(reminder.at) : due);
}

/**
 * 加购未付 / 未下单提醒 — the abandoned checkout (off by default). One execution per checkout token, started by
 * its first update; the reminder is due `after` the checkout's latest update, in the marketing window but at
 * no marketing slot, with a tracked short link back to the checkout (`links.baseUrl`). An order carrying the
 * token stops it (`ordered`), and so does any order the customer placed since the checkout began.
 */
export const checkout = defineJourney({
  id: "checkout",
  configKey: "checkout",
  settings,
  templates: TEMPLATES,
  triggers: [{ kind: "checkout" }],
  attribution: "other-orders",
  atOwnTime: true,
  steps: ["reminder", "second"],
  subjectId: (state) => state.checkout ?? "-",

  plan: planCheckout,

  async check(context, step) {
    const verdict = await sendUnless(context, step, [ordered, emptyCheckout, noPhone]);
    if (verdict.kind === "skip") return verdict;
    // Updated while the reminder waited: it waits on, `after` the latest update.
    const planned = planCheckout(context);
    if (
      planned.kind === "wait" &&
      planned.step === step &&
      Date.parse(planned.sendAt) > context.now.getTime()
    )
      return planned;
    return verdict;
  },

  template: (_context, step) => (step === "second" ? "second" : "reminder"),

  content(context, step): MessageContent {
    const { config, customer, checkout } = context;
    const coupon = step === "second" ? context.settings.second.coupon : undefined;
    return {
      variables: {
        shop: config.name,
        name: customer?.name ?? "",
        amount: (checkout?.amount ?? 0).toFixed(2),
        ...(coupon ? { coupon: coupon.code, couponAmount: coupon.amount } : {}),
      },
      issueCoupon: coupon?.issueUrl ? { amount: coupon.amount, issueUrl: coupon.issueUrl } : undefined,
    };
  },

  linkTarget: (context) => context.checkout?.url,
});
