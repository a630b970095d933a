import * as z from "zod";
import { duration, giftOrders, optionalCoupon, templateSettings } from "../config/settings.js";
import { defineJourney, type JourneyContext, type Verdict } from "./module.js";
import {
  after,
  cancelled,
  earliest,
  firstUndecided,
  giftOrder,
  happenedBy,
  orderFact,
  orderVariables,
  refundedAtAll,
  sendUnless,
  templatesOf,
  unknownOrder,
  unreachable,
  VARIABLES,
  waitToSend,
} from "./vocabulary.js";

/** The follow-up a person takes over after a neutral or bad review: a handoff, no SMS. */
const FOLLOW_UP = "follow-up";

const notice = templatesOf("notice", VARIABLES.order);
const marketing = templatesOf("marketing", VARIABLES.order);

const TEMPLATES = {
  request: marketing(
    "request",
    "【{shop}】{name}，宝贝收到几天了，用得还顺手吗？有任何问题直接回复，我们马上处理。拒收请回复R",
  ),
  thanks: notice("thanks", "【{shop}】{name}，谢谢您的评价和支持，我们会继续用心做好每一件宝贝！"),
  // 001: 好评关怀…领取十元优惠券. A coupon makes the thank-you marketing (opt-out line, caps, slots), so it
  // is its own template; it thanks for a review already posted, and promises nothing for one.
  "thanks-coupon": {
    messageClass: "marketing",
    variables: VARIABLES.coupon,
    setting: ["templates", "thanksCoupon"],
    text: "【{shop}】{name}，谢谢您的认可！送您{couponAmount}元券{coupon}，下次购物可用。拒收请回复R",
  },
  apology: notice(
    "apology",
    "【{shop}】{name}，很抱歉这次没让您满意，客服会尽快联系您处理订单{orderId}的问题。",
  ),
  [FOLLOW_UP]: { messageClass: "notice", recordOnly: true },
} as const;

const settings = z
  .strictObject({
    enabled: z.boolean().default(true),
    /** The feedback request, counted from delivery (or completion, whichever comes first). */
    requestAfter: duration.default("3d"),
    /** Only a customer's first this-many paid orders get a request. */
    firstOrders: z.number().int().positive().default(2),
    /** `skip` (reason `gift`) or `send` the feedback request for gift orders: the buyer is not the user. */
    giftOrders,
    /**
     * A coupon with the thank-you for a good review (`{coupon}`, `{couponAmount}`): the thanks then uses
     * template `thanksCoupon`, a marketing message. @default none
     */
    thanksCoupon: optionalCoupon,
    templates: templateSettings(TEMPLATES),
  })
  .prefault({});

type Context = JourneyContext<z.infer<typeof settings>>;

/** The steps answering the order's (first) review, in order: operators hear of a bad one first. */
function replySteps(context: Context): string[] {
  switch (context.order?.reviewRating) {
    case "good":
      return ["thanks"];
    case "neutral":
    case "bad":
      return [FOLLOW_UP, "apology"];
    case undefined:
      return [];
    default: {
      const unknown: never = context.order?.reviewRating as never;
      throw new Error(`unknown review rating ${String(unknown)}`);
    }
  }
}

/** The order's position among the customer's paid orders (an unpaid cash-on-delivery order counts as paid now). */
async function orderRank(context: Context): Promise<number> {
  const order = context.order;
  if (!order) return Number.POSITIVE_INFINITY;
  const paidAt = (o: { paidAt?: string; createdAt?: string }) => Date.parse(o.paidAt ?? o.createdAt ?? "");
  const orders = (await context.customerOrders()).filter(
    (o) => o.paidAt !== undefined || o.orderId === order.orderId,
  );
  const mine = paidAt(order);
  return orders.filter((o) => o.orderId !== order.orderId && paidAt(o) < mine).length + 1;
}

/** The request: any refund ends it (unlike the notices, which stop only at a refund in full). */
const checkRequest = (context: Context, step: string) =>
  sendUnless(context, step, [
    unknownOrder,
    cancelled,
    refundedAtAll,
    giftOrder,
    orderFact("reviewedAt", "reviewed"),
    ({ customer, now }) => (happenedBy(customer?.autoReviewedAt, now) ? "auto-reviewer" : undefined),
    async (context) =>
      (await orderRank(context)) > context.settings.firstOrders ? "later-order" : undefined,
    unreachable,
  ]);

async function checkReply(context: Context, step: string): Promise<Verdict> {
  const { order } = context;
  if (order?.createdAt === undefined) return { kind: "skip", step, reason: "unknown-order" };
  if (step === FOLLOW_UP) return { kind: "handoff", step, reason: `${order.reviewRating}-review` };
  return sendUnless(context, step, [
    // The platform's default review after the buyer said nothing: there is no one to thank.
    () => (step === "thanks" && order.reviewAuto === true ? "auto-review" : undefined),
    unreachable,
  ]);
}

/**
 * 评价关怀 — review care. `request`: a feedback request `requestAfter` (3 days) after delivery or
 * completion, whichever comes first, if no review was posted: marketing, only for a customer's first
 * `firstOrders` paid orders and never for customers whose reviews were automatic. `reply`: on the order's
 * first review, thanks for a good one; for a neutral or bad one a handoff to the operators (with the
 * rating and text) and an apology.
 */
export const reviewCare = defineJourney({
  id: "review-care",
  configKey: "reviewCare",
  settings,
  templates: TEMPLATES,
  triggers: [
    { kind: "order-event", event: "parcel.delivered", stage: "request" },
    { kind: "order-event", event: "order.completed", stage: "request" },
    { kind: "order-event", event: "review.posted", stage: "reply" },
  ],
  attribution: "other-orders",
  steps: ["request", "thanks", FOLLOW_UP, "apology"],
  subjectId: (state) => state.orderId ?? "-",

  plan(context) {
    const { order, state } = context;
    if (state.stage === "reply") {
      const step = firstUndecided(context, replySteps(context));
      if (!step) return { kind: "done" };
      const due = new Date(order?.reviewedAt ?? state.enteredAt);
      if (step === FOLLOW_UP) {
        // Operators hear of a bad review at once; only messages to customers keep to the window.
        const sendAt = due < context.now ? context.now : due;
        return { kind: "wait", step, sendAt: sendAt.toISOString() };
      }
      return waitToSend(context, step, due, "notice");
    }
    if (context.ledger.has("request")) return { kind: "done" };
    const received = earliest(order?.deliveredAt, order?.completedAt) ?? new Date(state.enteredAt);
    return waitToSend(context, "request", after(received, context.settings.requestAfter), "marketing");
  },

  check: (context, step) => (step === "request" ? checkRequest(context, step) : checkReply(context, step)),

  template(context, step) {
    if (step === "thanks" && context.settings.thanksCoupon) return "thanks-coupon";
    if (step in TEMPLATES) return step;
    throw new Error(`review-care: unknown step ${JSON.stringify(step)}`);
  },

  content(context, step) {
    const thanksCoupon = step === "thanks" ? context.settings.thanksCoupon : undefined;
    if (!thanksCoupon) return { variables: orderVariables(context) };
    return {
      variables: { ...orderVariables(context), couponAmount: thanksCoupon.amount, coupon: thanksCoupon.code },
      issueCoupon: thanksCoupon.issueUrl
        ? { amount: thanksCoupon.amount, issueUrl: thanksCoupon.issueUrl }
        : undefined,
    };
  },

  handoff(context) {
    const { order } = context;
    const text = order?.reviewText ?? "";
    return {
      summary: `review-care: ${order?.reviewRating ?? "?"} review of order ${order?.orderId ?? "-"}${text ? `: "${text}"` : ""}`,
      details: { rating: order?.reviewRating ?? "", text },
    };
  },
});
