import type { ShopConfig } from "../config.js";
import { parseDuration } from "../duration.js";
import type { OrderRecord } from "../model.js";
import { type Journey, type JourneyContext, waitToSend } from "./journey.js";
import { couponMessage, unreachableReason } from "./lifecycle.js";

const STAGES = ["first", "second"] as const;

/**
 * The product cycle of an order: the longest configured cycle among its items' categories, or the
 * default. Customers of fast-moving goods go dormant sooner than buyers of durable ones.
 */
export function productCycleMs(order: OrderRecord | undefined, config: ShopConfig): number {
  const settings = config.journeys.winback;
  const cycles = (order?.items ?? [])
    .map((item) => settings.categoryCycles[String(item.category ?? "")])
    .filter((cycle): cycle is string => cycle !== undefined)
    .map(parseDuration);
  return cycles.length > 0 ? Math.max(...cycles) : parseDuration(settings.cycle);
}

/** When each stage falls due after the paid order: the cycle, then `secondAfter` (at least two cycles). */
function stageDueAt(context: JourneyContext, stage: (typeof STAGES)[number]): Date {
  const paidAt = Date.parse(context.order?.paidAt ?? context.state.enteredAt);
  const cycle = productCycleMs(context.order, context.config);
  const offset =
    stage === "first"
      ? cycle
      : Math.max(parseDuration(context.config.journeys.winback.secondAfter), 2 * cycle);
  return new Date(paidAt + offset);
}

/**
 * 休眠唤醒 — win-back. Every paid order starts a cycle (one execution per customer and paid order; the
 * dispatch step stops the previous one). After the product cycle without a new paid order: stage 1;
 * at `secondAfter`: stage 2.
 */
export const winback: Journey = {
  id: "winback",
  subjectId: (state) => `${state.customerId}:${state.orderId ?? "-"}`,

  plan(context) {
    const stage = STAGES.find((candidate) => !context.ledger.has(candidate));
    if (!stage) return { kind: "done" };
    return waitToSend(context, stage, stageDueAt(context, stage), "marketing");
  },

  async check(context, step) {
    const skip = (reason: string) => ({ kind: "skip" as const, step, reason });
    const cycleStart = Date.parse(context.order?.paidAt ?? context.state.enteredAt);
    const repurchased = (await context.customerOrders()).some(
      (order) => order.paidAt !== undefined && Date.parse(order.paidAt) > cycleStart,
    );
    if (repurchased) return skip("repurchased");
    const unreachable = unreachableReason(context);
    if (unreachable) return skip(unreachable);
    return { kind: "send", step };
  },

  message(context, step) {
    const settings = context.config.journeys.winback;
    const template = step === "second" ? settings.templates.second : settings.templates.first;
    return couponMessage(context, `winback.${step}`, template, settings);
  },
};
