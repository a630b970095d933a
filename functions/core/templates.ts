import type { MessageClass } from "./model.js";

/** What shopcare knows about one message template: where operators set it, its class and its variables. */
export interface TemplateSpec {
  /** Path of the template in the shop config, e.g. `journeys.paymentReminder.templates.first`. */
  readonly path: readonly string[];
  readonly messageClass: MessageClass;
  /** The `{variables}` the template may use; any other fails config validation. */
  readonly variables: readonly string[];
}

const PAYMENT_VARIABLES = ["shop", "name", "orderId", "amount", "closeAt"] as const;
const COUPON_VARIABLES = ["shop", "name", "couponAmount", "coupon"] as const;
const PARCEL_VARIABLES = ["shop", "name", "orderId", "carrier", "trackingNo"] as const;
const ORDER_VARIABLES = ["shop", "name", "orderId"] as const;

/**
 * Every message template, by the id decision records carry (`<journey>.<step>`). Lint, config
 * validation and the Aliyun template-code mapping all work from this list.
 */
export const TEMPLATE_SPECS = {
  "payment-reminder.first": {
    path: ["journeys", "paymentReminder", "templates", "first"],
    messageClass: "notice",
    variables: PAYMENT_VARIABLES,
  },
  "payment-reminder.second": {
    path: ["journeys", "paymentReminder", "templates", "second"],
    messageClass: "notice",
    variables: PAYMENT_VARIABLES,
  },
  "shipped.first-time": {
    path: ["journeys", "shipped", "templates", "firstTime"],
    messageClass: "notice",
    variables: PARCEL_VARIABLES,
  },
  "shipped.returning": {
    path: ["journeys", "shipped", "templates", "returning"],
    messageClass: "notice",
    variables: PARCEL_VARIABLES,
  },
  "arrived.arrived-city": {
    path: ["journeys", "arrived", "templates", "arrivedCity"],
    messageClass: "notice",
    variables: PARCEL_VARIABLES,
  },
  "arrived.out-for-delivery": {
    path: ["journeys", "arrived", "templates", "outForDelivery"],
    messageClass: "notice",
    variables: PARCEL_VARIABLES,
  },
  "arrived.delivered": {
    path: ["journeys", "arrived", "templates", "delivered"],
    messageClass: "notice",
    variables: PARCEL_VARIABLES,
  },
  "review-care.request": {
    path: ["journeys", "reviewCare", "templates", "request"],
    messageClass: "marketing",
    variables: ORDER_VARIABLES,
  },
  "review-care.thanks": {
    path: ["journeys", "reviewCare", "templates", "thanks"],
    messageClass: "notice",
    variables: ORDER_VARIABLES,
  },
  "review-care.apology": {
    path: ["journeys", "reviewCare", "templates", "apology"],
    messageClass: "notice",
    variables: ORDER_VARIABLES,
  },
  "gift-30.gift": {
    path: ["journeys", "gift30", "template"],
    messageClass: "marketing",
    variables: COUPON_VARIABLES,
  },
  "gift-100.gift": {
    path: ["journeys", "gift100", "template"],
    messageClass: "marketing",
    variables: COUPON_VARIABLES,
  },
  "winback.first": {
    path: ["journeys", "winback", "templates", "first"],
    messageClass: "marketing",
    variables: COUPON_VARIABLES,
  },
  "winback.second": {
    path: ["journeys", "winback", "templates", "second"],
    messageClass: "marketing",
    variables: COUPON_VARIABLES,
  },
} as const satisfies Record<string, TemplateSpec>;

/** The id of a message template, as decision records carry it. */
export type TemplateId = keyof typeof TEMPLATE_SPECS;

/** Templates shipped with shopcare, in Chinese for the seeds' shops. */
export const DEFAULT_TEMPLATES = {
  "payment-reminder.first":
    "【{shop}】{name}您好，您的订单{orderId}还未付款，宝贝已为您预留，请尽快完成支付。",
  "payment-reminder.second": "【{shop}】{name}您好，订单{orderId}将于{closeAt}自动关闭，如仍需要请及时付款。",
  "shipped.first-time":
    "【{shop}】{name}您好，您的宝贝已由{carrier}发出，运单号{trackingNo}。第一次在本店购物，有任何问题直接回复我们。",
  "shipped.returning": "【{shop}】{name}，老朋友的宝贝已由{carrier}发出，运单号{trackingNo}，感谢再次光临！",
  "arrived.arrived-city": "【{shop}】{name}您好，您的包裹已到达您所在城市，预计明天派送，请保持电话畅通。",
  "arrived.out-for-delivery":
    "【{shop}】{name}您好，您的包裹正在派送中，{carrier}快递员将尽快送达，请保持电话畅通。",
  "arrived.delivered":
    "【{shop}】{name}您好，包裹已签收。使用前请先看说明书；7天内可在订单页申请退换；有任何不满意请先联系客服，我们第一时间处理。",
  "review-care.request":
    "【{shop}】{name}，宝贝收到几天了，用得还顺手吗？有任何问题直接回复，我们马上处理。回T退订",
  "review-care.thanks": "【{shop}】{name}，谢谢您的评价和支持，我们会继续用心做好每一件宝贝！",
  "review-care.apology": "【{shop}】{name}，很抱歉这次没让您满意，客服会尽快联系您处理订单{orderId}的问题。",
  "gift-30.gift": "【{shop}】{name}，认识满一个月啦！送您{couponAmount}元无门槛券{coupon}，感谢相伴。回T退订",
  "gift-100.gift": "【{shop}】{name}，相识100天，送您{couponAmount}元券{coupon}，愿常相伴。回T退订",
  "winback.first": "【{shop}】{name}，好久不见！为您留了{couponAmount}元回购券{coupon}，期待再见。回T退订",
  "winback.second": "【{shop}】{name}，{couponAmount}元回购券仍为您保留{coupon}，欢迎回来看看。回T退订",
} as const satisfies Record<TemplateId, string>;

/** The template text a config holds at a spec's path. */
export function templateAt(config: unknown, id: TemplateId): string {
  return String(
    TEMPLATE_SPECS[id].path.reduce<unknown>((node, key) => (node as Record<string, unknown>)?.[key], config),
  );
}

/** The `{variable}` names a template uses, in order of appearance. */
export function templateVariables(template: string): string[] {
  return [...template.matchAll(/\{(\w+)\}/g)].map((match) => match[1] as string);
}
