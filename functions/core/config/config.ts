import { createHash } from "node:crypto";
import * as z from "zod";
import { JOURNEY_IDS, JOURNEY_MODULES, JOURNEY_SETTINGS } from "../journeys/index.js";
import { slotsInWindow } from "../shared/time.js";
import { aliyunTemplatesOf } from "./aliyun-templates.js";
import { campaignTemplateId, campaignVariables } from "./campaign-settings.js";
import { lintTemplate, lintTemplates } from "./lint.js";
import { textsAt } from "./settings.js";
import { effectSetting, type JourneyConfig, SharedConfigSchema } from "./shop-settings.js";
import { hasOwnLinkTarget, TEMPLATE_SPECS, templateInUse, templateValueAt } from "./templates.js";

const JourneyIdSchema: z.ZodEnum<Readonly<Record<string, string>>> = z.enum(
  JOURNEY_IDS as [string, ...string[]],
);

/** The journeys whose messages aim at a purchase: those with an attribution. */
function attributedJourneys(): string[] {
  return JOURNEY_MODULES.filter((journey) => journey.attribution !== "none").map((journey) => journey.id);
}

/**
 * The shop configuration: what operators tune in `cdk.json` under the context key `shop`.
 * Everything has a default taken from docs/design.md, so `{}` is a valid config; a wrong value fails
 * with a message naming its path, at synth and at local start alike.
 */

export type { JourneyConfig };

/** Schema of the `shop` context value in `cdk.json` (and of `simulate --config` files). */
export const ShopConfigSchema = SharedConfigSchema.extend({
  effect: effectSetting(JourneyIdSchema, attributedJourneys),
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
    // Only the templates of enabled journeys (a journey left off needs none), each variant on its own.
    for (const template of aliyunTemplatesOf(config as unknown as Parameters<typeof aliyunTemplatesOf>[0]))
      if (!config.sms.aliyun.templateCodes[template.key])
        ctx.addIssue({
          code: "custom",
          path: ["sms", "aliyun", "templateCodes", template.key],
          message: `the Aliyun provider needs the template code registered for this ${aliyunWhat(template.key)}`,
        });
  }
});

/** What a template code is for, in the validation's words: a template, a campaign's message, a variant. */
function aliyunWhat(key: string): string {
  const what = key.startsWith("campaign.") ? "campaign's message" : "template";
  return key.includes("#") ? `${what}'s variant` : what;
}

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
    ...Object.entries(TEMPLATE_SPECS)
      .filter(([, spec]) => templateInUse(config, spec))
      .flatMap(([id, spec]) =>
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
    else if (!config.links.targets[use.key] && !hasOwnLinkTarget(use.key))
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
