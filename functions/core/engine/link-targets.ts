import { CAMPAIGN_JOURNEY, campaignTemplateId } from "../config/campaign-settings.js";
import type { ShopConfig } from "../config/config.js";
import { fillTarget } from "./links.js";

/** The key of a journey's or campaign's entry in `links.targets`: the journey id, or `campaign.<id>`. */
export function linkTargetKey(journey: string, step: string): string {
  // A campaign's step is its id.
  return journey === CAMPAIGN_JOURNEY ? campaignTemplateId({ id: step }) : journey;
}

/**
 * Where a send's short link leads: its journey's or campaign's target with `{orderId}` / `{customerId}`
 * filled in. Config validation makes sure a template with `{link}` has one.
 * @throws when there is none (a config that skipped validation)
 */
export function linkTargetOf(
  config: Pick<ShopConfig, "links">,
  journey: string,
  step: string,
  values: { readonly orderId?: string; readonly customerId?: string },
): string {
  const key = linkTargetKey(journey, step);
  const target = config.links.targets[key];
  if (!target) throw new Error(`{link} has no target: set links.targets[${JSON.stringify(key)}]`);
  return fillTarget(target, values);
}
