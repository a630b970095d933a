import { createHash } from "node:crypto";
import * as z from "zod";
import { customerSettings } from "../customers/profiles.js";
import { fillTarget } from "../engine/links.js";
import { settingsOf } from "../journeys/context.js";
import { JOURNEY_IDS, JOURNEY_MODULES, JOURNEY_SETTINGS } from "../journeys/index.js";
import { isDuration, parseDuration } from "../shared/duration.js";
import { slotsInWindow } from "../shared/time.js";
import {
  campaignsSetting,
  campaignTemplateId,
  campaignVariables,
  segmentsSetting,
} from "./campaign-settings.js";
import { lintTemplate, lintTemplates } from "./lint.js";
import { templateCodeKey } from "./messaging.js";
import { duration, type TemplateValue, textsAt, timeOfDay } from "./settings.js";
import { TEMPLATE_SPECS, templateValueAt } from "./templates.js";

// Typed by annotation: the journeys' own types depend on this file's shared settings.
const JourneyIdSchema: z.ZodEnum<Readonly<Record<string, string>>> = z.enum(
  JOURNEY_IDS as [string, ...string[]],
);

/** The journeys whose messages aim at a purchase: those with an attribution. */
function attributedJourneys(): string[] {
  return JOURNEY_MODULES.filter((journey) => journey.attribution !== "none").map((journey) => journey.id);
}

/**
 * The shop configuration: what operators tune in `cdk.json` under the context key `shop`.
 * Everything has a default taken from DESIGN.md, so `{}` is a valid config; a wrong value fails
 * with a message naming its path, at synth and at local start alike.
 */

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

/** A window end may be "24:00": open until midnight. */
const windowEnd = z
  .string()
  .regex(/^(([01]\d|2[0-3]):[0-5]\d|24:00)$/, { error: 'expected a local time like "22:00" (or "24:00")' });

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
    /** Longest value of each variable, for the worst-case segment count. */
    variableLengths: z.record(z.string(), z.number().int().nonnegative()).default({
      name: 4,
      orderId: 20,
      amount: 8,
      closeAt: 11,
      promotion: 8,
      promotionEnds: 11,
      couponAmount: 3,
      coupon: 12,
      carrier: 4,
      trackingNo: 15,
      level: 6,
    }),
    /**
     * Whether customer names may need UCS-2 (Chinese names do), which shrinks a segment from 160 to 70
     * characters. Set false for a shop whose customers' names are in Latin script.
     */
    unicodeNames: z.boolean().default(true),
  })
  .prefault({});

/** The shop config without its journeys' settings: what every journey's rules may read of it. */
const SharedConfigSchema = z.strictObject({
  $schema: z.string().optional(),
  name: z.string().min(1).max(20).default("Shop"),
  timeZone: timeZone.default("Asia/Shanghai"),
  windows: z
    .strictObject({ notice: window("08:00", "22:00"), marketing: window("09:00", "21:00") })
    .prefault({}),
  marketingSlots: z.array(timeOfDay).min(1).default(["10:00", "17:00"]),
  sms,
  caps,
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
  effect: z
    .strictObject({
      /** A paid order this long after a sent message counts as its conversion (the seeds: SMS works ~3 days). */
      attributionWindow: duration.default("3d"),
      /** Per journey, e.g. `{"gift-100": "7d"}`. */
      attributionWindows: z.partialRecord(JourneyIdSchema, duration).default({}),
      /** Journeys whose messages aim at a purchase; notices (shipped, arrived…) are not credited with orders. */
      attributed: z.array(JourneyIdSchema).default(attributedJourneys),
      /**
       * Share of each journey's entrants who get no message (reason `holdout`), chosen from the customer
       * id, so the report can show the lift the messages really bring. E.g. `{"payment-reminder": 0.1}`.
       */
      holdout: z.partialRecord(JourneyIdSchema, z.number().min(0).max(0.5)).default({}),
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
    .prefault({}),
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

/** Schema of the `shop` context value in `cdk.json` (and of `simulate --config` files). */
export const ShopConfigSchema = SharedConfigSchema.extend({
  /** Each journey's settings, under its module's config key. */
  journeys: z.strictObject(JOURNEY_SETTINGS).prefault({} as never),
}).superRefine((config, ctx) => {
  for (const finding of lintTemplates(config)) {
    if (finding.severity === "error") {
      ctx.addIssue({ code: "custom", path: [...finding.path], message: finding.message });
    }
  }
  checkSegmentsAndCampaigns(config, ctx);
  checkLinks(config, ctx);
  // A slot of the wrong form is reported by its own rule; this one judges only well-formed slots.
  const wellFormed = config.marketingSlots.filter((slot) => /^\d\d:\d\d$/.test(slot));
  const usable = slotsInWindow(wellFormed, config.windows.marketing);
  if (wellFormed.length === config.marketingSlots.length && usable.length === 0) {
    ctx.addIssue({
      code: "custom",
      path: ["marketingSlots"],
      message: "no marketing slot lies inside the marketing window",
    });
  }
  if (config.sms.provider === "aliyun") {
    if (!config.sms.aliyun.signName) {
      ctx.addIssue({
        code: "custom",
        path: ["sms", "aliyun", "signName"],
        message: "the Aliyun provider needs the registered signature name",
      });
    }
    // Only the templates of enabled journeys: a journey left off needs no registered template.
    const enabled = new Set<string>(
      JOURNEY_MODULES.filter((journey) => settingsOf(config, journey).enabled).map((journey) => journey.id),
    );
    // Aliyun sends the text registered for a template code: each variant of an A/B-tested template is
    // registered as a template of its own, `<template id>#<variant id>`.
    const needCodes = (id: string, value: TemplateValue, what: string) => {
      const keys =
        typeof value === "string"
          ? [templateCodeKey(id)]
          : value.map((variant) => templateCodeKey(id, variant.id));
      for (const key of keys)
        if (!config.sms.aliyun.templateCodes[key])
          ctx.addIssue({
            code: "custom",
            path: ["sms", "aliyun", "templateCodes", key],
            message: `the Aliyun provider needs the template code registered for this ${typeof value === "string" ? what : `${what}'s variant`}`,
          });
    };
    for (const [id, spec] of Object.entries(TEMPLATE_SPECS))
      if (enabled.has(spec.journey)) needCodes(id, templateValueAt(config, id), "template");
    // A campaign's message is sent by its own registered template code too.
    for (const campaign of config.campaigns)
      needCodes(campaignTemplateId(campaign), campaign.template, "campaign's message");
  }
});

/** The lint findings of every campaign's template, at `campaigns.<index>.template`. */
function campaignFindings(config: z.infer<typeof SharedConfigSchema>) {
  return config.campaigns.flatMap((campaign, index) =>
    textsAt(["campaigns", String(index), "template"], campaign.template).flatMap(({ text, path }) =>
      lintTemplate(
        config,
        campaignTemplateId(campaign),
        { path, messageClass: "marketing", variables: campaignVariables(campaign) },
        text,
      ),
    ),
  );
}

/** Segments name levels that exist; campaigns name segments that exist, each id once. */
function checkSegmentsAndCampaigns(config: z.infer<typeof SharedConfigSchema>, ctx: z.RefinementCtx): void {
  const levels = new Set(config.members.levels.map((level) => level.name));
  for (const [name, filter] of Object.entries(config.segments)) {
    for (const [index, level] of (filter.level ?? []).entries()) {
      if (!levels.has(level))
        ctx.addIssue({
          code: "custom",
          path: ["segments", name, "level", index],
          message: `no member level ${JSON.stringify(level)} in members.levels`,
        });
    }
  }
  const seen = new Set<string>();
  for (const [index, campaign] of config.campaigns.entries()) {
    if (!(campaign.segment in config.segments))
      ctx.addIssue({
        code: "custom",
        path: ["campaigns", index, "segment"],
        message: `no segment ${JSON.stringify(campaign.segment)} in segments`,
      });
    if (seen.has(campaign.id))
      ctx.addIssue({
        code: "custom",
        path: ["campaigns", index, "id"],
        message: "another campaign has this id",
      });
    seen.add(campaign.id);
  }
  for (const finding of campaignFindings(config))
    if (finding.severity === "error")
      ctx.addIssue({ code: "custom", path: [...finding.path], message: finding.message });
}

/**
 * A template with `{link}` needs `links.baseUrl` and its journey's (or campaign's) target; a target names a
 * journey or campaign that exists, and a campaign's no order.
 */
function checkLinks(config: z.infer<typeof ShopConfigSchema>, ctx: z.RefinementCtx): void {
  const uses = [
    ...Object.entries(TEMPLATE_SPECS).flatMap(([id, spec]) =>
      textsAt(spec.path, templateValueAt(config, id)).map((text) => ({ key: spec.journey, ...text })),
    ),
    ...config.campaigns.flatMap((campaign, index) =>
      textsAt(["campaigns", String(index), "template"], campaign.template).map((text) => ({
        key: campaignTemplateId(campaign),
        ...text,
      })),
    ),
  ].filter(({ text }) => text.includes("{link}"));
  for (const use of uses) {
    if (!config.links.baseUrl)
      ctx.addIssue({
        code: "custom",
        path: [...use.path],
        message: "{link} needs links.baseUrl (the stack's LinkBaseUrl output, or the shop's short domain)",
      });
    else if (!config.links.targets[use.key])
      ctx.addIssue({
        code: "custom",
        path: [...use.path],
        message: `{link} needs a target: links.targets[${JSON.stringify(use.key)}]`,
      });
  }
  const campaigns = new Set(config.campaigns.map((campaign) => campaignTemplateId(campaign)));
  for (const [key, target] of Object.entries(config.links.targets)) {
    if (campaigns.has(key)) {
      if (target.includes("{orderId}"))
        ctx.addIssue({
          code: "custom",
          path: ["links", "targets", key],
          message: "a campaign's message is about no order: {orderId} cannot be filled in",
        });
    } else if (!(JOURNEY_IDS as readonly string[]).includes(key))
      ctx.addIssue({
        code: "custom",
        path: ["links", "targets", key],
        message: `no journey or campaign ${JSON.stringify(key)}: expected a journey id or "campaign.<id>"`,
      });
  }
}

/** Template lint warnings (errors already fail validation), as `shop.<path>: <message>` lines. */
export function templateWarnings(config: ShopConfig): string[] {
  return [...lintTemplates(config), ...campaignFindings(config)]
    .filter((finding) => finding.severity === "warning")
    .map((finding) => `shop.${finding.path.join(".")}: ${finding.message}`);
}

/** The validated shop configuration with every default filled in. */
export type ShopConfig = z.infer<typeof ShopConfigSchema>;

/** Thrown for an invalid shop config; `message` lists one line per problem, each naming its path. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid shop config:\n  ${problems.join("\n  ")}`);
    this.name = "ConfigError";
  }
}

const VERSIONS = new WeakMap<object, string>();

/**
 * A short hash of an effective (parsed, defaulted) config: decision records carry it, so a timeline says
 * which config decided each step. The same settings give the same version wherever they are parsed.
 */
export function configVersion(config: ShopConfig): string {
  let version = VERSIONS.get(config);
  if (!version) {
    version = createHash("sha256").update(JSON.stringify(config)).digest("hex").slice(0, 8);
    VERSIONS.set(config, version);
  }
  return version;
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
