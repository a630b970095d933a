import type { Item } from "./memory-expressions.js";

/** What the in-memory table stores: plain copies of what it is given, frozen so no caller changes them. */

/**
 * A deep copy of an item's value, so no caller shares an object with the table. Items hold only what
 * lib-dynamodb marshals (strings, numbers, booleans, null, lists, maps, sets), which this copies several
 * times faster than `structuredClone`; anything else is a store bug and throws.
 */
export function copy<T>(value: T): T {
  if (typeof value !== "object" || value === null) return value;
  if (Array.isArray(value)) return value.map(copy) as T;
  if (value instanceof Set) return new Set([...value].map(copy)) as T;
  const prototype = Object.getPrototypeOf(value);
  if (prototype !== Object.prototype && prototype !== null)
    throw new Error(`MemoryTable: cannot store a ${prototype?.constructor?.name ?? "non-plain"} object`);
  const copied: Record<string, unknown> = {};
  for (const key in value) copied[key] = copy((value as Record<string, unknown>)[key]);
  return copied as T;
}

export function withoutUndefined(item: Item): Item {
  const defined: Item = {};
  for (const key in item) if (item[key] !== undefined) defined[key] = copy(item[key]);
  return defined;
}

export function pick(item: Item, attributes: ReadonlySet<string>): Item {
  return Object.fromEntries(Object.entries(item).filter(([name]) => attributes.has(name)));
}

export function deepFreeze(value: unknown): void {
  if (typeof value !== "object" || value === null || Object.isFrozen(value)) return;
  Object.freeze(value);
  for (const nested of value instanceof Set ? value : Object.values(value)) deepFreeze(nested);
}

/** Each partition's keys in its sort key's order: sorted when first read, then kept in order by each change. */
export class SortedKeys {
  private readonly sorted = new Map<Map<string, Item>, string[]>();

  /**
   * A partition's keys in its sort key's order (ties, which only an index can have and whose order
   * DynamoDB leaves open — DynamoDB Local's is neither insertion nor key order — by the table key),
   * sorted when first asked and kept in order from then on (`file`): a directory paged 13 at a time
   * no longer sorts its whole partition for every page.
   */
  of(entries: Map<string, Item>, sortKey: string): string[] {
    const cached = this.sorted.get(entries);
    if (cached) return cached;
    const rows: [string, string][] = [];
    for (const [key, item] of entries) rows.push([String(item[sortKey]), key]);
    rows.sort((a, b) => compareKeys(a[0], b[0]) || compareKeys(a[1], b[1]));
    const keys = rows.map((row) => row[1]);
    this.sorted.set(entries, keys);
    return keys;
  }

  /**
   * Files a new key in a partition's sorted keys, when they are kept, by binary search: a partition written
   * and read in turn (a month's decisions) is never sorted again.
   */
  file(entries: Map<string, Item>, key: string, sortKey: string): void {
    const keys = this.sorted.get(entries);
    if (!keys) return;
    const value = String(entries.get(key)?.[sortKey]);
    let low = 0;
    let high = keys.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      const other = keys[middle] as string;
      if ((compareKeys(String(entries.get(other)?.[sortKey]), value) || compareKeys(other, key)) < 0)
        low = middle + 1;
      else high = middle;
    }
    keys.splice(low, 0, key);
  }

  unfile(entries: Map<string, Item>, key: string): void {
    const keys = this.sorted.get(entries);
    const at = keys ? keys.indexOf(key) : -1;
    if (at >= 0) keys?.splice(at, 1);
  }
}

export function compareKeys(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
