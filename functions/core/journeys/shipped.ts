import { type Journey, waitToSend } from "./journey.js";
import { happenedBy, isReturningCustomer, orderCareSkipReason, parcelVariables } from "./order-care.js";

const STEP = "notice";

/**
 * 发货提醒 — the shipping notice on `order.shipped`: carrier and tracking number, one template for a
 * customer's first paid order and another for returning customers. A notice, held to the notice window.
 */
export const shipped: Journey = {
  id: "shipped",
  subjectId: (state) => state.orderId ?? "-",

  plan(context) {
    if (context.ledger.has(STEP)) return { kind: "done" };
    const shippedAt = context.order?.shippedAt ?? context.state.enteredAt;
    return waitToSend(context, STEP, new Date(shippedAt), "notice");
  },

  async check(context, step) {
    const skip = (reason: string) => ({ kind: "skip" as const, step, reason });
    const reason = orderCareSkipReason(context, { giftOrders: context.config.journeys.shipped.giftOrders });
    if (reason) return skip(reason);
    // Held overnight while the parcel was already handed over: the notice has nothing left to say.
    if (happenedBy(context.order?.deliveredAt, context.now)) return skip("already-delivered");
    return { kind: "send", step };
  },

  async message(context) {
    const templates = context.config.journeys.shipped.templates;
    const returning = await isReturningCustomer(context);
    return {
      templateId: returning ? "shipped.returning" : "shipped.first-time",
      template: returning ? templates.returning : templates.firstTime,
      messageClass: "notice",
      variables: parcelVariables(context),
    };
  },
};
