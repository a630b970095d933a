import type { SegmentFilter, Stage } from "../config/customer-settings.js";
import { parseDuration } from "../shared/duration.js";
import type { CustomerRecord, Purchase, PurchaseTotals } from "../shared/model.js";
import { DAY_MS } from "../shared/time.js";
import { unitHash } from "./holdout.js";
import { productCycleMs } from "./product-cycle.js";
import { addPurchases, kept } from "./purchases.js";

/**
 * Knowing the customers (the seeds' 新客 / 老客 / 休眠 / 流失, member levels, RFM): a profile derived at read
 * time from what dispatch keeps on the customer item (`Purchase`s, contact, birthday) and from the config,
 * so a changed level or cycle applies to every customer at once; and the segment filters over profiles.
 * Pure: the directory port pages the customers in (`ports.ts`, `CustomerDirectory`).
 */

/** The config parts a profile is derived from. */
export interface CustomerConfig {
  readonly stages: { readonly churnedAfter: string };
  readonly members: { readonly levels: readonly { name: string; minSpend?: number; minOrders?: number }[] };
  readonly rfm: { readonly bounds?: { r: readonly string[]; f: readonly number[]; m: readonly number[] } };
  readonly journeys: Readonly<Record<string, unknown>>;
}

/** RFM cut points in one unit each: days, orders, spend. */
export interface RfmBounds {
  readonly r: readonly number[];
  readonly f: readonly number[];
  readonly m: readonly number[];
}

/** What shopcare knows of a customer, derived from the profile item and the config at `now`. */
export interface CustomerProfile {
  readonly customerId: string;
  readonly phone?: string;
  readonly name?: string;
  /** Paid orders not refunded in full. */
  readonly paidOrders: number;
  /** Spend net of refunds. */
  readonly spend: number;
  /** Items bought in those orders. */
  readonly items: number;
  readonly firstPaidAt?: string;
  readonly lastPaidAt?: string;
  readonly categories: readonly string[];
  readonly province?: string;
  readonly city?: string;
  readonly birthday?: string;
  readonly stage: Stage;
  /** The highest member level reached (`members.levels`), if any. */
  readonly level?: string;
  /** Recency, frequency and monetary scores 1–5; only customers who paid have them. */
  readonly rfm?: { readonly r: number; readonly f: number; readonly m: number };
  readonly optedOut: boolean;
}

/** A customer's paid orders as every figure counts them: the rolled-up totals and the ones kept whole. */
function totalsOf(customer: CustomerRecord): PurchaseTotals & { readonly last?: Purchase } {
  const whole = kept(customer.purchases);
  return { ...addPurchases(customer.rolledUp, customer.purchases ?? []), last: whole.at(-1) };
}

/** The score 1–5 of `value` against four ascending cut points (`higherIsBetter` false: recency). */
function scoreOf(value: number, bounds: readonly number[], higherIsBetter = true): number {
  const above = bounds.filter((bound) => value > bound).length;
  return higherIsBetter ? 1 + above : 5 - above;
}

/** The configured RFM cut points in days, orders and spend, if any. */
export function configuredBounds(config: CustomerConfig): RfmBounds | undefined {
  const bounds = config.rfm.bounds;
  return bounds && { r: bounds.r.map((text) => parseDuration(text) / DAY_MS), f: bounds.f, m: bounds.m };
}

/** One customer's recency (days), frequency and spend in a census sample, with the hash that drew them. */
export type CensusEntry = readonly [hash: number, r: number, f: number, m: number];

/** How many customers a census keeps: quintiles of a larger shop are drawn from a sample this big. */
export const CENSUS_SAMPLE = 1000;

/**
 * The shop's quintiles, as RFM cut points, from the customers who paid. A shop of more than
 * {@link CENSUS_SAMPLE} paying customers is sampled: the customers of the smallest id hashes (a bottom-k
 * sample: the same customers whatever order they come in, and small enough to carry in a campaign's
 * execution state between pages). `add` each customer, then read `bounds`.
 */
export class RfmCensus {
  private readonly entries: CensusEntry[];

  constructor(
    private readonly now: Date,
    sample: readonly CensusEntry[] = [],
    private readonly size = CENSUS_SAMPLE,
  ) {
    this.entries = [...sample];
  }

  add(customer: CustomerRecord): void {
    const totals = totalsOf(customer);
    if (!totals.lastPaidAt) return;
    const hash = unitHash(customer.customerId);
    const full = this.entries.length >= this.size;
    if (full && hash >= (this.entries.at(-1)?.[0] ?? 1)) return;
    let low = 0;
    let high = this.entries.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if ((this.entries[middle]?.[0] ?? 0) < hash) low = middle + 1;
      else high = middle;
    }
    if (this.entries[low]?.[0] === hash) return;
    const r = Math.round(((this.now.getTime() - Date.parse(totals.lastPaidAt)) / DAY_MS) * 100) / 100;
    const m = Math.round(totals.spend * 100) / 100;
    this.entries.splice(low, 0, [hash, r, totals.orders, m]);
    if (full) this.entries.pop();
  }

  /** The sample so far, to carry on from (`new RfmCensus(now, sample)`). */
  get sample(): readonly CensusEntry[] {
    return this.entries;
  }

  bounds(): RfmBounds {
    const quintiles = (values: number[]) => {
      const sorted = values.sort((a, b) => a - b);
      return [1, 2, 3, 4].map(
        (fifth) => sorted[Math.max(0, Math.ceil((sorted.length * fifth) / 5) - 1)] ?? 0,
      );
    };
    return {
      r: quintiles(this.entries.map((entry) => entry[1])),
      f: quintiles(this.entries.map((entry) => entry[2])),
      m: quintiles(this.entries.map((entry) => entry[3])),
    };
  }
}

/** The config's durations a profile needs, parsed once per config (a segment judges a million profiles). */
const DURATIONS = new WeakMap<
  object,
  { churnedMs: number; cycleMs: (categories: readonly string[]) => number }
>();

function durationsOf(config: CustomerConfig) {
  let durations = DURATIONS.get(config);
  if (!durations) {
    const winback = config.journeys.winback as { cycle: string; categoryCycles: Record<string, string> };
    const byCategories = new Map<string, number>();
    durations = {
      churnedMs: parseDuration(config.stages.churnedAfter),
      // The win-back's product cycle of the categories bought in the last order.
      cycleMs: (categories) => {
        const key = categories.join("\u0000");
        let cycle = byCategories.get(key);
        if (cycle === undefined) {
          cycle = productCycleMs(
            { orderId: "-", items: categories.map((category) => ({ category })) },
            winback,
          );
          byCategories.set(key, cycle);
        }
        return cycle;
      },
    };
    DURATIONS.set(config, durations);
  }
  return durations;
}

/**
 * A customer's profile at `now`.
 * @param bounds the RFM cut points @default the configured ones; without either, no RFM scores
 */
export function profileOf(
  customer: CustomerRecord,
  config: CustomerConfig,
  now: Date,
  bounds: RfmBounds | undefined = configuredBounds(config),
): CustomerProfile {
  const totals = totalsOf(customer);
  const { spend, orders, last } = totals;
  const sinceLastMs = totals.lastPaidAt
    ? now.getTime() - Date.parse(totals.lastPaidAt)
    : Number.POSITIVE_INFINITY;
  const durations = durationsOf(config);
  let stage: Stage;
  if (!totals.lastPaidAt) stage = "prospect";
  else if (sinceLastMs > durations.churnedMs) stage = "churned";
  else if (sinceLastMs > durations.cycleMs(last?.categories ?? totals.categories)) stage = "dormant";
  else stage = orders >= 2 ? "returning" : "new";
  // Never downgraded: a refund after a level was reached keeps it (the peak spend stands).
  const levelSpend = Math.max(spend, customer.peakSpend ?? 0);
  const level = config.members.levels.findLast(
    (candidate) =>
      (candidate.minSpend === undefined || levelSpend >= candidate.minSpend) &&
      (candidate.minOrders === undefined || orders >= candidate.minOrders),
  )?.name;
  return {
    customerId: customer.customerId,
    phone: customer.phone,
    name: customer.name,
    paidOrders: orders,
    spend,
    items: totals.items,
    firstPaidAt: totals.firstPaidAt,
    lastPaidAt: totals.lastPaidAt,
    categories: [...totals.categories],
    province: customer.province,
    city: customer.city,
    birthday: customer.birthday,
    stage,
    level,
    rfm:
      totals.lastPaidAt && bounds
        ? {
            r: scoreOf(sinceLastMs / DAY_MS, bounds.r, false),
            f: scoreOf(orders, bounds.f),
            m: scoreOf(spend, bounds.m),
          }
        : undefined,
    optedOut: customer.optedOutAt !== undefined,
  };
}

/** The member level of a customer at `now` ("" if none): what `{level}` fills in marketing templates. */
export function levelOf(customer: CustomerRecord | undefined, config: CustomerConfig, now: Date): string {
  return customer ? (profileOf(customer, config, now, undefined).level ?? "") : "";
}

const PARSED = new Map<string, number>();
/** A filter's duration in ms, parsed once. */
function durationMs(text: string): number {
  let ms = PARSED.get(text);
  if (ms === undefined) {
    ms = parseDuration(text);
    PARSED.set(text, ms);
  }
  return ms;
}

/** Whether a segment's filter needs RFM scores (and so the shop's quintiles when none are configured). */
export const needsRfm = (filter: SegmentFilter) => filter.rfm !== undefined;

/** Whether a profile is in the segment: every condition given holds. */
export function inSegment(profile: CustomerProfile, filter: SegmentFilter, now: Date): boolean {
  const within = (text: string) =>
    profile.lastPaidAt !== undefined && now.getTime() - Date.parse(profile.lastPaidAt) <= durationMs(text);
  const inRange = (value: number | undefined, range: readonly [number, number] | undefined) =>
    range === undefined || (value !== undefined && value >= range[0] && value <= range[1]);
  const months =
    filter.birthdayMonth === undefined
      ? undefined
      : Array.isArray(filter.birthdayMonth)
        ? filter.birthdayMonth
        : [filter.birthdayMonth];
  return (
    (filter.stage === undefined || filter.stage.includes(profile.stage)) &&
    (filter.level === undefined || (profile.level !== undefined && filter.level.includes(profile.level))) &&
    (filter.minPaidOrders === undefined || profile.paidOrders >= filter.minPaidOrders) &&
    (filter.maxPaidOrders === undefined || profile.paidOrders <= filter.maxPaidOrders) &&
    (filter.minSpend === undefined || profile.spend >= filter.minSpend) &&
    (filter.lastPaidWithin === undefined || within(filter.lastPaidWithin)) &&
    (filter.lastPaidNotWithin === undefined ||
      (profile.lastPaidAt !== undefined && !within(filter.lastPaidNotWithin))) &&
    (filter.categories === undefined ||
      filter.categories.some((category) => profile.categories.includes(category))) &&
    (filter.provinces === undefined ||
      (profile.province !== undefined && filter.provinces.includes(profile.province))) &&
    (months === undefined ||
      (profile.birthday !== undefined && months.includes(Number(profile.birthday.slice(0, 2))))) &&
    (filter.minItemsPerOrder === undefined ||
      (profile.paidOrders > 0 && profile.items / profile.paidOrders >= filter.minItemsPerOrder)) &&
    (filter.rfm === undefined ||
      (profile.rfm !== undefined &&
        inRange(profile.rfm.r, filter.rfm.r) &&
        inRange(profile.rfm.f, filter.rfm.f) &&
        inRange(profile.rfm.m, filter.rfm.m)))
  );
}
