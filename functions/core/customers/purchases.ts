import type { Purchase, PurchaseTotals } from "../shared/model.js";

/**
 * Paid orders as a customer's profile counts them: a leaf module, shared by the profile (`customers.ts`) and
 * the table that rolls a profile's older purchases into totals (`adapters/dynamodb/facts.ts`).
 */

/** How many paid orders a profile keeps whole by default (`profiles.keepPurchases`); older ones are totals. */
export const KEEP_PURCHASES = 50;

/** The paid orders that count: those not refunded in full. */
export const kept = (purchases: readonly Purchase[] | undefined) =>
  (purchases ?? []).filter((purchase) => purchase.refunded < purchase.amount || purchase.amount === 0);

/** Paid orders added up, onto `base` (the totals rolled up before): only those not refunded in full count. */
export function addPurchases(
  base: PurchaseTotals | undefined,
  purchases: readonly Purchase[],
): PurchaseTotals {
  const counted = kept(purchases);
  const paidAts = [base?.firstPaidAt, base?.lastPaidAt, ...counted.map((p) => p.paidAt)].filter(
    (at): at is string => at !== undefined,
  );
  const byTime = (a: string, b: string) => Date.parse(a) - Date.parse(b);
  const sorted = [...paidAts].sort(byTime);
  return {
    orders: (base?.orders ?? 0) + counted.length,
    spend: counted.reduce((sum, p) => sum + p.amount - p.refunded, base?.spend ?? 0),
    items: (base?.items ?? 0) + counted.reduce((sum, p) => sum + p.items, 0),
    categories: [...new Set([...(base?.categories ?? []), ...counted.flatMap((p) => p.categories)])],
    ...(sorted.length > 0 ? { firstPaidAt: sorted[0], lastPaidAt: sorted.at(-1) } : {}),
  };
}
