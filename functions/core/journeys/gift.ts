import { parseDuration } from "../duration.js";
import type { JourneyId } from "../model.js";
import { type Journey, type JourneyContext, waitToSend } from "./journey.js";
import { couponMessage, fullyRefunded, paidOrders, unreachableReason } from "./lifecycle.js";

const STEP = "gift";

/**
 * 满月礼 / 百日礼 — a coupon `after` (30 / 100 days) the customer's first paid order, at the next marketing
 * slot. One execution per customer, so a big shop's open executions grow with customers, not orders.
 */
function giftJourney(id: Extract<JourneyId, "gift-30" | "gift-100">, key: "gift30" | "gift100"): Journey {
  const settings = (context: JourneyContext) => context.config.journeys[key];
  const firstPaidOrder = async (context: JourneyContext) => paidOrders(await context.customerOrders())[0];
  return {
    id,
    subjectId: (state) => state.customerId ?? "-",

    plan(context) {
      if (context.ledger.has(STEP)) return { kind: "done" };
      // The order that started the journey was paid; an earlier-paid one (late webhook) is caught at check.
      const paidAt = context.order?.paidAt ?? context.state.enteredAt;
      return waitToSend(
        context,
        STEP,
        new Date(Date.parse(paidAt) + parseDuration(settings(context).after)),
        "marketing",
      );
    },

    async check(context, step) {
      const skip = (reason: string) => ({ kind: "skip" as const, step, reason });
      const first = await firstPaidOrder(context);
      if (!first) return skip("unknown-order");
      if (fullyRefunded(first)) return skip("refunded");
      const unreachable = unreachableReason(context);
      if (unreachable) return skip(unreachable);
      return { kind: "send", step };
    },

    message(context) {
      const gift = settings(context);
      return couponMessage(context, `${id}.${STEP}`, gift.template, gift);
    },
  };
}

export const gift30 = giftJourney("gift-30", "gift30");
export const gift100 = giftJourney("gift-100", "gift100");
