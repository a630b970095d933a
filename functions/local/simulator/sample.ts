import { createReadStream } from "node:fs";
import { createInterface } from "node:readline";
import type { ShopEvent } from "../../core/intake/events.js";
import { KeyGroups, keysOf } from "./shards.js";
import { parseEventLine } from "./simulate.js";

/**
 * A sampled history for a what-if at a big shop's scale: a random share of its customer groups (customers,
 * their orders and phone numbers, joined as {@link KeyGroups} joins them), every event of a group kept or
 * none. Groups never affect each other's decisions except through the shop-wide send rate, so each figure
 * of the whole history is estimated from the sample's (Horvitz–Thompson: each group counts 1/fraction
 * times) with an interval ({@link estimateTotal}).
 */
export interface HistorySample {
  /** The share of groups drawn, 0 < fraction ≤ 1. */
  readonly fraction: number;
  /** Which groups are drawn: the same seed and history, the same sample. */
  readonly seed: number;
  /** Groups in the whole history, and in the sample. */
  readonly groups: number;
  readonly sampledGroups: number;
  /** Events in the whole history. */
  readonly totalEvents: number;
  /** The sampled groups' events (and the shop-wide ones, which every group shares). */
  readonly events: ShopEvent[];
  /** The group a decision is about: its customer's, else its order's. */
  groupOf(subject: { readonly customerId?: string; readonly orderId?: string }): string;
}

/**
 * A `--sample` value: a share like `0.05` or `5%`.
 * @throws {Error} naming the value when it is not a number above 0 and at most 1 (100%)
 */
export function parseSampleFraction(text: string): number {
  const trimmed = text.trim();
  const percent = trimmed.endsWith("%");
  // Plain decimals only: Number() would also take "0x1", "1e-2" or "" (0).
  const digits = percent ? trimmed.slice(0, -1) : trimmed;
  const number = /^(\d+(\.\d*)?|\.\d+)$/.test(digits) ? Number(digits) : Number.NaN;
  const fraction = percent ? number / 100 : number;
  if (!Number.isFinite(fraction) || fraction <= 0 || fraction > 1)
    throw new Error(`--sample is a share above 0 and at most 1, like 0.05 or 5%, got ${text}`);
  return fraction;
}

/** Whether a group is drawn: a seeded FNV-1a hash of its key, read as a number in [0, 1). */
export function isDrawn(group: string, fraction: number, seed: number): boolean {
  if (fraction >= 1) return true;
  let hash = 0x811c9dc5 ^ seed;
  for (let index = 0; index < group.length; index += 1) {
    hash ^= group.charCodeAt(index);
    hash = Math.imul(hash, 0x01000193);
  }
  // A final mix, so keys that differ only at their end spread over the whole range.
  hash ^= hash >>> 15;
  hash = Math.imul(hash, 0x2c1b3c6d);
  hash ^= hash >>> 12;
  return (hash >>> 0) / 4294967296 < fraction;
}

/** What a sample keeps, once the groups are known. */
function sampleFrom(
  groups: KeyGroups,
  options: { readonly fraction: number; readonly seed: number; readonly totalEvents: number },
  events: ShopEvent[],
): HistorySample {
  const { fraction, seed } = options;
  const groupOf = (subject: { readonly customerId?: string; readonly orderId?: string }) =>
    (subject.customerId !== undefined ? groups.groupOf(`customer:${subject.customerId}`) : undefined) ??
    (subject.orderId !== undefined ? groups.groupOf(`order:${subject.orderId}`) : undefined) ??
    `subject:${subject.customerId ?? ""}:${subject.orderId ?? ""}`;
  const all = groups.count();
  let sampledGroups = 0;
  const drawn = new Set<string>();
  for (const event of events) {
    const [key] = keysOf(event);
    const group = key === undefined ? undefined : groups.groupOf(key);
    if (group !== undefined && !drawn.has(group)) {
      drawn.add(group);
      sampledGroups += 1;
    }
  }
  return { fraction, seed, groups: all, sampledGroups, totalEvents: options.totalEvents, events, groupOf };
}

/** Whether an event is in the sample: its group drawn, or shop-wide (every group shares it). */
function inSample(event: ShopEvent, groups: KeyGroups, fraction: number, seed: number): boolean {
  const [key] = keysOf(event);
  return key === undefined || isDrawn(groups.groupOf(key) as string, fraction, seed);
}

/** A sample of a history held in memory (one read from a shop's archive). */
export function sampleEvents(events: readonly ShopEvent[], fraction: number, seed = 1): HistorySample {
  const groups = new KeyGroups();
  for (const event of events) groups.add(keysOf(event));
  const kept = events.filter((event) => inSample(event, groups, fraction, seed));
  return sampleFrom(groups, { fraction, seed, totalEvents: events.length }, kept);
}

/** Each line of a file with its number, read as a stream (a month of a big shop is gigabytes). */
async function* linesOf(path: string): AsyncGenerator<[string, number]> {
  const lines = createInterface({
    input: createReadStream(path, "utf8"),
    crlfDelay: Number.POSITIVE_INFINITY,
  });
  let number = 0;
  for await (const line of lines) {
    number += 1;
    yield [line, number];
  }
}

/**
 * A sample of a JSON Lines events file, read twice as a stream and never held whole: the first pass checks
 * every line (as `simulate` does: an error names its line and field) and joins the groups, the second keeps
 * the drawn groups' events.
 * @throws {EventFileError} naming the line and the field at fault
 */
export async function sampleEventFile(path: string, fraction: number, seed = 1): Promise<HistorySample> {
  const groups = new KeyGroups();
  let totalEvents = 0;
  for await (const [line, number] of linesOf(path)) {
    const event = parseEventLine(line, number);
    if (!event) continue;
    totalEvents += 1;
    groups.add(keysOf(event));
  }
  const kept: ShopEvent[] = [];
  for await (const [line, number] of linesOf(path)) {
    const trimmed = line.trim();
    if (trimmed === "" || trimmed.startsWith("#")) continue;
    // Checked in the first pass: only the kept lines are checked again (5% of the lines at 5%).
    if (!inSample(JSON.parse(trimmed) as ShopEvent, groups, fraction, seed)) continue;
    kept.push(parseEventLine(line, number) as ShopEvent);
  }
  return sampleFrom(groups, { fraction, seed, totalEvents }, kept);
}

/** A JSON Lines events file read as a stream (no one string of the whole file). */
export async function readEventFile(path: string): Promise<ShopEvent[]> {
  const events: ShopEvent[] = [];
  for await (const [line, number] of linesOf(path)) {
    const event = parseEventLine(line, number);
    if (event) events.push(event);
  }
  return events;
}

/** A total estimated from a sample, with its 95% interval. */
export interface Estimate {
  readonly value: number;
  readonly low: number;
  readonly high: number;
}

/**
 * The whole history's total of a figure, from its value in each drawn group (Horvitz–Thompson under
 * Bernoulli sampling of groups with probability `fraction`: Σy/p, variance (1−p)/p²·Σy²), with a normal 95%
 * interval. Groups the figure is 0 in need not be listed. Exact (a zero-width interval) when fraction is 1.
 */
export function estimateTotal(valuesByGroup: Iterable<number>, fraction: number): Estimate {
  let sum = 0;
  let squares = 0;
  for (const value of valuesByGroup) {
    sum += value;
    squares += value * value;
  }
  const value = sum / fraction;
  const half = 1.96 * Math.sqrt(((1 - fraction) / (fraction * fraction)) * squares);
  return { value, low: value - half, high: value + half };
}
