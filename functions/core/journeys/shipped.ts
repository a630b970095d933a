import * as z from "zod";
import { giftOrdersOrPayer, templateSettings } from "../config/settings.js";
import { defineJourney } from "./module.js";
import {
  isReturningCustomer,
  noticeOnce,
  ORDER_CARE,
  orderFact,
  parcelVariables,
  recipientUnder,
  sendUnless,
  VARIABLES,
} from "./vocabulary.js";

const STEP = "notice";

const TEMPLATES = {
  "first-time": {
    messageClass: "notice",
    variables: VARIABLES.parcel,
    setting: ["templates", "firstTime"],
    text: "【{shop}】{name}您好，您的宝贝已由{carrier}发出，运单号{trackingNo}。第一次在本店购物，有任何问题直接回复我们。",
  },
  returning: {
    messageClass: "notice",
    variables: VARIABLES.parcel,
    setting: ["templates", "returning"],
    text: "【{shop}】{name}，老朋友的宝贝已由{carrier}发出，运单号{trackingNo}，感谢再次光临！",
  },
} as const;

const settings = z
  .strictObject({
    enabled: z.boolean().default(true),
    /**
     * Gift orders: `skip` (reason `gift`), `send` to the number on the order (the recipient's), or `payer`:
     * to `order.payer.phone`. The arrival notices follow this unless `arrived.giftOrders` is set.
     */
    giftOrders: giftOrdersOrPayer.default("skip"),
    /** Display names for carrier codes in `{carrier}`; a code without one is shown as it is. */
    carrierNames: z.record(z.string(), z.string().min(1)).default({
      SF: "顺丰速运",
      shunfeng: "顺丰速运",
      YTO: "圆通速递",
      yuantong: "圆通速递",
      ZTO: "中通快递",
      zhongtong: "中通快递",
      STO: "申通快递",
      shentong: "申通快递",
      YD: "韵达快递",
      yunda: "韵达快递",
      JD: "京东物流",
      jd: "京东物流",
      EMS: "EMS",
      ems: "EMS",
    }),
    templates: templateSettings(TEMPLATES),
  })
  .prefault({});

/**
 * 发货提醒 — the shipping notice on `order.shipped`: carrier and tracking number, one template for a
 * customer's first paid order and another for returning customers. A notice, held to the notice window.
 */
export const shipped = defineJourney({
  id: "shipped",
  configKey: "shipped",
  settings,
  templates: TEMPLATES,
  triggers: [{ kind: "order-event", event: "order.shipped" }],
  attribution: "none",
  steps: [STEP],
  subjectId: (state) => state.orderId ?? "-",

  recipient: recipientUnder(({ settings }) => settings.giftOrders),

  plan: (context) => noticeOnce(context, STEP, context.order?.shippedAt),

  // Held overnight while the parcel was already handed over: the notice has nothing left to say.
  check: (context, step) =>
    sendUnless(context, step, [...ORDER_CARE, orderFact("deliveredAt", "already-delivered")]),

  template: async (context) => ((await isReturningCustomer(context)) ? "returning" : "first-time"),

  content: (context) => ({ variables: parcelVariables(context) }),
});
