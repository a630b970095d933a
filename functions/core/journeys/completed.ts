import * as z from "zod";
import { giftOrders, templateSettings } from "../config/settings.js";
import { defineJourney } from "./module.js";
import { noticeOnce, ORDER_CARE, orderVariables, sendUnless, VARIABLES } from "./vocabulary.js";

const STEP = "thanks";

const TEMPLATES = {
  [STEP]: {
    messageClass: "notice",
    variables: VARIABLES.order,
    setting: ["templates", "thanks"],
    text: "【{shop}】{name}您好，订单{orderId}已确认收货，交易成功。感谢您的信任，期待再次为您服务！",
  },
} as const;

const settings = z
  .strictObject({
    enabled: z.boolean().default(false),
    /** `skip` (reason `gift`) or `send` the notice for gift orders. */
    giftOrders,
    templates: templateSettings(TEMPLATES),
  })
  .prefault({});

/**
 * 交易成功提醒 — the trade-completed notice: on `order.completed`, a thank-you, held to the notice window.
 * Off by default (review care's request already follows completion).
 */
export const completed = defineJourney({
  id: "completed",
  configKey: "completed",
  settings,
  templates: TEMPLATES,
  triggers: [{ kind: "order-event", event: "order.completed" }],
  attribution: "none",
  steps: [STEP],
  subjectId: (state) => state.orderId ?? "-",

  plan: (context) => noticeOnce(context, STEP, context.order?.completedAt),

  check: (context, step) => sendUnless(context, step, ORDER_CARE),

  template: () => STEP,

  content: (context) => ({ variables: orderVariables(context) }),
});
