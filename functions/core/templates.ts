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
