import * as z from "zod";
import { CAMPAIGN_JOURNEY, type Campaign, campaignById, campaignUntil } from "../config/campaign-settings.js";
import { advanceStep } from "../engine/decide.js";
import type { DeliverDeps } from "../engine/deliver.js";
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
  type CensusEntry,
  type CustomerConfig,
  configuredBounds,
  inSegment,
  needsRfm,
  profileOf,
  type RfmBounds,
  RfmCensus,
} from "./profiles.js";

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
const RETRY_MEMBER_MS = 60_000;

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
  readonly store: Repositories;
  /** Messages decided at once (each waits for its send-rate slot). @default the send rate, at most 20 */
  readonly concurrency?: number;
  /** How long one task pages before it hands back. @default {@link CAMPAIGN_TASK_BUDGET_MS} */
  readonly taskBudgetMs?: number;
  /** Customers read per directory partition per page. @default {@link DIRECTORY_PAGE} */
  readonly directoryPage?: number;
  /** Tasks an execution runs before it hands over. @default {@link CAMPAIGN_RELAY_LOOPS} */
  readonly relayAfterLoops?: number;
}

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
  const { config, clock, store } = deps;
  const { failure: _failure, ...rest } = input;
  let state: CampaignRunState = rest;
  const campaign = campaignById(config, state.stage);
  const now = clock.now();
  const done = (): CampaignRunState => ({ ...state, next: { kind: "done" } });
  const waitUntil = (at: Date): CampaignRunState => ({
    ...state,
    next: { kind: "wait", step: state.stage, sendAt: at.toISOString() },
  });
  // Taken out of the config: nothing more is sent.
  if (!campaign) return done();
  const control = await store.getCampaignControl(campaign.id);
  if (control?.status === "cancelled") {
    await writeProgress(deps, state, "cancelled", now);
    return done();
  }
  const until = campaignUntil(campaign);
  // Paused: look again later, less often the longer it lasts, and never past `until` — there the paused
  // campaign ends like any other (its held and unreached members are decided, each skipped `campaign-ended`).
  if (control?.status === "paused" && now < until) {
    const looks = state.pausedLooks ?? 0;
    state = { ...state, pausedLooks: looks + 1 };
    return waitUntil(new Date(Math.min(now.getTime() + pausedPollMs(looks), until.getTime())));
  }
  const { pausedLooks: _looks, ...running } = state;
  state = running;
  if (now < new Date(campaign.at)) return waitUntil(new Date(campaign.at));
  state = { ...state, startedAt: state.startedAt ?? now.toISOString() };
  const started = now.getTime();
  const withinBudget = () => clock.now().getTime() - started < (deps.taskBudgetMs ?? CAMPAIGN_TASK_BUDGET_MS);
  /** The earliest a member held by the send rate may go: the task hands back until then. */
  let rateHeldUntil: Date | undefined;

  const decide = async (customerId: string, held?: { sendAt: string; state: ExecutionState }) => {
    let result: ExecutionState;
    try {
      result = await advanceStep(deps, held?.state ?? memberState(campaign, customerId));
    } catch {
      // Certainly not sent (a claim released, a throttle): this member is tried again in a minute.
      // Put before the old hold goes: a crash in between leaves two, and the second finds it decided.
      const sendAt = new Date(clock.now().getTime() + RETRY_MEMBER_MS).toISOString();
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
        if (!rateHeldUntil || slot < rateHeldUntil) rateHeldUntil = slot;
      }
    }
    if (held && !(next?.kind === "hold" && next.sendAt === held.sendAt))
      await store.deleteCampaignHold(campaign.id, { customerId, sendAt: held.sendAt });
  };
  const concurrency = deps.concurrency ?? Math.min(20, config.sms.ratePerSecond);

  // The held messages now due (at the end, every one: each is skipped `campaign-ended`).
  const decidedHolds = new Set<string>();
  for (;;) {
    const dueBy = clock.now() >= until ? undefined : clock.now().toISOString();
    const due = await store.listCampaignHolds(campaign.id, dueBy, 100);
    // A hold decided again in this task and still due would come back forever: the next task takes it.
    const fresh = due.filter((hold) => !decidedHolds.has(`${hold.sendAt}#${hold.customerId}`));
    if (fresh.length === 0) break;
    for (const hold of fresh) decidedHolds.add(`${hold.sendAt}#${hold.customerId}`);
    await inPool(fresh, concurrency, (hold) => decide(hold.customerId, hold));
    if (!withinBudget() || rateHeldUntil) return waitUntil(rateHeldUntil ?? clock.now());
  }

  const filter = config.segments[campaign.segment];
  if (!filter) return done();
  const customerConfig = config as unknown as CustomerConfig;
  // A segment by RFM scores without configured cut points needs the shop's quintiles first: one pass.
  let bounds: RfmBounds | undefined = configuredBounds(customerConfig) ?? state.bounds;
  if (needsRfm(filter) && !bounds) {
    const census = new RfmCensus(new Date(campaign.at), state.census as CensusEntry[] | undefined);
    let cursor = state.cursor;
    do {
      const page = await nextDirectoryPage(store, cursor, deps.directoryPage);
      for (const { customer } of page.entries) census.add(customer);
      cursor = page.cursor;
    } while (!cursor.every((after) => after === null) && withinBudget());
    if (!cursor.every((after) => after === null)) {
      state = { ...state, cursor, census: census.sample.map((entry) => [...entry]) };
      await writeProgress(deps, state, "census", clock.now());
      return waitUntil(clock.now());
    }
    bounds = census.bounds();
    state = {
      ...state,
      cursor: undefined,
      census: undefined,
      bounds: { r: [...bounds.r], f: [...bounds.f], m: [...bounds.m] },
    };
  }

  while (!pagingDone(state) && withinBudget() && !rateHeldUntil) {
    const at = clock.now();
    // The marketing window is closed: every member would be held to the next slot, so the task waits
    // there itself (past `until` the members are decided now, each skipped `campaign-ended`).
    if (holdToWindow(at, config.windows.marketing, config.timeZone).getTime() !== at.getTime()) {
      const opens = earliestSendTime(at, "marketing", config);
      if (opens < until) {
        await writeProgress(deps, state, "sending", at);
        return waitUntil(opens);
      }
    }
    const page = await nextDirectoryPage(store, state.cursor, deps.directoryPage);
    // Segment membership is judged at the campaign's time: the audience it was sent for.
    const judgedAt = new Date(campaign.at);
    const members = page.entries
      .filter(({ customer }) =>
        inSegment(profileOf(customer, customerConfig, judgedAt, bounds), filter, judgedAt),
      )
      .map(({ customer }) => customer.customerId);
    await inPool(members, concurrency, (customerId) => decide(customerId));
    state = {
      ...state,
      cursor: page.cursor,
      customers: state.customers + page.entries.length,
      members: state.members + members.length,
    };
  }

  if (!pagingDone(state)) {
    await writeProgress(deps, state, "sending", clock.now());
    return waitUntil(rateHeldUntil ?? clock.now());
  }
  const [firstHeld] = await store.listCampaignHolds(campaign.id, undefined, 1);
  if (!firstHeld) {
    await writeProgress(deps, state, "finished", clock.now());
    return done();
  }
  await writeProgress(deps, state, "holding", clock.now());
  const wake = new Date(Math.min(Date.parse(firstHeld.sendAt), until.getTime()));
  return waitUntil(wake < clock.now() ? clock.now() : wake);
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
