import { z } from "zod";
import { DURATION_HINT, isDuration } from "./duration.js";

/**
 * The shop configuration: what operators tune in `cdk.json` under the context key `shop`.
 * Everything has a default taken from DESIGN.md, so `{}` is a valid config; a wrong value fails
 * with a message naming its path, at synth and at local start alike.
 */

const duration = z.string().refine(isDuration, { error: DURATION_HINT });

const timeOfDay = z
  .string()
  .regex(/^([01]\d|2[0-3]):[0-5]\d$/, { error: 'expected a local time like "10:00"' });

const timeZone = z.string().refine(
  (zone) => {
    try {
      new Intl.DateTimeFormat("en", { timeZone: zone });
      return true;
    } catch {
      return false;
    }
  },
  { error: 'expected an IANA time zone like "Asia/Shanghai"' },
);

const window = (start: string, end: string) =>
  z
    .strictObject({ start: timeOfDay.default(start), end: timeOfDay.default(end) })
    .refine((w) => w.start < w.end, { error: "window start must be before its end" })
    .prefault({});

const promotion = z.strictObject({
  name: z.string().min(1),
  start: z.iso.datetime({ offset: true }),
  end: z.iso.datetime({ offset: true }),
});

/** Variables each template may use; a template naming any other variable fails validation. */
export const TEMPLATE_VARIABLES = {
  "journeys.paymentReminder.templates.first": ["shop", "name", "orderId", "amount", "closeAt"],
  "journeys.paymentReminder.templates.second": ["shop", "name", "orderId", "amount", "closeAt"],
} as const;

const DEFAULT_TEMPLATES = {
  paymentReminder: {
    first: "【{shop}】{name}您好，您的订单{orderId}还未付款，宝贝已为您预留，请尽快完成支付。",
    second: "【{shop}】{name}您好，订单{orderId}将于{closeAt}自动关闭，如仍需要请及时付款。",
  },
};

const paymentReminder = z
  .strictObject({
    enabled: z.boolean().default(true),
    firstAfter: duration.default("60m"),
    firstAfterInPromotion: duration.default("10m"),
    secondAt: timeOfDay.default("10:00"),
    autoCloseAfter: duration.default("72h"),
    duplicateOrderWindow: duration.default("24h"),
    highValueAmount: z.number().positive().default(1000),
    templates: z
      .strictObject({
        first: z.string().min(1).default(DEFAULT_TEMPLATES.paymentReminder.first),
        second: z.string().min(1).default(DEFAULT_TEMPLATES.paymentReminder.second),
      })
      .prefault({}),
  })
  .prefault({});

const sms = z
  .strictObject({
    provider: z.enum(["sns", "outbox"]).default("sns"),
    senderId: z.string().max(11).optional(),
    maxPricePerMessage: z.number().positive().optional(),
    pricePerSegment: z.number().nonnegative().default(0.045),
    currency: z.string().length(3).default("CNY"),
  })
  .prefault({});

/** Schema of the `shop` context value in `cdk.json` (and of `simulate --config` files). */
export const ShopConfigSchema = z
  .strictObject({
    $schema: z.string().optional(),
    name: z.string().min(1).max(20).default("Shop"),
    timeZone: timeZone.default("Asia/Shanghai"),
    windows: z
      .strictObject({ notice: window("08:00", "22:00"), marketing: window("09:00", "21:00") })
      .prefault({}),
    marketingSlots: z.array(timeOfDay).min(1).default(["10:00", "17:00"]),
    sms,
    promotions: z.array(promotion).default([]),
    journeys: z.strictObject({ paymentReminder }).prefault({}),
  })
  .superRefine((config, ctx) => {
    for (const [path, allowed] of Object.entries(TEMPLATE_VARIABLES)) {
      const template = path
        .split(".")
        .reduce<unknown>((node, key) => (node as Record<string, unknown>)[key], config);
      for (const variable of templateVariables(String(template))) {
        if (!(allowed as readonly string[]).includes(variable)) {
          ctx.addIssue({
            code: "custom",
            path: path.split("."),
            message: `unknown template variable {${variable}}; allowed: ${allowed.map((v) => `{${v}}`).join(" ")}`,
          });
        }
      }
    }
  });

/** The validated shop configuration with every default filled in. */
export type ShopConfig = z.infer<typeof ShopConfigSchema>;

/** The `{variable}` names a template uses, in order of appearance. */
export function templateVariables(template: string): string[] {
  return [...template.matchAll(/\{(\w+)\}/g)].map((match) => match[1] as string);
}

/** Thrown for an invalid shop config; `message` lists one line per problem, each naming its path. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid shop config:\n  ${problems.join("\n  ")}`);
    this.name = "ConfigError";
  }
}

/**
 * Validates a raw shop config and fills in defaults.
 * @param raw the `shop` value from `cdk.json`, or a `--config` file's content
 * @throws {ConfigError} naming every wrong field as `shop.<path>: <problem>`
 */
export function parseShopConfig(raw: unknown): ShopConfig {
  const result = ShopConfigSchema.safeParse(raw ?? {});
  if (result.success) return result.data;
  throw new ConfigError(
    result.error.issues.map((issue) => `${["shop", ...issue.path.map(String)].join(".")}: ${issue.message}`),
  );
}

/** JSON Schema of the shop config, for editors (written to `shopcare.schema.json`). */
export function shopConfigJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(ShopConfigSchema, { io: "input", unrepresentable: "any" }) as Record<string, unknown>;
}
