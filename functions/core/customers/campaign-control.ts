import { CAMPAIGN_JOURNEY, type Campaign, campaignById, campaignUntil } from "../config/campaign-settings.js";
import type { ShopConfig } from "../config/config.js";
import type { DecisionRecord } from "../shared/model.js";
import type { CampaignProgress, Repositories } from "../shared/ports.js";

/**
 * What operators do to a campaign and what they see of it: pause, resume, cancel (read by the campaign's task,
 * `campaigns.ts`, before each page) and its status (control, run, sent, held, skipped by reason).
 */

/** What an operator does to a running campaign. */
export type CampaignAction = "pause" | "resume" | "cancel";

/** Thrown for a campaign id the config does not have. */
export class UnknownCampaignError extends Error {
  constructor(id: string, config: Pick<ShopConfig, "campaigns">) {
    const known = config.campaigns.map((campaign) => campaign.id);
    super(
      `no campaign ${JSON.stringify(id)} in the config; ${known.length > 0 ? `known: ${known.join(", ")}` : "campaigns is empty"}`,
    );
    this.name = "UnknownCampaignError";
  }
}

/**
 * Pauses, resumes or cancels a campaign: its runner reads this before each task (a paused one looks again
 * every `PAUSED_POLL_MS`; a cancelled one ends, its held messages left unsent). A cancelled
 * campaign stays cancelled.
 */
export async function controlCampaign(
  store: Pick<Repositories, "getCampaignControl" | "setCampaignControl">,
  config: Pick<ShopConfig, "campaigns">,
  id: string,
  action: CampaignAction,
  now: Date,
): Promise<CampaignControlResult> {
  if (!campaignById(config, id)) throw new UnknownCampaignError(id, config);
  const current = (await store.getCampaignControl(id))?.status ?? "running";
  if (current === "cancelled") return { id, status: "cancelled", changed: false };
  const status = action === "pause" ? "paused" : action === "resume" ? "running" : "cancelled";
  if (status === current) return { id, status, changed: false };
  await store.setCampaignControl(id, { status, at: now.toISOString() });
  return { id, status, changed: true };
}

export interface CampaignControlResult {
  readonly id: string;
  readonly status: "running" | "paused" | "cancelled";
  readonly changed: boolean;
}

/** A campaign's state for `shopcare campaign status`: its control, its run's progress, its decisions. */
export interface CampaignStatus {
  readonly id: string;
  readonly segment: string;
  readonly at: string;
  readonly until: string;
  readonly control: "running" | "paused" | "cancelled";
  readonly progress?: CampaignProgress;
  readonly sent: number;
  readonly skipped: Readonly<Record<string, number>>;
  /** Messages waiting for the marketing window, a cap or a send slot. */
  readonly held: number;
}

type CampaignStatusStore = Pick<
  Repositories,
  "getCampaignControl" | "getCampaignProgress" | "listCampaignHolds" | "listDecisions"
>;

/** Reads a campaign's status. */
export async function campaignStatus(
  store: CampaignStatusStore,
  config: ShopConfig,
  id: string,
): Promise<CampaignStatus> {
  const campaign = campaignById(config, id);
  if (!campaign) throw new UnknownCampaignError(id, config);
  return statusOf(store, campaign, await store.listDecisions());
}

/** Every campaign of the config's status, in the config's order (the decisions read once for all). */
export async function campaignStatuses(
  store: CampaignStatusStore,
  config: ShopConfig,
): Promise<CampaignStatus[]> {
  if (config.campaigns.length === 0) return [];
  const decisions = await store.listDecisions();
  return Promise.all(config.campaigns.map((campaign) => statusOf(store, campaign, decisions)));
}

async function statusOf(
  store: CampaignStatusStore,
  campaign: Campaign,
  decisions: readonly DecisionRecord[],
): Promise<CampaignStatus> {
  const { id } = campaign;
  const [control, progress, holds] = await Promise.all([
    store.getCampaignControl(id),
    store.getCampaignProgress(id),
    store.listCampaignHolds(id, undefined, 10_000),
  ]);
  let sent = 0;
  const skipped: Record<string, number> = {};
  for (const decision of decisions) {
    if (decision.journey !== CAMPAIGN_JOURNEY || decision.step !== id) continue;
    if (decision.outcome === "sent") sent += 1;
    else skipped[decision.reason ?? "?"] = (skipped[decision.reason ?? "?"] ?? 0) + 1;
  }
  return {
    id,
    segment: campaign.segment,
    at: campaign.at,
    until: campaignUntil(campaign).toISOString(),
    control: control?.status ?? "running",
    ...(progress ? { progress } : {}),
    sent,
    skipped,
    held: holds.length,
  };
}
