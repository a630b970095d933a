import type { ShopConfig } from "../config/config.js";
import type { SegmentFilter } from "../config/customer-settings.js";
import { maskName, maskPhone } from "../config/messaging.js";
import { keepPurchase } from "../engine/dispatch.js";
import { CUSTOMER_SHARDS, type DirectoryEntry, type Repositories } from "../shared/ports.js";
import {
  type CustomerConfig,
  type CustomerProfile,
  configuredBounds,
  inSegment,
  needsRfm,
  profileOf,
  type RfmBounds,
  RfmCensus,
} from "./profiles.js";

/**
 * Segments over the customer directory: who is in one now (`shopcare segment`, the console), paging the
 * directory as a campaign does, so the preview counts the audience a campaign at this moment would have.
 */

/** Thrown for a segment the config does not name. */
export class UnknownSegmentError extends Error {
  constructor(name: string, config: Pick<ShopConfig, "segments">) {
    const known = Object.keys(config.segments);
    super(
      `no segment ${JSON.stringify(name)} in the config; ${known.length > 0 ? `known: ${known.join(", ")}` : "segments is empty"}`,
    );
    this.name = "UnknownSegmentError";
  }
}

/** Every customer of the directory, page by page (most recent buyer first within a partition). */
export async function* everyCustomer(
  store: Pick<Repositories, "pageCustomers">,
  partitions: number,
  // DynamoDB ends a page at 1 MB whatever the limit (about 2,000 profiles): the page may be shorter.
  pageSize = 2000,
): AsyncGenerator<DirectoryEntry> {
  for (let shard = 0; shard < partitions; shard += 1) {
    let after: string | undefined;
    for (;;) {
      const page = await store.pageCustomers(shard, after, pageSize);
      yield* page.entries;
      if (page.done || page.entries.length === 0) break;
      after = page.entries.at(-1)?.key;
    }
  }
}

/** What a segment holds at a moment. */
export interface SegmentPreview {
  readonly segment: string;
  readonly at: string;
  /** Customers looked at, and how many are in the segment. */
  readonly customers: number;
  readonly members: number;
  readonly byStage: Readonly<Record<string, number>>;
  readonly byLevel: Readonly<Record<string, number>>;
  /** The first members (most recent buyers first), numbers masked unless asked for. */
  readonly sample: readonly SampleMember[];
  /** The RFM cut points it was judged by, if its filter scores RFM. */
  readonly bounds?: RfmBounds;
}

export type SampleMember = Pick<
  CustomerProfile,
  "customerId" | "name" | "stage" | "level" | "paidOrders" | "spend" | "lastPaidAt" | "province" | "rfm"
> & { readonly phone?: string };

/**
 * Who is in segment `name` at `now`. A segment that scores RFM without `rfm.bounds` is judged by the
 * shop's quintiles, from one census pass first (as a campaign takes them).
 */
export async function previewSegment(
  store: Pick<Repositories, "pageCustomers">,
  config: ShopConfig,
  name: string,
  now: Date,
  options: { readonly sample?: number; readonly showPhone?: boolean; readonly partitions?: number } = {},
): Promise<SegmentPreview> {
  const filter: SegmentFilter | undefined = config.segments[name];
  if (!filter) throw new UnknownSegmentError(name, config);
  const partitions = options.partitions ?? CUSTOMER_SHARDS;
  const customerConfig = config as unknown as CustomerConfig;
  let bounds = configuredBounds(customerConfig);
  if (needsRfm(filter) && !bounds) {
    const census = new RfmCensus(now);
    for await (const { customer } of everyCustomer(store, partitions)) census.add(customer);
    bounds = census.bounds();
  }
  const byStage: Record<string, number> = {};
  const byLevel: Record<string, number> = {};
  const sampleSize = options.sample ?? 10;
  // The most recent buyers, kept as they come: a million members need not be held to show ten.
  const newest: CustomerProfile[] = [];
  const newer = (a: CustomerProfile, b: CustomerProfile) =>
    Date.parse(b.lastPaidAt ?? "0") - Date.parse(a.lastPaidAt ?? "0") ||
    a.customerId.localeCompare(b.customerId);
  let customers = 0;
  let count = 0;
  for await (const { customer } of everyCustomer(store, partitions)) {
    customers += 1;
    const profile = profileOf(customer, customerConfig, now, bounds);
    if (!inSegment(profile, filter, now)) continue;
    count += 1;
    byStage[profile.stage] = (byStage[profile.stage] ?? 0) + 1;
    const level = profile.level ?? "(none)";
    byLevel[level] = (byLevel[level] ?? 0) + 1;
    if (newest.length < sampleSize || newer(profile, newest.at(-1) as CustomerProfile) < 0) {
      newest.push(profile);
      newest.sort(newer);
      if (newest.length > sampleSize) newest.pop();
    }
  }
  const sample = newest.map((profile) => ({
    customerId: profile.customerId,
    phone: options.showPhone ? profile.phone : maskPhone(profile.phone),
    name: options.showPhone ? profile.name : maskName(profile.name),
    stage: profile.stage,
    level: profile.level,
    paidOrders: profile.paidOrders,
    spend: profile.spend,
    lastPaidAt: profile.lastPaidAt,
    province: profile.province,
    rfm: profile.rfm,
  }));
  return {
    segment: name,
    at: now.toISOString(),
    customers,
    members: count,
    byStage,
    byLevel,
    sample,
    ...(bounds && needsRfm(filter) ? { bounds } : {}),
  };
}

/**
 * Writes the profiles of a table deployed before dispatch kept them: each known, paid order on its
 * customer's profile (which puts the customer in the directory). Idempotent: running it again, or beside
 * dispatch, changes nothing twice. Customers who never paid join the directory with their next event.
 */
export async function backfillProfiles(
  store: Pick<Repositories, "listOrders" | "recordPurchase">,
): Promise<{ readonly orders: number; readonly kept: number; readonly customers: number }> {
  const orders = await store.listOrders();
  const customers = new Set<string>();
  let kept = 0;
  for (const order of orders) {
    if (!(await keepPurchase(store, order))) continue;
    kept += 1;
    customers.add(order.customerId as string);
  }
  return { orders: orders.length, kept, customers: customers.size };
}
