import type { Consent, CustomerRecord, ExecutionState } from "./model.js";

/** The ports of the customer directory, of running campaigns (segments, `customers/campaigns.ts`) and of a number's marketing records. */

/** One customer as the directory lists them, with the key a page resumes after. */
export interface DirectoryEntry {
  readonly key: string;
  readonly customer: CustomerRecord;
}

/**
 * The shop's customers, for segments and campaigns: spread over {@link CUSTOMER_SHARDS} partitions, each
 * listed most recent buyer first (customers who never paid come last).
 */
export interface CustomerDirectory {
  /**
   * Up to `limit` customers of one partition whose key comes after `after` (most recent first); `done`
   * once the partition has no more (a page may hold fewer than `limit` and still not be the last).
   */
  pageCustomers(
    shard: number,
    after: string | undefined,
    limit: number,
  ): Promise<{ readonly entries: DirectoryEntry[]; readonly done: boolean }>;
}

/** A campaign message held for later (by the marketing window, the caps or the send rate). */
export interface CampaignHold {
  readonly customerId: string;
  /** When to decide it again. */
  readonly sendAt: string;
  /** Its execution state as the step left it (a `hold`). */
  readonly state: ExecutionState;
}

/** What an operator set for a campaign: it runs unless paused or cancelled. */
export interface CampaignControl {
  readonly status: "running" | "paused" | "cancelled";
  readonly at: string;
}

/** How far a campaign's run has come, as its runner last wrote it. */
export interface CampaignProgress {
  readonly phase: "census" | "sending" | "holding" | "finished" | "cancelled";
  /** Customers looked at, and how many of them were in the segment. */
  readonly customers: number;
  readonly members: number;
  readonly startedAt: string;
  readonly updatedAt: string;
  readonly finishedAt?: string;
}

/** Where a running campaign keeps its held messages, its operators' control and its progress. */
export interface CampaignRuns {
  getCampaignControl(campaignId: string): Promise<CampaignControl | undefined>;
  setCampaignControl(campaignId: string, control: CampaignControl): Promise<void>;
  putCampaignHold(campaignId: string, hold: CampaignHold): Promise<void>;
  deleteCampaignHold(campaignId: string, hold: Pick<CampaignHold, "customerId" | "sendAt">): Promise<void>;
  /** Held messages due by `dueBy` (all of them without it), earliest first, at most `limit`. */
  listCampaignHolds(campaignId: string, dueBy: string | undefined, limit: number): Promise<CampaignHold[]>;
  recordCampaignProgress(campaignId: string, progress: CampaignProgress): Promise<void>;
  getCampaignProgress(campaignId: string): Promise<CampaignProgress | undefined>;
}

/** How many partitions the customer directory is spread over. */
export const CUSTOMER_SHARDS = 16;

/** Whose consent: a customer's, or a number's (an event that names only the number). */
export type ConsentSubject = { readonly customerId: string } | { readonly phone: string };

/** A number's own marketing records. */
export interface NumberMarketing {
  /** When the number opted out (the earliest opt-out stands). */
  readonly optedOutAt?: string;
  /** Its latest consent record. */
  readonly consent?: Consent;
}

/** One opt-out of a number: when, from where (`sms`, `aliyun`, `event`, …) and the reply, if a reply. */
export interface PhoneOptOut {
  readonly phone: string;
  readonly at: string;
  readonly source: string;
  readonly reply?: string;
}
