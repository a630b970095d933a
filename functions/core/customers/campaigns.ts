import { CAMPAIGN_JOURNEY, type Campaign, campaignById, campaignUntil } from "../config/campaign-settings.js";
import type { SegmentFilter } from "../config/customer-settings.js";
import { advanceStep } from "../engine/decide.js";
import { earliestSendTime } from "../engine/policy.js";
import type { ExecutionState } from "../shared/model.js";
import {
  type CampaignProgress,
  CUSTOMER_SHARDS,
  type DirectoryEntry,
  type Repositories,
} from "../shared/ports.js";
import { holdToWindow } from "../shared/time.js";
import {
  CAMPAIGN_RELAY_LOOPS,
  CAMPAIGN_TASK_BUDGET_MS,
  type CampaignDeps,
  type CampaignRunState,
  DIRECTORY_PAGE,
  pausedPollMs,
  RETRY_MEMBER_MS,
} from "./campaign-state.js";
import {
  type CensusEntry,
  type CustomerConfig,
  configuredBounds,
  inSegment,
  needsRfm,
  profileOf,
  type RfmBounds,
  RfmCensus,
} from "./profiles.js";

export * from "./campaign-state.js";

/**
 * Runs a campaign (群发): one execution per campaign pages through the customer directory, most recent
 * buyers first (001: 优先发送活跃客户), and decides each member of the segment's message with the journeys'
 * own step (`advanceStep` on the `campaign` module): opt-out, caps, the marketing window, the shop-wide send
 * rate, the ledger. A message held by the window or the caps is kept (`CampaignRuns`) and decided again when
 * due; at the campaign's `until` whatever is still held is skipped `campaign-ended`.
 *
 * Each call is one task of the campaign state machine (the journeys' loop: Wait → task → Choice), and takes
 * up to {@link CAMPAIGN_TASK_BUDGET_MS} of pages before it hands back its cursor: a crash or a redeploy
 * mid-run repeats at most one call's pages, and the ledger (keyed by campaign and customer) makes the
 * repeat send nothing twice.
 */

/** The execution state that decides one member's message, as a journey step's. */
function memberState(campaign: Campaign, customerId: string): ExecutionState {
  return {
    journey: CAMPAIGN_JOURNEY,
    stage: campaign.id,
    customerId,
    enteredAt: campaign.at,
    next: { kind: "wait", step: campaign.id, sendAt: new Date(campaign.at).toISOString() },
  };
}

/** Runs `work` over `items`, at most `limit` at a time, in order of start. */
async function inPool<T>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const item = items[next] as T;
      next += 1;
      await work(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

/**
 * The next customers of the directory, most recent buyer first across its partitions: a k-way merge that
 * hands out only what it can order (down to the highest last key of the partitions still open), so a
 * page reads about twice what it hands out instead of every partition's full page.
 */
export async function nextDirectoryPage(
  store: Pick<Repositories, "pageCustomers">,
  cursor: readonly (string | null)[] | undefined,
  perPartition = DIRECTORY_PAGE,
): Promise<{ readonly entries: DirectoryEntry[]; readonly cursor: (string | null)[] }> {
  const current = cursor ? [...cursor] : Array.from({ length: CUSTOMER_SHARDS }, () => "");
  const pages = await Promise.all(
    current.map((after, shard) =>
      after === null ? undefined : store.pageCustomers(shard, after || undefined, perPartition),
    ),
  );
  // Whatever sorts at or above the open partitions' highest last key is in order; the rest waits.
  let boundary = "";
  for (const page of pages)
    if (page && !page.done) {
      const last = page.entries.at(-1)?.key ?? "";
      if (last > boundary) boundary = last;
    }
  const entries: { entry: DirectoryEntry; shard: number }[] = [];
  pages.forEach((page, shard) => {
    for (const entry of page?.entries ?? []) if (entry.key >= boundary) entries.push({ entry, shard });
  });
  entries.sort((a, b) => (a.entry.key < b.entry.key ? 1 : a.entry.key > b.entry.key ? -1 : 0));
  const next = [...current];
  pages.forEach((page, shard) => {
    if (!page) return;
    const taken = entries.filter((candidate) => candidate.shard === shard);
    if (page.done && taken.length === page.entries.length) next[shard] = null;
    else if (taken.length > 0) next[shard] = taken.at(-1)?.entry.key ?? next[shard] ?? "";
  });
  return { entries: entries.map(({ entry }) => entry), cursor: next };
}

const pagingDone = (state: CampaignRunState) => state.cursor?.every((after) => after === null) ?? false;

/**
 * One task of a campaign's execution: the held messages now due, then pages of the directory, within the
 * task's budget. @returns the state to wait with until the next task (`next.sendAt`), or `done`
 */
export async function runCampaignTask(
  deps: CampaignDeps,
  input: CampaignRunState,
): Promise<CampaignRunState> {
  const state = await campaignTask(deps, { ...input, loops: (input.loops ?? 0) + 1 });
  if (state.next.kind !== "wait" || (state.loops ?? 0) < (deps.relayAfterLoops ?? CAMPAIGN_RELAY_LOOPS))
    return state;
  // Its history nears the limit: a fresh execution carries on, from this wait, with all it knows.
  const relays = (state.relays ?? 0) + 1;
  const successor: CampaignRunState = { ...state, loops: 0, relays };
  return {
    ...state,
    next: {
      kind: "relay",
      name: `campaign-${state.stage}_${relays}`,
      state: successor as Record<string, unknown>,
    },
  };
}

/** One task, its loop counted: what {@link runCampaignTask} does before it considers a hand-over. */
async function campaignTask(deps: CampaignDeps, input: CampaignRunState): Promise<CampaignRunState> {
  const { failure: _failure, ...rest } = input;
  const campaign = campaignById(deps.config, rest.stage);
  // Taken out of the config: nothing more is sent.
  if (!campaign) return { ...rest, next: { kind: "done" } };
  const run = new CampaignTaskRun(deps, campaign, rest);
  return (
    (await run.controlled()) ??
    (await run.decideHeldMessages()) ??
    (await run.rfmBounds()) ??
    (await run.pageMembers()) ??
    (await run.afterPaging())
  );
}

/**
 * One campaign task's work, phase by phase; each phase answers the task's result, or undefined to go on:
 * the operators' control, the held messages now due, the RFM census a segment may need, the directory's
 * pages of members, and what follows the last page.
 */
class CampaignTaskRun {
  private readonly until: Date;
  private readonly started: number;
  private readonly concurrency: number;
  /** The earliest a member held by the send rate may go: the task hands back until then. */
  private rateHeldUntil: Date | undefined;
  private bounds: RfmBounds | undefined;

  constructor(
    private readonly deps: CampaignDeps,
    private readonly campaign: Campaign,
    private state: CampaignRunState,
  ) {
    this.until = campaignUntil(campaign);
    this.started = deps.clock.now().getTime();
    this.concurrency = deps.concurrency ?? Math.min(20, deps.config.sms.ratePerSecond);
  }

  private now(): Date {
    return this.deps.clock.now();
  }

  private done(): CampaignRunState {
    return { ...this.state, next: { kind: "done" } };
  }

  private waitUntil(at: Date): CampaignRunState {
    return { ...this.state, next: { kind: "wait", step: this.state.stage, sendAt: at.toISOString() } };
  }

  private withinBudget(): boolean {
    return this.now().getTime() - this.started < (this.deps.taskBudgetMs ?? CAMPAIGN_TASK_BUDGET_MS);
  }

  /** Cancelled, paused, or not yet at its time: the task ends or waits; else it runs. */
  async controlled(): Promise<CampaignRunState | undefined> {
    const { deps, campaign, until } = this;
    const now = this.now();
    const control = await deps.store.getCampaignControl(campaign.id);
    if (control?.status === "cancelled") {
      await writeProgress(deps, this.state, "cancelled", now);
      return this.done();
    }
    // Paused: look again later, less often the longer it lasts, and never past `until` — there the paused
    // campaign ends like any other (its held and unreached members are decided, each skipped `campaign-ended`).
    if (control?.status === "paused" && now < until) {
      const looks = this.state.pausedLooks ?? 0;
      this.state = { ...this.state, pausedLooks: looks + 1 };
      return this.waitUntil(new Date(Math.min(now.getTime() + pausedPollMs(looks), until.getTime())));
    }
    const { pausedLooks: _looks, ...running } = this.state;
    this.state = running;
    if (now < new Date(campaign.at)) return this.waitUntil(new Date(campaign.at));
    this.state = { ...this.state, startedAt: this.state.startedAt ?? now.toISOString() };
    return undefined;
  }

  /** Decides one member (afresh, or a held message again), keeping a hold for what is held. */
  private async decide(customerId: string, held?: { sendAt: string; state: ExecutionState }): Promise<void> {
    const { deps, campaign } = this;
    const { store } = deps;
    let result: ExecutionState;
    try {
      result = await advanceStep(deps, held?.state ?? memberState(campaign, customerId));
    } catch {
      // Certainly not sent (a claim released, a throttle): this member is tried again in a minute.
      // Put before the old hold goes: a crash in between leaves two, and the second finds it decided.
      const sendAt = new Date(this.now().getTime() + RETRY_MEMBER_MS).toISOString();
      await store.putCampaignHold(campaign.id, {
        customerId,
        sendAt,
        state: held?.state ?? memberState(campaign, customerId),
      });
      if (held) await store.deleteCampaignHold(campaign.id, { customerId, sendAt: held.sendAt });
      return;
    }
    const next = result.next;
    if (next?.kind === "hold") {
      await store.putCampaignHold(campaign.id, { customerId, sendAt: next.sendAt, state: result });
      if (next.rateSlot !== undefined) {
        const slot = new Date(next.rateSlot);
        if (!this.rateHeldUntil || slot < this.rateHeldUntil) this.rateHeldUntil = slot;
      }
    }
    if (held && !(next?.kind === "hold" && next.sendAt === held.sendAt))
      await store.deleteCampaignHold(campaign.id, { customerId, sendAt: held.sendAt });
  }

  /** The held messages now due (at the end, every one: each is skipped `campaign-ended`). */
  async decideHeldMessages(): Promise<CampaignRunState | undefined> {
    const decidedHolds = new Set<string>();
    for (;;) {
      const dueBy = this.now() >= this.until ? undefined : this.now().toISOString();
      const due = await this.deps.store.listCampaignHolds(this.campaign.id, dueBy, 100);
      // A hold decided again in this task and still due would come back forever: the next task takes it.
      const fresh = due.filter((hold) => !decidedHolds.has(`${hold.sendAt}#${hold.customerId}`));
      if (fresh.length === 0) return undefined;
      for (const hold of fresh) decidedHolds.add(`${hold.sendAt}#${hold.customerId}`);
      await inPool(fresh, this.concurrency, (hold) => this.decide(hold.customerId, hold));
      if (!this.withinBudget() || this.rateHeldUntil) return this.waitUntil(this.rateHeldUntil ?? this.now());
    }
  }

  /** A segment by RFM scores without configured cut points needs the shop's quintiles first: one pass. */
  async rfmBounds(): Promise<CampaignRunState | undefined> {
    const { deps, campaign } = this;
    const filter = deps.config.segments[campaign.segment];
    if (!filter) return this.done();
    this.bounds = configuredBounds(deps.config as unknown as CustomerConfig) ?? this.state.bounds;
    if (!needsRfm(filter) || this.bounds) return undefined;
    const census = new RfmCensus(new Date(campaign.at), this.state.census as CensusEntry[] | undefined);
    let cursor = this.state.cursor;
    do {
      const page = await nextDirectoryPage(deps.store, cursor, deps.directoryPage);
      for (const { customer } of page.entries) census.add(customer);
      cursor = page.cursor;
    } while (!cursor.every((after) => after === null) && this.withinBudget());
    if (!cursor.every((after) => after === null)) {
      this.state = { ...this.state, cursor, census: census.sample.map((entry) => [...entry]) };
      await writeProgress(deps, this.state, "census", this.now());
      return this.waitUntil(this.now());
    }
    const bounds = census.bounds();
    this.bounds = bounds;
    this.state = {
      ...this.state,
      cursor: undefined,
      census: undefined,
      bounds: { r: [...bounds.r], f: [...bounds.f], m: [...bounds.m] },
    };
    return undefined;
  }

  /** The directory's pages, most recent buyers first, each member decided, while the budget lasts. */
  async pageMembers(): Promise<CampaignRunState | undefined> {
    const { deps, campaign } = this;
    const { config } = deps;
    const filter = config.segments[campaign.segment] as SegmentFilter;
    const customerConfig = config as unknown as CustomerConfig;
    while (!pagingDone(this.state) && this.withinBudget() && !this.rateHeldUntil) {
      const at = this.now();
      // The marketing window is closed: every member would be held to the next slot, so the task waits
      // there itself (past `until` the members are decided now, each skipped `campaign-ended`).
      if (holdToWindow(at, config.windows.marketing, config.timeZone).getTime() !== at.getTime()) {
        const opens = earliestSendTime(at, "marketing", config);
        if (opens < this.until) {
          await writeProgress(deps, this.state, "sending", at);
          return this.waitUntil(opens);
        }
      }
      const page = await nextDirectoryPage(deps.store, this.state.cursor, deps.directoryPage);
      // Segment membership is judged at the campaign's time: the audience it was sent for.
      const judgedAt = new Date(campaign.at);
      const members = page.entries
        .filter(({ customer }) =>
          inSegment(profileOf(customer, customerConfig, judgedAt, this.bounds), filter, judgedAt),
        )
        .map(({ customer }) => customer.customerId);
      await inPool(members, this.concurrency, (customerId) => this.decide(customerId));
      this.state = {
        ...this.state,
        cursor: page.cursor,
        customers: this.state.customers + page.entries.length,
        members: this.state.members + members.length,
      };
    }
    return undefined;
  }

  /** Paging not done: carry on in the next task; done: wait for the first held message, or finish. */
  async afterPaging(): Promise<CampaignRunState> {
    const { deps, campaign } = this;
    if (!pagingDone(this.state)) {
      await writeProgress(deps, this.state, "sending", this.now());
      return this.waitUntil(this.rateHeldUntil ?? this.now());
    }
    const [firstHeld] = await deps.store.listCampaignHolds(campaign.id, undefined, 1);
    if (!firstHeld) {
      await writeProgress(deps, this.state, "finished", this.now());
      return this.done();
    }
    await writeProgress(deps, this.state, "holding", this.now());
    const wake = new Date(Math.min(Date.parse(firstHeld.sendAt), this.until.getTime()));
    return this.waitUntil(wake < this.now() ? this.now() : wake);
  }
}

async function writeProgress(
  deps: CampaignDeps,
  state: CampaignRunState,
  phase: CampaignProgress["phase"],
  at: Date,
): Promise<void> {
  const finished = phase === "finished" || phase === "cancelled";
  await deps.store.recordCampaignProgress(state.stage, {
    phase,
    customers: state.customers,
    members: state.members,
    startedAt: state.startedAt ?? at.toISOString(),
    updatedAt: at.toISOString(),
    ...(finished ? { finishedAt: at.toISOString() } : {}),
  });
}

// Pausing, resuming, cancelling and the status of a campaign: a room of their own, re-exported here.
export * from "./campaign-control.js";
