import { settingsOf } from "../journeys/context.js";
import { JOURNEY_MODULES } from "../journeys/index.js";
import type { MessageClass } from "../shared/model.js";
import { campaignTemplateId } from "./campaign-settings.js";
import { templateCodeKey } from "./messaging.js";
import type { TemplateValue } from "./settings.js";
import type { JourneyConfig } from "./shop-settings.js";
import { TEMPLATE_SPECS, templateValueAt } from "./templates.js";

/**
 * The templates an Aliyun shop must register, one per text it may send: every template of an enabled
 * journey and every campaign's message, each variant of an A/B-tested one on its own (`<id>#<variant>`).
 * What config validation requires a code for, and what `shopcare connect aliyun` submits.
 */
export interface AliyunTemplate {
  /** Where its code goes: `sms.aliyun.templateCodes[key]`. */
  readonly key: string;
  readonly text: string;
  readonly messageClass: MessageClass;
  /** The config path its text is set at. */
  readonly path: readonly string[];
}

/** Every template the config sends, by code key. */
export function aliyunTemplatesOf(
  config: JourneyConfig & {
    readonly campaigns: readonly { readonly id: string; readonly template: TemplateValue }[];
  },
): AliyunTemplate[] {
  const enabled = new Set<string>(
    JOURNEY_MODULES.filter((journey) => settingsOf(config, journey).enabled).map((journey) => journey.id),
  );
  const texts = (id: string, value: TemplateValue, messageClass: MessageClass, path: readonly string[]) =>
    typeof value === "string"
      ? [{ key: templateCodeKey(id), text: value, messageClass, path }]
      : value.map((variant, index) => ({
          key: templateCodeKey(id, variant.id),
          text: variant.text,
          messageClass,
          path: [...path, String(index), "text"],
        }));
  return [
    ...Object.entries(TEMPLATE_SPECS)
      .filter(([, spec]) => enabled.has(spec.journey))
      .flatMap(([id, spec]) => texts(id, templateValueAt(config, id), spec.messageClass, spec.path)),
    ...config.campaigns.flatMap((campaign, index) =>
      texts(campaignTemplateId(campaign), campaign.template, "marketing", [
        "campaigns",
        String(index),
        "template",
      ]),
    ),
  ];
}
