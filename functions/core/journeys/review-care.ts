import { parseDuration } from "../duration.js";
import type { Next } from "../model.js";
import { type Journey, type JourneyContext, waitToSend } from "./journey.js";
import { unreachableReason } from "./lifecycle.js";
import { earliest, happenedBy } from "./order-care.js";

/** The follow-up a person takes over after a neutral or bad review: a handoff, no SMS. */
const FOLLOW_UP = "follow-up";

/** The steps answering the order's (first) review, in order: operators hear of a bad one first. */
function replySteps(context: JourneyContext): string[] {
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

function settings(context: JourneyContext) {
  return context.config.journeys.reviewCare;
}

/** The order's position among the customer's paid orders (an unpaid cash-on-delivery order counts as paid now). */
async function orderRank(context: JourneyContext): Promise<number> {
  const order = context.order;
  if (!order) return Number.POSITIVE_INFINITY;
  const paidAt = (o: { paidAt?: string; createdAt?: string }) => Date.parse(o.paidAt ?? o.createdAt ?? "");
  const orders = (await context.customerOrders()).filter(
    (o) => o.paidAt !== undefined || o.orderId === order.orderId,
  );
  const mine = paidAt(order);
  return orders.filter((o) => o.orderId !== order.orderId && paidAt(o) < mine).length + 1;
}

async function checkRequest(
  context: JourneyContext,
  step: string,
): Promise<Extract<Next, { kind: "send" | "skip" }>> {
  const { order, customer, now } = context;
  const skip = (reason: string) => ({ kind: "skip" as const, step, reason });
  if (order?.createdAt === undefined) return skip("unknown-order");
  if (happenedBy(order.cancelledAt, now)) return skip("cancelled");
  if (happenedBy(order.refundedAt, now)) return skip("refunded");
  if (order.gift === true && settings(context).giftOrders === "skip") return skip("gift");
  if (happenedBy(order.reviewedAt, now)) return skip("reviewed");
  if (happenedBy(customer?.autoReviewedAt, now)) return skip("auto-reviewer");
  if ((await orderRank(context)) > settings(context).firstOrders) return skip("later-order");
  const unreachable = unreachableReason(context);
  if (unreachable) return skip(unreachable);
  return { kind: "send", step };
}

function checkReply(
  context: JourneyContext,
  step: string,
): Extract<Next, { kind: "send" | "handoff" | "skip" }> {
  const { order } = context;
  const skip = (reason: string) => ({ kind: "skip" as const, step, reason });
  if (order?.createdAt === undefined) return skip("unknown-order");
  if (step === FOLLOW_UP) return { kind: "handoff", step, reason: `${order.reviewRating}-review` };
  // The platform's default review after the buyer said nothing: there is no one to thank.
  if (step === "thanks" && order.reviewAuto === true) return skip("auto-review");
  const unreachable = unreachableReason(context);
  if (unreachable) return skip(unreachable);
  return { kind: "send", step };
}

/**
 * 评价关怀 — review care. `request`: a feedback request `requestAfter` (3 days) after delivery or
 * completion, whichever comes first, if no review was posted: marketing, only for a customer's first
 * `firstOrders` paid orders and never for customers whose reviews were automatic. `reply`: on the order's
 * first review, thanks for a good one; for a neutral or bad one a handoff to the operators (with the
 * rating and text) and an apology.
 */
export const reviewCare: Journey = {
  id: "review-care",
  subjectId: (state) => state.orderId ?? "-",

  plan(context) {
    const { order, ledger, state } = context;
    if (state.stage === "reply") {
      const step = replySteps(context).find((candidate) => !ledger.has(candidate));
      if (!step) return { kind: "done" };
      const due = new Date(order?.reviewedAt ?? state.enteredAt);
      if (step === FOLLOW_UP) {
        // Operators hear of a bad review at once; only messages to customers keep to the window.
        const sendAt = due < context.now ? context.now : due;
        return { kind: "wait", step, sendAt: sendAt.toISOString() };
      }
      return waitToSend(context, step, due, "notice");
    }
    if (ledger.has("request")) return { kind: "done" };
    const received = earliest(order?.deliveredAt, order?.completedAt) ?? new Date(state.enteredAt);
    return waitToSend(
      context,
      "request",
      new Date(received.getTime() + parseDuration(settings(context).requestAfter)),
      "marketing",
    );
  },

  async check(context, step) {
    return step === "request" ? checkRequest(context, step) : checkReply(context, step);
  },

  message(context, step) {
    const { config, order, customer } = context;
    const templates = settings(context).templates;
    const variables = { shop: config.name, name: customer?.name ?? "", orderId: order?.orderId ?? "" };
    switch (step) {
      case "request":
        return {
          templateId: "review-care.request",
          template: templates.request,
          messageClass: "marketing",
          variables,
        };
      case "thanks":
        return {
          templateId: "review-care.thanks",
          template: templates.thanks,
          messageClass: "notice",
          variables,
        };
      case "apology":
        return {
          templateId: "review-care.apology",
          template: templates.apology,
          messageClass: "notice",
          variables,
        };
      case FOLLOW_UP:
        return { templateId: "review-care.follow-up", template: "", messageClass: "notice", variables };
      default:
        throw new Error(`review-care: unknown step ${JSON.stringify(step)}`);
    }
  },

  handoff(context) {
    const { order } = context;
    const text = order?.reviewText ?? "";
    return {
      summary: `review-care: ${order?.reviewRating ?? "?"} review of order ${order?.orderId ?? "-"}${text ? `: "${text}"` : ""}`,
      details: { rating: order?.reviewRating ?? "", text },
    };
  },
};
