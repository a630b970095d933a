import * as z from "zod";
import { coupon, duration, templateSettings } from "../config/settings.js";
import { productCycleMs } from "../customers/product-cycle.js";
import { parseDuration } from "../shared/duration.js";
import { defineJourney, type JourneyContext } from "./module.js";
import {
  couponContent,
  firstUndecided,
  sendUnless,
  templatesOf,
  unreachable,
  VARIABLES,
  waitToSend,
} from "./vocabulary.js";

const STAGES = ["first", "second"] as const;

const stage = templatesOf("marketing", VARIABLES.coupon);

const TEMPLATES = {
  first: stage(
    "first",
    "【{shop}】{name}，好久不见！为您留了{couponAmount}元回购券{coupon}，期待再见。拒收请回复R",
  ),
  second: stage(
    "second",
    "【{shop}】{name}，{couponAmount}元回购券仍为您保留{coupon}，欢迎回来看看。拒收请回复R",
  ),
} as const;

const settings = z
  .strictObject({
    enabled: z.boolean().default(true),
    /** The product cycle: how long after a paid order a customer counts as dormant. */
    cycle: duration.default("60d"),
    /** Product cycles per item category; an order with several categories uses the longest. */
    categoryCycles: z.record(z.string(), duration).default({}),
    /** The 2nd stage, counted from the same paid order. */
    secondAfter: duration.default("120d"),
    couponAmount: z.number().positive().default(10),
    coupon,
    templates: templateSettings(TEMPLATES),
  })
  .prefault({});

/** When each stage falls due after the paid order: the cycle, then `secondAfter` (at least two cycles). */
function stageDueAt(context: JourneyContext<z.infer<typeof settings>>, stage: string): Date {
  const paidAt = Date.parse(context.order?.paidAt ?? context.state.enteredAt);
  const cycle = productCycleMs(context.order, context.settings);
  const offset = stage === "first" ? cycle : Math.max(parseDuration(context.settings.secondAfter), 2 * cycle);
  return new Date(paidAt + offset);
}

/**
 * 休眠唤醒 — win-back. Every paid order starts a cycle (one execution per customer and paid order; the
 * previous cycle is stopped, its next stage recorded `repurchased`). After the product cycle without a new
 * paid order: stage 1; at `secondAfter`: stage 2.
 */
export const winback = defineJourney({
  id: "winback",
  configKey: "winback",
  settings,
  templates: TEMPLATES,
  triggers: [{ kind: "paid-order-cycle", replacedReason: "repurchased" }],
  attribution: "other-orders",
  steps: STAGES,
  subjectId: (state) => `${state.customerId}:${state.orderId ?? "-"}`,

  plan(context) {
    const next = firstUndecided(context, STAGES);
    if (!next) return { kind: "done" };
    return waitToSend(context, next, stageDueAt(context, next), "marketing");
  },

  check: (context, step) =>
    sendUnless(context, step, [
      async (context) => {
        const cycleStart = Date.parse(context.order?.paidAt ?? context.state.enteredAt);
        const repurchased = (await context.customerOrders()).some(
          (order) => order.paidAt !== undefined && Date.parse(order.paidAt) > cycleStart,
        );
        return repurchased ? "repurchased" : undefined;
      },
      unreachable,
    ]),

  template: (_context, step) => (step === "second" ? "second" : "first"),

  content: couponContent,
});
