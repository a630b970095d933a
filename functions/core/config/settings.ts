import * as z from "zod";
import { DURATION_HINT, isDuration } from "../shared/duration.js";

/**
 * The zod building blocks of settings, shared by the shop config and every journey module's settings:
 * a wrong value fails with a message naming its path.
 */

/** A duration like `"60m"`, `"72h"`, `"30d"`. */
export const duration = z.string().refine(isDuration, { error: DURATION_HINT });

/** A local time of day like `"10:00"`. */
export const timeOfDay = z
  .string()
  .regex(/^([01]\d|2[0-3]):[0-5]\d$/, { error: 'expected a local time like "10:00"' });

/** A window end may be "24:00": open until midnight. */
export const windowEnd = z
  .string()
  .regex(/^(([01]\d|2[0-3]):[0-5]\d|24:00)$/, { error: 'expected a local time like "22:00" (or "24:00")' });

/** Gift orders go to someone other than the buyer, whose number the order carries. */
export const giftOrders = z.enum(["skip", "send"]).default("skip");

/**
 * The same for parcel notices, which may also go to the payer (`payer`: `order.payer.phone`), as gift
 * shops do (001: 礼品类的店铺可以将发货短信发送至付款手机).
 */
export const giftOrdersOrPayer = z.enum(["skip", "send", "payer"]);

const couponShape = {
  /** The coupon code or link the message shows as `{coupon}`. */
  code: z.string().max(64).default(""),
  /** A coupon-issuing endpoint: POST `{journey, customerId, amount}` → `{"coupon": "…"}`; overrides `code`. */
  issueUrl: z.url().optional(),
};

/** A coupon: a fixed code, or one issued at send time. */
export const coupon = z.strictObject(couponShape).prefault({});

/** A coupon a message may carry, or none: its amount (`{couponAmount}`) and code or issuer (`{coupon}`). */
export const optionalCoupon = z.strictObject({ amount: z.number().positive(), ...couponShape }).optional();

/** One variant of an A/B-tested template: its id (decision records carry it), weight and text. */
export const templateVariant = z.strictObject({
  id: z
    .string()
    .regex(/^[a-z0-9][a-z0-9-]{0,19}$/, { error: 'expected a variant id like "a" or "short-offer"' }),
  weight: z.number().positive().default(1),
  text: z.string().min(1),
});
export type TemplateVariant = z.infer<typeof templateVariant>;

/** A template's text, or two or more variants of it (each customer gets one, by a stable hash). */
export const templateValue = z.union([
  z.string().min(1),
  z
    .array(templateVariant)
    .min(2, { error: "a template's variants are two or more" })
    .refine((variants) => new Set(variants.map((variant) => variant.id)).size === variants.length, {
      error: "two variants have one id",
    }),
]);
export type TemplateValue = z.infer<typeof templateValue>;

/** A template's text in settings (or its variants), defaulting to the journey's shipped text. */
export const templateText = (defaultText: string) => templateValue.default(defaultText);

/** The settings names of the templates declared under `["templates", <name>]`. */
type TemplateSettingsShape<Declarations> = {
  [Key in keyof Declarations as Declarations[Key] extends {
    readonly setting: readonly ["templates", infer Name extends string];
  }
    ? Name
    : never]: ReturnType<typeof templateText>;
};

/**
 * A journey's `templates` settings object, from its template declarations: one text per declaration set
 * under `["templates", <name>]`, defaulting to the declared text.
 */
export function templateSettings<const Declarations extends Readonly<Record<string, object>>>(
  declarations: Declarations,
) {
  const shape = Object.fromEntries(
    (Object.values(declarations) as { readonly setting?: readonly string[]; readonly text?: string }[])
      .filter((declaration) => declaration.setting?.[0] === "templates" && declaration.setting.length === 2)
      .map((declaration) => [declaration.setting?.[1] as string, templateText(declaration.text ?? "")]),
  );
  return z.strictObject(shape as TemplateSettingsShape<Declarations>).prefault({} as never);
}

/**
 * A template's texts with the config path of each: the template's own path without variants, each
 * variant's `<path>.<index>.text` with (where validation and the lint report a finding).
 */
export function textsAt(
  path: readonly string[],
  value: TemplateValue,
): { readonly variant?: string; readonly text: string; readonly path: readonly string[] }[] {
  return typeof value === "string"
    ? [{ text: value, path }]
    : value.map((variant, index) => ({
        variant: variant.id,
        text: variant.text,
        path: [...path, String(index), "text"],
      }));
}

/** A template's texts: one without variants, each variant's with. */
export function textsOf(value: TemplateValue): { readonly variant?: string; readonly text: string }[] {
  return typeof value === "string"
    ? [{ text: value }]
    : value.map((variant) => ({ variant: variant.id, text: variant.text }));
}
