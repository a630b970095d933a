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
