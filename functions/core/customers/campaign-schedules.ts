import { campaignUntil } from "../config/campaign-settings.js";
import { campaignExecution } from "./campaigns.js";

/**
 * When each campaign starts, decided at deploy time rather than at synth time (issue 33). The synthesized
 * template holds only what the config says (each campaign's `at`, `until` and execution), so two synths of one
 * config are byte-identical. At deploy, a custom resource reconciles the campaigns with the clock of that
 * moment: a campaign still ahead gets a one-time EventBridge Scheduler schedule at its `at`; one whose `at`
 * has passed but not its `until` is started at once, by its fixed execution name (a start of a name already
 * used is the same campaign: ExecutionAlreadyExists is done); one whose `until` has passed is never started
 * again. No schedule is ever created for a past time, which Scheduler does not define.
 */

/** A campaign as the deploy-time reconciler sees it: nothing but what the config says. */
export interface CampaignStartSpec {
  readonly id: string;
  /** The schedule's name in the group: `campaign-<id>`. */
  readonly schedule: string;
  /** ISO time of its start. */
  readonly at: string;
  /** ISO time after which it never starts. */
  readonly until: string;
  /** The execution's name (fixed: a repeat of the start is the same execution). */
  readonly name: string;
  /** The execution's input, as JSON. */
  readonly input: string;
}

/** The spec of every campaign of a config, in config order. */
export function campaignStartSpecs(
  campaigns: readonly { readonly id: string; readonly at: string; readonly until?: string }[],
): CampaignStartSpec[] {
  return campaigns.map((campaign) => {
    const { name, input } = campaignExecution(campaign);
    return {
      id: campaign.id,
      schedule: name,
      at: new Date(campaign.at).toISOString(),
      until: campaignUntil(campaign).toISOString(),
      name,
      input: JSON.stringify(input),
    };
  });
}

/** The one-time schedules of a stack's campaigns, and the start of a late one. */
export interface CampaignSchedulesPort {
  /** Creates or updates the schedule `spec.schedule` to start `spec` at `spec.at`. */
  upsertSchedule(spec: CampaignStartSpec): Promise<"created" | "updated">;
  /** Deletes a schedule; one that is not there is deleted already. @returns whether it was there */
  deleteSchedule(schedule: string): Promise<boolean>;
  /** Starts a campaign's execution now; one already started (or finished) under its name counts as done. */
  startNow(spec: CampaignStartSpec): Promise<"started" | "already-started">;
}

/** What one reconciliation did, per campaign. */
export type CampaignStartAction =
  | "scheduled"
  | "rescheduled"
  | "started"
  | "already-started"
  | "over"
  | "unscheduled";

/**
 * Brings the schedules in line with the campaigns at `now`: `specs` are the campaigns now, `previous` those of
 * the deploy before (their schedules are deleted when the campaign is gone). On a stack's deletion `specs` is
 * empty and every schedule of `previous` goes.
 */
export async function reconcileCampaignStarts(
  port: CampaignSchedulesPort,
  specs: readonly CampaignStartSpec[],
  previous: readonly CampaignStartSpec[],
  now: Date,
): Promise<Record<string, CampaignStartAction>> {
  const actions: Record<string, CampaignStartAction> = {};
  const kept = new Set(specs.map((spec) => spec.schedule));
  for (const spec of previous) {
    if (!kept.has(spec.schedule) && (await port.deleteSchedule(spec.schedule)))
      actions[spec.id] = "unscheduled";
  }
  for (const spec of specs) {
    if (Date.parse(spec.until) <= now.getTime()) {
      await port.deleteSchedule(spec.schedule);
      actions[spec.id] = "over";
    } else if (Date.parse(spec.at) <= now.getTime()) {
      // Late: its time came before this deploy (or between synth and deploy). Started once, now.
      actions[spec.id] = await port.startNow(spec);
      await port.deleteSchedule(spec.schedule);
    } else {
      actions[spec.id] = (await port.upsertSchedule(spec)) === "created" ? "scheduled" : "rescheduled";
    }
  }
  return actions;
}
