import * as z from "zod";
import { CAMPAIGN_JOURNEY, type Campaign } from "../config/campaign-settings.js";
import type { DeliverDeps } from "../engine/deliver.js";
import { type CampaignRuns, CUSTOMER_SHARDS, type CustomerDirectory } from "../shared/ports.js";

/**
 * A campaign execution's state (what its task carries from loop to loop and hands over to a fresh execution)
 * and the limits its task keeps: directory page, time budget, hand-over interval, paused polling.
 */

/** Customers read per partition per page (16 partitions: about 200 customers a page). */
export const DIRECTORY_PAGE = 13;
/** How long one task pages before it hands back to the state machine (the function's timeout is 5 minutes). */
export const CAMPAIGN_TASK_BUDGET_MS = 60_000;
/**
 * Loops (tasks) one campaign execution runs before it hands over to a fresh one carrying its state. A loop of
 * the campaigns' machine is about 9 history events (Wait, Task, Choice: entered and exited; the task
 * scheduled, started, succeeded), retries 3 more each; Step Functions fails an execution at 25,000
 * ("Quotas"): 1,500 loops keep every execution near 13,500.
 */
export const CAMPAIGN_RELAY_LOOPS = 1_500;

/** How soon a paused campaign first looks whether it was resumed; each look after waits twice as long. */
export const PAUSED_POLL_MS = 5 * 60_000;

/**
 * The longest wait between two looks of a paused campaign (so a resume takes effect within half an hour).
 * Each look is one loop of its execution (about 9 history events); Step Functions fails an execution at
 * 25,000 ("Quotas", Step Functions developer guide), so a pause must not poll at a fixed 5 minutes (108 events
 * an hour: 9.6 days). Backing off to half an hour, a pause of 30 days takes about 1,450 looks (13,000
 * events); a paused campaign also ends at its `until`.
 */
export const PAUSED_POLL_MAX_MS = 30 * 60_000;

/** The wait before a paused campaign's `looks`-th look (0-based): 5 minutes doubling, at most half an hour. */
export function pausedPollMs(looks: number): number {
  return Math.min(PAUSED_POLL_MS * 2 ** Math.min(looks, 10), PAUSED_POLL_MAX_MS);
}
/** A member whose step failed (the provider, a throttle) is tried again this much later. */
export const RETRY_MEMBER_MS = 60_000;

const isoTime = z.iso.datetime({ offset: true });

/** The campaign execution's state, between its tasks. It carries ids and keys only, never a phone number. */
export const CampaignRunStateSchema = z.object({
  journey: z.literal(CAMPAIGN_JOURNEY),
  /** The campaign's id. */
  stage: z.string().min(1),
  enteredAt: isoTime,
  next: z.discriminatedUnion("kind", [
    z.object({ kind: z.literal("wait"), step: z.string(), sendAt: isoTime }),
    z.object({ kind: z.literal("done") }),
    // Hand over to a fresh execution (`HandOver` in the machine): its name and its first state.
    z.object({ kind: z.literal("relay"), name: z.string(), state: z.record(z.string(), z.unknown()) }),
  ]),
  /**
   * Per directory partition: the key of the last customer looked at (`""` none yet, `null` all of them).
   * Absent before the first page.
   */
  cursor: z.array(z.string().nullable()).length(CUSTOMER_SHARDS).optional(),
  /** The census of the shop's RFM quintiles, while it runs (a segment by RFM without `rfm.bounds`). */
  census: z.array(z.tuple([z.number(), z.number(), z.number(), z.number()])).optional(),
  /** The quintiles the census found. */
  bounds: z.object({ r: z.array(z.number()), f: z.array(z.number()), m: z.array(z.number()) }).optional(),
  customers: z.number().int().nonnegative().default(0),
  members: z.number().int().nonnegative().default(0),
  startedAt: isoTime.optional(),
  /** How often it has looked while paused (its polling backs off); absent while it runs. */
  pausedLooks: z.number().int().nonnegative().optional(),
  /** Tasks this execution has run (it hands over at {@link CAMPAIGN_RELAY_LOOPS}). */
  loops: z.number().int().nonnegative().optional(),
  /** Executions before this one (`campaign-<id>_<relays>` is this one's name). */
  relays: z.number().int().nonnegative().optional(),
  /** Set by the state machine's Catch when the task kept failing. */
  failure: z.object({ Error: z.string(), Cause: z.string().optional() }).optional(),
});
export type CampaignRunState = z.infer<typeof CampaignRunStateSchema>;

/** The execution that runs a campaign, started at its `at` (the name makes a second start a no-op). */
export function campaignExecution(campaign: Pick<Campaign, "id" | "at">): {
  readonly name: string;
  readonly input: CampaignRunState;
} {
  return {
    name: `campaign-${campaign.id}`,
    input: {
      journey: CAMPAIGN_JOURNEY,
      stage: campaign.id,
      enteredAt: campaign.at,
      next: { kind: "wait", step: campaign.id, sendAt: new Date(campaign.at).toISOString() },
      customers: 0,
      members: 0,
    },
  };
}

/** What the campaign task needs: the step's (it decides each message with it) and the directory. */
export interface CampaignDeps extends DeliverDeps {
  /** The steps' repositories, the customer directory it pages and the campaign's own run. */
  readonly store: DeliverDeps["store"] & CustomerDirectory & CampaignRuns;
  /** Messages decided at once (each waits for its send-rate slot). @default the send rate, at most 20 */
  readonly concurrency?: number;
  /** How long one task pages before it hands back. @default {@link CAMPAIGN_TASK_BUDGET_MS} */
  readonly taskBudgetMs?: number;
  /** Customers read per directory partition per page. @default {@link DIRECTORY_PAGE} */
  readonly directoryPage?: number;
  /** Tasks an execution runs before it hands over. @default {@link CAMPAIGN_RELAY_LOOPS} */
  readonly relayAfterLoops?: number;
}
