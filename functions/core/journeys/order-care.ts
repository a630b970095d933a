import type { JourneyContext } from "./journey.js";
import { fullyRefunded, paidOrders, unreachableReason } from "./lifecycle.js";

/**
 * Facts the order-care journeys (shipped, arrived, review care) share: they follow one order after
 * payment and answer the shop's and the tracking service's events about it.
 */

/** Whether `timestamp` is set and not after `now`: facts from the future (a late clock) do not count yet. */
export function happenedBy(timestamp: string | undefined, now: Date): boolean {
  return timestamp !== undefined && Date.parse(timestamp) <= now.getTime();
}

/** The earliest of the given instants that are set. */
export function earliest(...timestamps: (string | undefined)[]): Date | undefined {
  const times = timestamps.filter((t): t is string => t !== undefined).map(Date.parse);
  return times.length > 0 ? new Date(Math.min(...times)) : undefined;
}

/**
 * Why an order-care message about this order should not go out, if there is a reason: the order is
 * unknown, cancelled or refunded in full, a gift (when the journey skips gift orders), or the customer
 * cannot be reached.
 */
export function orderCareSkipReason(
  context: JourneyContext,
  options: { readonly giftOrders?: "skip" | "send" } = {},
): string | undefined {
  const { order, now } = context;
  if (order?.createdAt === undefined) return "unknown-order";
  if (happenedBy(order.cancelledAt, now)) return "cancelled";
  if (fullyRefunded(order) && happenedBy(order.refundedAt, now)) return "refunded";
  if (order.gift === true && options.giftOrders === "skip") return "gift";
  return unreachableReason(context);
}

/** Whether the customer had a paid order before this one (returning rather than first-time). */
export async function isReturningCustomer(context: JourneyContext): Promise<boolean> {
  const order = context.order;
  if (!order) return false;
  const since = Date.parse(order.paidAt ?? order.createdAt ?? context.state.enteredAt);
  return paidOrders(await context.customerOrders()).some(
    (other) => other.orderId !== order.orderId && Date.parse(other.paidAt as string) < since,
  );
}

/** The variables every parcel message may use. */
export function parcelVariables(context: JourneyContext): Record<string, string> {
  const { config, order, customer } = context;
  const carrier = order?.carrier ?? "";
  return {
    shop: config.name,
    name: customer?.name ?? "",
    orderId: order?.orderId ?? "",
    carrier: config.journeys.shipped.carrierNames[carrier] ?? carrier,
    trackingNo: order?.trackingNo ?? "",
  };
}
