import * as z from "zod";
import {
  CAMPAIGN_JOURNEY,
  type Campaign,
  type CampaignsConfig,
  campaignById,
  campaignTemplateId,
  campaignUntil,
} from "../config/campaign-settings.js";
import { drawnInto } from "../customers/holdout.js";
import { defineJourney, type JourneyContext } from "./module.js";

/**
 * The journey module of campaigns (群发): not a journey of its own state machine (the registry's), but the
 * rules one campaign message is decided by, so it goes through the same check, sending rules, ledger and
 * delivery as every journey's step. One subject per campaign and customer (`<campaign>:<customer>`), one
 * step named after the campaign: the ledger key that keeps a restarted campaign from sending twice.
 */

/** The campaign an execution state names (its `stage`), from the config that runs it. */
export function campaignOf(context: Pick<JourneyContext, "config" | "state">): Campaign | undefined {
  return campaignById(context.config as unknown as CampaignsConfig, context.state.stage ?? "");
}

export const campaign = defineJourney({
  id: CAMPAIGN_JOURNEY,
  configKey: "campaign",
  settings: z.strictObject({ enabled: z.boolean().default(true) }).prefault({}),
  templates: {},
  triggers: [],
  attribution: "other-orders",
  atOwnTime: true,
  // Its steps are the config's campaign ids.
  steps: [],
  subjectId: (state) => `${state.stage ?? "-"}:${state.customerId ?? "-"}`,

  plan(context) {
    const step = context.state.stage ?? "-";
    const found = campaignOf(context);
    if (!found || context.ledger.has(step)) return { kind: "done" };
    return {
      kind: "wait",
      step,
      sendAt: new Date(Math.max(Date.parse(found.at), context.now.getTime())).toISOString(),
    };
  },

  check(context, step) {
    const found = campaignOf(context);
    // A campaign taken out of the config, or past its end, sends nothing more.
    if (!found || context.now >= campaignUntil(found))
      return { kind: "skip", step, reason: "campaign-ended" };
    if (!context.recipient) return { kind: "skip", step, reason: "no-phone" };
    // Drawn from the members the campaign would message, by campaign and customer: each its own group.
    if (drawnInto(`${CAMPAIGN_JOURNEY}:${found.id}`, found.holdout ?? 0, context.customerId))
      return { kind: "skip", step, reason: "holdout" };
    return { kind: "send", step };
  },

  deadline(context) {
    const found = campaignOf(context);
    return found ? { at: campaignUntil(found), reason: "campaign-ended" } : undefined;
  },

  templateFor(context, step) {
    const found = campaignOf(context);
    return {
      templateId: campaignTemplateId({ id: found?.id ?? step }),
      messageClass: "marketing",
      text: found?.template ?? "",
    };
  },

  template: (_context, step) => step,

  content(context) {
    const found = campaignOf(context);
    const coupon = found?.coupon;
    return {
      variables: {
        shop: context.config.name,
        name: context.customer?.name ?? "",
        ...(coupon ? { couponAmount: coupon.amount, coupon: coupon.code } : {}),
      },
      issueCoupon: coupon?.issueUrl ? { amount: coupon.amount, issueUrl: coupon.issueUrl } : undefined,
    };
  },
});
