import * as z from "zod";
import { giftOrdersOrPayer, templateSettings } from "../config/settings.js";
import type { OrderRecord } from "../shared/model.js";
import { defineJourney, type JourneyContext } from "./module.js";
import {
  cancelled,
  type GiftOrderPolicy,
  giftOrderBy,
  noticeOnce,
  orderFact,
  parcelVariables,
  recipientUnder,
  refundedInFull,
  sendUnless,
  templatesOf,
  unknownOrder,
  unreachable,
  VARIABLES,
} from "./vocabulary.js";

/**
 * The parcel stages this journey answers, each with the order fact it follows. Each tracking event starts
 * one execution for its stage, so a stage sends at most once per order however often the tracking service
 * repeats the event.
 */
const STAGE_FACTS = {
  "arrived-city": "arrivedCityAt",
  "out-for-delivery": "outForDeliveryAt",
  delivered: "deliveredAt",
} as const satisfies Record<string, keyof OrderRecord>;

/** A parcel stage: `arrived-city`, `out-for-delivery` or `delivered`. */
export type ParcelStage = keyof typeof STAGE_FACTS;

function stageOf(step: string): ParcelStage {
  if (step in STAGE_FACTS) return step as ParcelStage;
  throw new Error(`arrived: unknown stage ${JSON.stringify(step)}`);
}

const notice = templatesOf("notice", VARIABLES.parcel);

const TEMPLATES = {
  "arrived-city": notice(
    "arrivedCity",
    "【{shop}】{name}您好，您的包裹已到达您所在城市，预计明天派送，请保持电话畅通。",
  ),
  "out-for-delivery": notice(
    "outForDelivery",
    "【{shop}】{name}您好，您的包裹正在派送中，{carrier}快递员将尽快送达，请保持电话畅通。",
  ),
  delivered: notice(
    "delivered",
    "【{shop}】{name}您好，包裹已签收。使用前请先看说明书；7天内可在订单页申请退换；有任何不满意请先联系客服，我们第一时间处理。",
  ),
} as const satisfies Record<ParcelStage, unknown>;

const settings = z
  .strictObject({
    enabled: z.boolean().default(true),
    /** `parcel.out_for_delivery` messages; off by default (the arrival notice already asks to keep the phone on). */
    outForDelivery: z.boolean().default(false),
    /** As the shipping notice's `giftOrders` (`skip`, `send`, `payer`), which it follows when unset. */
    giftOrders: giftOrdersOrPayer.optional(),
    templates: templateSettings(TEMPLATES),
  })
  .prefault({});

/** The gift-order policy of the arrival notices: their own, else the shipping notice's. */
const giftPolicy = (context: JourneyContext<z.infer<typeof settings>>): GiftOrderPolicy =>
  context.settings.giftOrders ??
  (context.config.journeys.shipped as { giftOrders: GiftOrderPolicy }).giftOrders;

const ORDER_CARE = [unknownOrder, cancelled, refundedInFull, giftOrderBy(giftPolicy), unreachable];

/** An arrival notice held overnight is stale once the parcel has been delivered. */
const alreadyDelivered = orderFact("deliveredAt", "already-delivered");

/**
 * 同城/派件/签收 — parcel notices from the tracking service: "arrived in your city, keep your phone on",
 * optionally "out for delivery", and on delivery an after-sales guide (care, returns, where to complain
 * before reviewing). Notices, held to the notice window.
 */
export const arrived = defineJourney({
  id: "arrived",
  configKey: "arrived",
  settings,
  templates: TEMPLATES,
  triggers: [
    { kind: "order-event", event: "parcel.arrived_city", stage: "arrived-city" },
    {
      kind: "order-event",
      event: "parcel.out_for_delivery",
      stage: "out-for-delivery",
      when: (settings) => settings.outForDelivery,
    },
    { kind: "order-event", event: "parcel.delivered", stage: "delivered" },
  ],
  attribution: "none",
  steps: Object.keys(STAGE_FACTS),
  subjectId: (state) => state.orderId ?? "-",

  recipient: recipientUnder(giftPolicy),

  plan(context) {
    const stage = stageOf(context.state.stage ?? "");
    return noticeOnce(context, stage, context.order?.[STAGE_FACTS[stage]]);
  },

  check: (context, step) =>
    sendUnless(context, step, stageOf(step) === "delivered" ? ORDER_CARE : [...ORDER_CARE, alreadyDelivered]),

  template: (_context, step) => stageOf(step),

  content: (context) => ({ variables: parcelVariables(context) }),
});
