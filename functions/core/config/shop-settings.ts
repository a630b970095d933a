import * as z from "zod";
import { fillTarget } from "../engine/links.js";
import { isDuration, parseDuration } from "../shared/duration.js";
import { isTimeZone } from "../shared/time.js";
import { campaignsSetting, segmentsSetting } from "./campaign-settings.js";
import { customerSettings } from "./customer-settings.js";
import { SendingRuleSchema } from "./sending-rules.js";
import { duration, timeOfDay, windowEnd } from "./settings.js";

/**
 * The shop config without its journeys' settings: what every journey's rules may read of it (`JourneyConfig`).
 * A leaf of the config room: the journey modules import its types, and the full schema (`config.ts`) extends
 * it with the registry's journeys — so no journey imports the registry back.
 */

/**
 * The effect settings, keyed by journey id: the full schema passes the registry's id enum and attributed
 * journeys; the shared schema (a journey's view) any string and none.
 */
export function effectSetting(journeyId: z.ZodType<string>, attributed: () => string[]) {
  return z
    .strictObject({
      /** A paid order this long after a sent message counts as its conversion (the seeds: SMS works ~3 days). */
      attributionWindow: duration.default("3d"),
      /** Per journey, e.g. `{"gift-100": "7d"}`. */
      attributionWindows: z.partialRecord(journeyId, duration).default({}),
      /** Journeys whose messages aim at a purchase; notices (shipped, arrived…) are not credited with orders. */
      attributed: z.array(journeyId).default(attributed),
      /**
       * Share of each journey's entrants who get no message (reason `holdout`), chosen from the customer
       * id, so the report can show the lift the messages really bring. E.g. `{"payment-reminder": 0.1}`.
       */
      holdout: z.partialRecord(journeyId, z.number().min(0).max(0.5)).default({}),
      /** AWS list prices (USD) for the report's cost model; `usdRate` converts to `sms.currency`. */
      awsPrices: z
        .strictObject({
          stateTransition: z.number().nonnegative().default(0.000025),
          lambdaRequest: z.number().nonnegative().default(0.0000002),
          lambdaGbSecond: z.number().nonnegative().default(0.0000133334),
          dynamoWriteRequest: z.number().nonnegative().default(0.000000625),
          dynamoReadRequest: z.number().nonnegative().default(0.000000125),
          usdRate: z.number().positive().default(7.1),
        })
        .prefault({}),
      /** Alarm when a day's SMS spend (in `sms.currency`) passes this. */
      dailySpendAlarm: z.number().positive().default(500),
    })
    .prefault({});
}

/** A link's target: an http(s) URL, with `{orderId}` / `{customerId}` filled in per send and nothing else. */
const linkTarget = z.string().refine(
  (target) => {
    if (/\{(?!orderId\}|customerId\})/.test(target)) return false;
    try {
      return /^https?:$/.test(new URL(fillTarget(target, { orderId: "o", customerId: "c" })).protocol);
    } catch {
      return false;
    }
  },
  {
    error:
      'expected an http(s) URL, with only {orderId} and {customerId}, like "https://shop.cn/o/{orderId}"',
  },
);

const timeZone = z.string().refine(isTimeZone, { error: 'expected an IANA time zone like "Asia/Shanghai"' });

const window = (start: string, end: string) =>
  z
    .strictObject({ start: timeOfDay.default(start), end: windowEnd.default(end) })
    .refine((w) => w.start < w.end, { error: "window start must be before its end" })
    .prefault({});

const promotion = z.strictObject({
  name: z.string().min(1),
  start: z.iso.datetime({ offset: true }),
  end: z.iso.datetime({ offset: true }),
});

const sms = z
  .strictObject({
    provider: z.enum(["sns", "end-user-messaging", "aliyun", "outbox"]).default("sns"),
    senderId: z.string().max(11).optional(),
    maxPricePerMessage: z.number().positive().optional(),
    pricePerSegment: z.number().nonnegative().default(0.045),
    currency: z.string().length(3).default("CNY"),
    /** Messages per second across all journeys: the provider's account limit (SNS: 20 by default). */
    ratePerSecond: z.number().int().positive().max(1000).default(20),
    /**
     * The line shopcare suggests to end marketing with (lint, doctor). Any ending that tells how to refuse
     * with one of `optOutKeywords` passes the lint ("回T退订", "Reply STOP to opt out").
     * @default "拒收请回复R" when `webhooks.defaultCountry` is `CN` (China's carriers require it of marketing
     * SMS), else "Reply STOP to opt out"
     */
    optOutLine: z.string().min(1).optional(),
    optOutKeywords: z.array(z.string().min(1)).min(1).default(["T", "TD", "退订", "R", "STOP"]),
    /** Templates longer than this at worst-case variable lengths fail synth. */
    maxSegments: z.number().int().positive().default(3),
    endUserMessaging: z
      .strictObject({
        originationIdentity: z.string().min(1).optional(),
        configurationSetName: z.string().min(1).optional(),
      })
      .prefault({}),
    aliyun: z
      .strictObject({
        signName: z.string().min(1).optional(),
        regionId: z.string().default("cn-hangzhou"),
        endpoint: z.url().default("https://dysmsapi.aliyuncs.com"),
        /** Aliyun template code per shopcare template id, e.g. `{"payment-reminder.first": "SMS_123"}`. */
        templateCodes: z.record(z.string(), z.string().min(1)).default({}),
      })
      .prefault({}),
  })
  .prefault({});

const caps = z
  .strictObject({
    marketingPerDay: z.number().int().positive().default(1),
    marketingPerWeek: z.number().int().positive().default(3),
    /** How long a capped message is held (slot to slot) before it is skipped with `frequency-cap`. */
    maxHold: duration.default("7d"),
  })
  .prefault({});

const lint = z
  .strictObject({
    bannedWords: z.array(z.string().min(1)).default(["好评有礼", "好评返现"]),
    genericOpenings: z.array(z.string().min(1)).default(["亲", "尊敬的客户"]),
    /**
     * Longest value of a template variable, for the worst-case segment count, where the shop's values differ
     * from what the journeys declare (`variableLengths` in their modules; a variable none declares counts 20).
     */
    variableLengths: z.record(z.string(), z.number().int().nonnegative()).default({}),
    /**
     * Whether customer names may need UCS-2 (Chinese names do), which shrinks a segment from 160 to 70
     * characters. Set false for a shop whose customers' names are in Latin script.
     */
    unicodeNames: z.boolean().default(true),
  })
  .prefault({});

/** The shop config without its journeys' settings: what every journey's rules may read of it. */
/** A shop's `myshopify.com` domain, as Shopify names a shop (`shopify.shop`, `connect --shop`). */
export const SHOPIFY_SHOP_DOMAIN = /^[a-z0-9][a-z0-9-]*\.myshopify\.com$/;

export const SharedConfigSchema = z.strictObject({
  $schema: z.string().optional(),
  name: z.string().min(1).max(20).default("Shop"),
  /**
   * The language of the console and the effect report (a switch in the page changes it for one browser).
   * @default "zh-CN" when `webhooks.defaultCountry` is `CN`, else "en"
   */
  locale: z.enum(["zh-CN", "en"]).optional(),
  timeZone: timeZone.default("Asia/Shanghai"),
  windows: z
    .strictObject({ notice: window("08:00", "22:00"), marketing: window("09:00", "21:00") })
    .prefault({}),
  marketingSlots: z.array(timeOfDay).min(1).default(["10:00", "17:00"]),
  marketing: z
    .strictObject({
      /**
       * `required`: marketing only to customers who consented (skipped `no-consent` otherwise), as the US
       * TCPA and China's rules on commercial SMS ask; `unless-opted-out`: to every buyer until they opt out.
       * Notices never need it.
       * @default "unless-opted-out" when `webhooks.defaultCountry` is `CN`, else "required"
       */
      consent: z.enum(["required", "unless-opted-out"]).optional(),
    })
    .prefault({}),
  /**
   * Jurisdiction rules on sending hours, judged in the recipient's time and region: added to the defaults
   * (the US federal window and the stricter states), a row for a region and class the defaults have
   * replacing theirs (docs/sending-rules.md).
   */
  sendingRules: z.array(SendingRuleSchema).default([]),
  sms,
  caps,
  /**
   * How long personal data is kept (docs/data-rights.md): a customer with no order (or, never having paid,
   * no contact) for `customers` is forgotten; a decision's message text is dropped after `messageTexts`,
   * its counts staying. Applied daily (on AWS by the retention function; locally by `npm start`).
   */
  retention: z
    .strictObject({ customers: duration.default("3y"), messageTexts: duration.default("1y") })
    .prefault({}),
  lint,
  promotions: z.array(promotion).default([]),
  quotas: z
    .strictObject({
      /**
       * Executions started per second across all dispatch Lambdas, kept under the account's
       * StartExecution quota (150/s in most regions, 300/s in the largest) with room for retries.
       */
      startExecutionPerSecond: z.number().int().positive().max(1000).default(100),
      /**
       * Executions stopped per second across all dispatch Lambdas (a payment stops its order's reminder,
       * a repurchase the running win-back), kept under the account's StopExecution quota (25/s in most
       * regions, 200/s in the largest).
       */
      stopExecutionPerSecond: z.number().int().positive().max(1000).default(20),
    })
    .prefault({}),
  effect: effectSetting(z.string(), () => []),
  alarms: z
    .strictObject({
      /**
       * No webhook accepted for this long inside the notice window raises the silence alarm: the usual
       * sign of a broken integration (a rotated Shopify secret, a lapsed Kuaidi100 subscription).
       * Whole hours, 1h to 12h (the alarm counts hourly periods, and a notice window is at most 24 h).
       */
      silentAfter: duration
        .refine(
          (text) => {
            const hours = isDuration(text) ? parseDuration(text) / 3_600_000 : Number.NaN;
            return Number.isInteger(hours) && hours >= 1 && hours <= 12;
          },
          { error: 'expected whole hours from "1h" to "12h", like "6h"' },
        )
        .default("6h"),
    })
    .prefault({}),
  webhooks: z
    .strictObject({
      /** Larger bodies are answered 413; at most 350 KB, so the archived body fits a DynamoDB item. */
      maxBodyBytes: z.number().int().positive().max(358_400).default(262_144),
      /** A signed generic webhook whose timestamp is further than this from now is refused (replay protection). */
      maxClockSkew: duration.default("5m"),
      /** Country for phone numbers platforms send without a country code (ISO 3166 alpha-2). */
      defaultCountry: z
        .string()
        .regex(/^[A-Z]{2}$/, { error: 'expected a country code like "CN"' })
        .default("CN"),
      kuaidi100: z
        .strictObject({
          /**
           * A tracking push whose newest checkpoint is older than this is archived but applies nothing: a
           * captured push replayed later (or a carrier's late re-push) cannot message anyone.
           */
          maxAge: duration.default("30d"),
        })
        .prefault({}),
    })
    .prefault({}),
  /** Kuaidi100 (快递100): shopcare subscribes each shipped parcel so its progress is pushed (docs/webhooks.md). */
  kuaidi100: z
    .strictObject({
      /**
       * Subscribe every shipped order's tracking number through Kuaidi100's `poll` API.
       * @default on for a shop in China (`webhooks.defaultCountry` CN), off elsewhere
       */
      subscribe: z.boolean().optional(),
      /** Tries of a subscription Kuaidi100 refuses or cannot be reached for, before the operators are told. */
      subscribeRetries: z.number().int().min(1).max(20).default(5),
    })
    .prefault({}),
  /** The Shopify shop this stack serves, when it serves one (docs/webhooks.md). */
  shopify: z
    .strictObject({
      /**
       * The Admin API version `shopcare connect shopify` speaks. Shopify releases one a quarter and supports
       * each for at least 12 months ("API versioning", shopify.dev); `shopcare doctor` warns 90 days before
       * this one retires.
       */
      apiVersion: z
        .string()
        .regex(/^20\d\d-(01|04|07|10)$/, { error: 'expected a quarterly Admin API version like "2026-10"' })
        .default("2026-10"),
      /**
       * Its `myshopify.com` domain, e.g. `"acme.myshopify.com"`: what confirms a `shop/redact` is for this
       * shop (a public app's secret signs every shop's deliveries alike), which then erases every customer.
       * @default none: a `shop/redact` is kept and ignored, nothing confirming it is for this shop
       */
      shop: z
        .string()
        .regex(SHOPIFY_SHOP_DOMAIN, {
          error: 'expected the shop\'s myshopify.com domain, like "acme.myshopify.com"',
        })
        .optional(),
    })
    .prefault({}),
  /**
   * How long a shipping, parcel or review event waits for its order's `order.created` before its step
   * is skipped `unknown-order`.
   */
  unknownOrderGrace: duration.default("24h"),
  ...customerSettings,
  /** Named groups of customers (`shopcare segment NAME`, campaigns). */
  segments: segmentsSetting,
  /** Messages to a segment at a chosen time (群发). */
  campaigns: campaignsSetting,
  /** Tracked short links: `{link}` in a template (001: 加上店铺链接就可以直接跳转). */
  links: z
    .strictObject({
      /**
       * The shop's short domain pointing at the HTTP API (the stack's `LinkBaseUrl` output, or a custom
       * domain mapped to it), e.g. `"https://s.shop.cn"`: a message carries `<baseUrl>/l/<code>`.
       * @default none: no template may use `{link}`
       */
      baseUrl: z
        .url({ protocol: /^https?$/, error: 'expected an http(s) URL like "https://s.shop.cn"' })
        .optional(),
      /**
       * Where each journey's or campaign's links lead, by journey id or `campaign.<id>`, e.g.
       * `{"review-care": "https://shop.cn/orders/{orderId}/review", "campaign.spring": "https://shop.cn/spring"}`.
       * `{orderId}` and `{customerId}` are filled in per send.
       */
      targets: z.record(z.string(), linkTarget).default({}),
      /** How long a sent link keeps redirecting; then it answers 404 and DynamoDB's TTL deletes it. */
      keepFor: duration.default("180d"),
    })
    .prefault({}),
});

/**
 * The config as a journey's rules see it: the shared settings, and every journey's settings by config key
 * (a journey reads its own from `context.settings`; typed loosely here, as the registry's types are built
 * from the journeys themselves).
 */
export type JourneyConfig = z.infer<typeof SharedConfigSchema> & {
  readonly journeys: Readonly<Record<string, unknown>>;
};

/** The languages the console and the effect report speak. */
export type ShopLocale = "zh-CN" | "en";

/** The shop's `locale`, or its default: Chinese for a shop in China, else English. */
export function localeOf(config: {
  readonly locale?: ShopLocale;
  readonly webhooks: { readonly defaultCountry: string };
}): ShopLocale {
  return config.locale ?? (config.webhooks.defaultCountry === "CN" ? "zh-CN" : "en");
}

/** The shop's `marketing.consent`, or its default: opt-out based for a shop in China, consent elsewhere. */
export function consentModeOf(config: {
  readonly marketing: { readonly consent?: "required" | "unless-opted-out" };
  readonly webhooks: { readonly defaultCountry: string };
}): "required" | "unless-opted-out" {
  return (
    config.marketing.consent ?? (config.webhooks.defaultCountry === "CN" ? "unless-opted-out" : "required")
  );
}

/** Whether shipped parcels are subscribed with Kuaidi100: `kuaidi100.subscribe`, else on for a shop in China. */
export function subscribesParcels(config: {
  readonly kuaidi100: { readonly subscribe?: boolean };
  readonly webhooks: { readonly defaultCountry: string };
}): boolean {
  return config.kuaidi100.subscribe ?? config.webhooks.defaultCountry === "CN";
}
