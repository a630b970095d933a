import * as z from "zod";
import { coupon, duration, templateText } from "../config/settings.js";
import { defineJourney } from "./module.js";
import {
  after,
  couponContent,
  fullyRefunded,
  paidOrders,
  sendUnless,
  unreachable,
  VARIABLES,
  waitToSend,
} from "./vocabulary.js";

const STEP = "gift";

/**
 * 满月礼 / 百日礼 — a coupon `after` (30 / 100 days) the customer's first paid order, at the next marketing
 * slot. One execution per customer, so a big shop's open executions grow with customers, not orders.
 */
function giftJourney<const Id extends string, const Key extends string>(
  id: Id,
  configKey: Key,
  defaults: { readonly after: string; readonly couponAmount: number; readonly text: string },
) {
  const templates = {
    [STEP]: {
      messageClass: "marketing",
      variables: VARIABLES.coupon,
      setting: ["template"],
      text: defaults.text,
    },
  } as const;
  const settings = z
    .strictObject({
      enabled: z.boolean().default(true),
      after: duration.default(defaults.after),
      couponAmount: z.number().positive().default(defaults.couponAmount),
      coupon,
      template: templateText(defaults.text),
    })
    .prefault({});
  return defineJourney({
    id,
    configKey,
    settings,
    templates,
    triggers: [{ kind: "first-paid-order" }],
    attribution: "other-orders",
    steps: [STEP],
    subjectId: (state) => state.customerId ?? "-",

    plan(context) {
      if (context.ledger.has(STEP)) return { kind: "done" };
      // The order that started the journey was paid; an earlier-paid one (late webhook) is caught at check.
      const paidAt = context.order?.paidAt ?? context.state.enteredAt;
      return waitToSend(context, STEP, after(paidAt, context.settings.after), "marketing");
    },

    check: (context, step) =>
      sendUnless(context, step, [
        async (context) => {
          const first = paidOrders(await context.customerOrders())[0];
          if (!first) return "unknown-order";
          return fullyRefunded(first) ? "refunded" : undefined;
        },
        unreachable,
      ]),

    template: () => STEP,

    content: couponContent,
  });
}

export const gift30 = giftJourney("gift-30", "gift30", {
  after: "30d",
  couponAmount: 5,
  text: "【{shop}】{name}，认识满一个月啦！送您{couponAmount}元无门槛券{coupon}，感谢相伴。拒收请回复R",
});
export const gift100 = giftJourney("gift-100", "gift100", {
  after: "100d",
  couponAmount: 10,
  text: "【{shop}】{name}，相识100天，送您{couponAmount}元券{coupon}，愿常相伴。拒收请回复R",
});
