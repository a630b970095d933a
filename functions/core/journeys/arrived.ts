import type { OrderRecord } from "../model.js";
import { type Journey, type JourneyContext, waitToSend } from "./journey.js";
import { happenedBy, orderCareSkipReason, parcelVariables } from "./order-care.js";

/**
 * The parcel stages this journey answers. Each tracking event starts one execution for its stage, so a
 * stage sends at most once per order however often the tracking service repeats the event.
 */
export const PARCEL_STAGES = {
  "arrived-city": { fact: "arrivedCityAt", template: "arrivedCity" },
  "out-for-delivery": { fact: "outForDeliveryAt", template: "outForDelivery" },
  delivered: { fact: "deliveredAt", template: "delivered" },
} as const satisfies Record<
  string,
  {
    fact: keyof OrderRecord;
    template: keyof JourneyContext["config"]["journeys"]["arrived"]["templates"];
  }
>;

/** A parcel stage: `arrived-city`, `out-for-delivery` or `delivered`. */
export type ParcelStage = keyof typeof PARCEL_STAGES;

function stageOf(step: string): ParcelStage {
  if (step in PARCEL_STAGES) return step as ParcelStage;
  throw new Error(`arrived: unknown stage ${JSON.stringify(step)}`);
}

/**
 * 同城/派件/签收 — parcel notices from the tracking service: "arrived in your city, keep your phone on",
 * optionally "out for delivery", and on delivery an after-sales guide (care, returns, where to complain
 * before reviewing). Notices, held to the notice window.
 */
export const arrived: Journey = {
  id: "arrived",
  subjectId: (state) => state.orderId ?? "-",

  plan(context) {
    const stage = stageOf(context.state.stage ?? "");
    if (context.ledger.has(stage)) return { kind: "done" };
    const happened = context.order?.[PARCEL_STAGES[stage].fact] ?? context.state.enteredAt;
    return waitToSend(context, stage, new Date(happened), "notice");
  },

  async check(context, step) {
    const skip = (reason: string) => ({ kind: "skip" as const, step, reason });
    const reason = orderCareSkipReason(context, { giftOrders: context.config.journeys.arrived.giftOrders });
    if (reason) return skip(reason);
    // An arrival notice held overnight is stale once the parcel has been delivered.
    if (stageOf(step) !== "delivered" && happenedBy(context.order?.deliveredAt, context.now)) {
      return skip("already-delivered");
    }
    return { kind: "send", step };
  },

  message(context, step) {
    const stage = stageOf(step);
    return {
      templateId: `arrived.${stage}`,
      template: context.config.journeys.arrived.templates[PARCEL_STAGES[stage].template],
      messageClass: "notice",
      variables: parcelVariables(context),
    };
  },
};
