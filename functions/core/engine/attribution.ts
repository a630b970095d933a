import { CAMPAIGN_JOURNEY, campaignById, campaignUntil } from "../config/campaign-settings.js";
import type { ShopConfig } from "../config/config.js";
import { TEMPLATE_SPECS } from "../config/templates.js";
import { journeyModule } from "../journeys/index.js";
import { parseDuration } from "../shared/duration.js";
import type { DecisionRecord, OrderRecord } from "../shared/model.js";
import { DAY_MS } from "../shared/time.js";

/**
 * Which paid order a message earns (attribution), decided where the decision is recorded and where an order
 * is paid (the hot path), and read again by the effect report (`insight/report.ts`).
 */

/**
 * When a message stops earning the customer's orders: its journey's window after it, or a campaign's
 * (its `attributionWindow` after the message, else a day past the campaign's `until`).
 */
function creditEndsAt(config: ShopConfig, decision: Pick<DecisionRecord, "at" | "journey" | "step">): number {
  const at = Date.parse(decision.at);
  if (decision.journey === CAMPAIGN_JOURNEY) {
    const campaign = campaignById(config, decision.step);
    if (campaign?.attributionWindow) return at + parseDuration(campaign.attributionWindow);
    return (campaign ? campaignUntil(campaign).getTime() : at) + DAY_MS;
  }
  const window =
    config.effect.attributionWindows[decision.journey as keyof typeof config.effect.attributionWindows];
  return at + parseDuration(window ?? config.effect.attributionWindow);
}

/**
 * Whether paying `order` at its `paidAt` is what a message (or holdout skip) of `journey` about `subject`
 * at `at` aims at: the order itself for a journey attributed `this-order` (the payment reminder), any other
 * order of the customer
 * for the rest, within the journey's window.
 */
export function converts(
  config: ShopConfig,
  decision: Pick<DecisionRecord, "at" | "journey" | "step" | "customerId" | "orderId">,
  order: OrderRecord,
): boolean {
  if (order.paidAt === undefined || order.customerId !== decision.customerId) return false;
  const sameOrder = order.orderId === decision.orderId;
  if (journeyModule(decision.journey).attribution === "this-order" ? !sameOrder : sameOrder) return false;
  const paid = Date.parse(order.paidAt);
  const at = Date.parse(decision.at);
  return paid > at && paid <= creditEndsAt(config, decision);
}

/**
 * Whether a sent message can be credited with a purchase: its journey is in `effect.attributed` and it is
 * attributed `this-order` (every message) or it is marketing. Notices (a thank-you, an apology, a parcel update) earn nothing.
 */
export function aimsAtPurchase(
  config: ShopConfig,
  decision: Pick<DecisionRecord, "journey" | "template">,
): boolean {
  // A campaign's message is marketing, and aims at a purchase.
  if (decision.journey === CAMPAIGN_JOURNEY) return true;
  if (!config.effect.attributed.includes(decision.journey)) return false;
  if (journeyModule(decision.journey).attribution === "this-order") return true;
  return TEMPLATE_SPECS[decision.template]?.messageClass === "marketing";
}
