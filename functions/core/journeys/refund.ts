import * as z from "zod";
import { giftOrders, templateSettings } from "../config/settings.js";
import { defineJourney } from "./module.js";
import {
  giftOrder,
  noticeOnce,
  orderVariables,
  sendUnless,
  unknownOrder,
  unreachable,
  VARIABLES,
} from "./vocabulary.js";

const STEP = "notice";

const TEMPLATES = {
  [STEP]: {
    messageClass: "notice",
    variables: [...VARIABLES.order, "amount"],
    setting: ["templates", "notice"],
    text: "【{shop}】{name}您好，订单{orderId}的退款{amount}元已原路退回，请注意查收。",
  },
} as const;

const settings = z
  .strictObject({
    enabled: z.boolean().default(true),
    /** `skip` (reason `gift`) or `send` the notice for gift orders: the number on a gift order is the recipient's. */
    giftOrders,
    templates: templateSettings(TEMPLATES),
  })
  .prefault({});

/**
 * 退款提醒 — the refund notice: on every `refund.completed` (each refund once), the amount refunded, held
 * to the notice window. A partial refund gets its own notice; a cancelled order's refund too.
 */
export const refund = defineJourney({
  id: "refund",
  configKey: "refund",
  settings,
  templates: TEMPLATES,
  triggers: [{ kind: "each-refund" }],
  attribution: "none",
  // One ledger per refund of the order: the refund's key is the execution's stage.
  steps: [STEP],
  subjectId: (state) => `${state.orderId ?? "-"}:${state.stage ?? "-"}`,

  // Due at the refund's time (the execution's entry).
  plan: (context) => noticeOnce(context, STEP, undefined),

  check: (context, step) => sendUnless(context, step, [unknownOrder, giftOrder, unreachable]),

  template: () => STEP,

  content: (context) => ({
    variables: { ...orderVariables(context), amount: (context.state.amount ?? 0).toFixed(2) },
  }),
});
