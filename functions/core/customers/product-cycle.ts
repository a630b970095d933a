import { parseDuration } from "../shared/duration.js";
import type { OrderRecord } from "../shared/model.js";

/**
 * The product cycle of an order: the longest configured cycle among its items' categories, or the
 * default. Customers of fast-moving goods go dormant sooner than buyers of durable ones.
 */
export function productCycleMs(
  order: OrderRecord | undefined,
  {
    categoryCycles,
    cycle,
  }: { readonly categoryCycles: Readonly<Record<string, string>>; readonly cycle: string },
): number {
  const cycles = (order?.items ?? [])
    .map((item) => categoryCycles[String(item.category ?? "")])
    .filter((found): found is string => found !== undefined)
    .map(parseDuration);
  return cycles.length > 0 ? Math.max(...cycles) : parseDuration(cycle);
}
