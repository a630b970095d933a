import type { ShopConfig } from "../config.js";
import type { OrderRecord } from "../model.js";
import type { JourneyContext, StepMessage } from "./journey.js";

/**
 * Facts the lifecycle journeys (gifts, win-back) share: they follow a customer, not an order, and
 * skip customers who cannot or should not be reached.
 */

/** The customer's paid orders, earliest payment first. */
export function paidOrders(orders: readonly OrderRecord[]): OrderRecord[] {
  return orders
    .filter((order) => order.paidAt !== undefined)
    .sort((a, b) => Date.parse(a.paidAt as string) - Date.parse(b.paidAt as string));
}

/** Whether an order's refunds add up to its whole amount (to the cent: parts may not sum exactly in floats). */
export function fullyRefunded(order: OrderRecord | undefined): boolean {
  return (
    order?.refundedAt !== undefined &&
    order.refundedAmount !== undefined &&
    Math.round(order.refundedAmount * 100) >= Math.round((order.amount ?? 0) * 100)
  );
}

/**
 * Why the customer cannot get a message now, if there is a reason: no number, or a platform's virtual
 * number that has expired (they expire some days after the trade completes).
 */
export function unreachableReason(context: JourneyContext): string | undefined {
  const { customer, now } = context;
  if (!customer?.phone) return "no-phone";
  if (customer.phoneExpiresAt !== undefined && Date.parse(customer.phoneExpiresAt) <= now.getTime()) {
    return "phone-expired";
  }
  return undefined;
}

/** The coupon settings the gifts and win-back share. */
type CouponSettings = Pick<ShopConfig["journeys"]["gift30"], "couponAmount" | "coupon">;

/** A marketing message carrying a coupon: from `coupon.code`, or issued at send time from `coupon.issueUrl`. */
export function couponMessage(
  context: JourneyContext,
  templateId: string,
  template: string,
  settings: CouponSettings,
): StepMessage {
  const { couponAmount, coupon } = settings;
  return {
    templateId,
    template,
    messageClass: "marketing",
    variables: {
      shop: context.config.name,
      name: context.customer?.name ?? "",
      couponAmount,
      coupon: coupon.code,
    },
    issueCoupon: coupon.issueUrl ? { amount: couponAmount, issueUrl: coupon.issueUrl } : undefined,
  };
}
