import type { CheckoutDetails } from "../intake/events.js";
import type { AnyJourneyModule } from "../journeys/index.js";
import type { CheckoutRecord, ExecutionState } from "../shared/model.js";
import { type DispatchDeps, startJourney, stopJourney, triggersWhere } from "./dispatch-starts.js";

/**
 * How dispatch runs the abandoned-checkout journeys (`checkout` triggers): each update of a checkout is kept
 * and starts the checkout's one execution (a no-op once it runs: the execution reads the latest update when
 * its step falls due); the order that completes it stops it.
 */

/** A checkout execution's state: named by the token, entered when the checkout was first seen. */
function checkoutState(journey: AnyJourneyModule, checkout: CheckoutRecord, at: string): ExecutionState {
  return {
    journey: journey.id,
    checkout: checkout.token,
    ...(checkout.customerId ? { customerId: checkout.customerId } : {}),
    enteredAt: checkout.createdAt ?? at,
  };
}

/** Keeps a checkout's update and starts its execution in each enabled `checkout` journey. */
export async function applyCheckoutUpdate(
  deps: DispatchDeps,
  checkout: CheckoutDetails,
  at: string,
): Promise<void> {
  const triggered = triggersWhere(deps.config, "checkout");
  // With the journey off nothing is kept: a shop that never turns it on holds no checkouts.
  if (triggered.length === 0) return;
  const stored = await deps.store.recordCheckout(checkout, at);
  for (const { journey } of triggered)
    await startJourney(deps, checkoutState(journey, stored, at), stored.token);
}

/**
 * Notes the order that carried a checkout's token and stops the checkout's executions, their upcoming step
 * recorded `ordered`. An order that came before its checkout's first update leaves the note: the execution
 * then decides at once that it was ordered.
 */
export async function stopOrderedCheckout(
  deps: DispatchDeps,
  token: string,
  orderId: string,
  at: string,
): Promise<void> {
  const triggered = triggersWhere(deps.config, "checkout");
  if (triggered.length === 0) return;
  const stored = await deps.store.markCheckoutOrdered(token, orderId, at);
  for (const { journey } of triggered)
    await stopJourney(deps, checkoutState(journey, stored, at), "ordered", token);
}
