import * as z from "zod";
import { SegmentFilterSchema } from "./customer-settings.js";
import { duration, optionalCoupon, templateValue } from "./settings.js";

/**
 * The config of segments and campaigns (群发): a campaign messages every member of a segment once, at its
 * time, through the journeys' sending rules (`campaigns.ts` runs it).
 */

/** The journey id every campaign's decision records carry; the campaign's id is their step. */
export const CAMPAIGN_JOURNEY = "campaign";

const isoTime = z.iso.datetime({ offset: true });

export const CampaignSchema = z
  .strictObject({
    /** Decision records carry it as their `step`; lowercase letters, digits and dashes. */
    id: z.string().regex(/^[a-z0-9][a-z0-9-]{0,39}$/, {
      error: 'expected an id like "newyear-2027" (lowercase letters, digits, dashes; at most 40)',
    }),
    /** A segment's name (`segments`). */
    segment: z.string().min(1),
    at: isoTime,
    /** A message held past this (by the marketing window or the caps) is skipped `campaign-ended`. @default `at` + 3 days */
    until: isoTime.optional(),
    /** The message: a marketing template (`{shop}`, `{name}`, `{level}`, and with a coupon `{couponAmount}`, `{coupon}`). */
    template: templateValue,
    coupon: optionalCoupon,
    /** Share of the segment that gets no message (reason `holdout`), to measure the lift. @default 0 */
    holdout: z.number().min(0).max(0.5).optional(),
    /** A paid order this long after the message is credited to it. @default until `until` + 1 day */
    attributionWindow: duration.optional(),
  })
  .refine((campaign) => !campaign.until || Date.parse(campaign.until) > Date.parse(campaign.at), {
    error: "until must be after at",
    path: ["until"],
  });
export type Campaign = z.infer<typeof CampaignSchema>;

export const segmentsSetting = z
  .record(
    z.string().regex(/^[\w-]{1,40}$/, { error: "expected a segment name of letters, digits, - and _" }),
    SegmentFilterSchema,
  )
  .default({});
export const campaignsSetting = z.array(CampaignSchema).default([]);

/** The variables of a campaign's template. */
export function campaignVariables(campaign: Pick<Campaign, "coupon">): string[] {
  return ["shop", "name", "level", ...(campaign.coupon ? ["couponAmount", "coupon"] : []), "link"];
}

/** A campaign's template id, as its decision records carry it. */
export const campaignTemplateId = (campaign: Pick<Campaign, "id">) => `${CAMPAIGN_JOURNEY}.${campaign.id}`;

/** When a campaign stops holding messages: its `until`, or three days after its `at`. */
export function campaignUntil(campaign: Pick<Campaign, "at" | "until">): Date {
  return new Date(campaign.until ?? Date.parse(campaign.at) + 3 * 86_400_000);
}

/** The part of the shop config that holds its campaigns. */
export interface CampaignsConfig {
  readonly campaigns: readonly Campaign[];
}

/** A campaign of the config, by id. */
export function campaignById(config: CampaignsConfig, id: string): Campaign | undefined {
  return config.campaigns.find((campaign) => campaign.id === id);
}
