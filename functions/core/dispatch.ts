import type { Clock } from "./clock.js";
import type { ShopConfig } from "./config.js";
import type { ShopEvent } from "./events.js";
import { paidOrders } from "./journeys/lifecycle.js";
import type { ExecutionState, JourneyId } from "./model.js";
import { skipUpcomingStep } from "./steps.js";
import type { Store } from "./store.js";

/** Starts journey executions: Step Functions on AWS, the local engine locally. */
export interface JourneyStarter {
  /**
   * Starts one execution. Starting the same `name` twice is not an error: the second start is a no-op,
   * which is what makes duplicate webhooks harmless.
   */
  start(journey: JourneyId, name: string, input: ExecutionState): Promise<void>;
  /** Stops a running execution; stopping one that has finished (or never ran) is not an error. */
  stop(journey: JourneyId, name: string): Promise<void>;
}

/** What the dispatch step needs. */
export interface DispatchDeps {
  readonly config: ShopConfig;
  readonly store: Store;
  readonly journeys: JourneyStarter;
  readonly clock: Clock;
}

const EXECUTION_NAME_LIMIT = 80;

/**
 * A deterministic execution name: the same journey for the same subject always gets the same name, so a
 * duplicate event cannot start a second execution. Step Functions allows 80 characters of `[A-Za-z0-9-_]`.
 */
export function executionName(journey: JourneyId, subjectId: string): string {
  const safe = `${journey}-${subjectId}`.replace(/[^A-Za-z0-9_-]/g, "_");
  if (safe.length <= EXECUTION_NAME_LIMIT) return safe;
  let hash = 0x811c9dc5;
  for (const char of subjectId) hash = Math.imul(hash ^ char.charCodeAt(0), 0x01000193) >>> 0;
  return `${safe.slice(0, EXECUTION_NAME_LIMIT - 9)}-${hash.toString(16).padStart(8, "0")}`;
}

async function startJourney(deps: DispatchDeps, state: ExecutionState, subjectId: string): Promise<void> {
  await deps.journeys.start(state.journey, executionName(state.journey, subjectId), state);
}

/**
 * What a paid order starts: the gifts if it is the customer's first paid order, and a new win-back cycle
 * (stopping the previous one, recorded as `repurchased`). Runs when the payment and the order are both
 * known, whichever webhook came last.
 */
async function startPaidOrderJourneys(deps: DispatchDeps, orderId: string): Promise<void> {
  const { store, config } = deps;
  const order = await store.getOrder(orderId);
  if (!order?.customerId || !order.paidAt || !order.createdAt) return;
  const customerId = order.customerId;
  const base = { customerId, orderId, enteredAt: order.paidAt };
  const [firstPaid] = paidOrders(await store.listCustomerOrders(customerId));
  if (firstPaid?.orderId === orderId) {
    // Named by customer: a customer gets each gift once, however their payments arrive.
    if (config.journeys.gift30.enabled) await startJourney(deps, { journey: "gift-30", ...base }, customerId);
    if (config.journeys.gift100.enabled)
      await startJourney(deps, { journey: "gift-100", ...base }, customerId);
  }
  if (!config.journeys.winback.enabled) return;
  const cycle = await store.startWinbackCycle(customerId, { orderId, paidAt: order.paidAt });
  if (!cycle.started) return;
  if (cycle.replaced && cycle.replaced.orderId !== orderId) {
    const previous: ExecutionState = {
      journey: "winback",
      customerId,
      orderId: cycle.replaced.orderId,
      enteredAt: cycle.replaced.paidAt,
    };
    const previousSubject = `${customerId}:${cycle.replaced.orderId}`;
    await deps.journeys.stop("winback", executionName("winback", previousSubject));
    await skipUpcomingStep(deps, previous, "repurchased");
  }
  await startJourney(deps, { journey: "winback", ...base }, `${customerId}:${orderId}`);
}

/**
 * Applies one event: updates what the store knows (by event time, so order of arrival does not matter)
 * and starts the journeys the event triggers.
 */
export async function dispatchEvent(deps: DispatchDeps, event: ShopEvent): Promise<void> {
  const { store } = deps;
  switch (event.type) {
    case "order.created": {
      await store.recordOrderCreated(event.order, event.at);
      if (deps.config.journeys.paymentReminder.enabled) {
        const state: ExecutionState = {
          journey: "payment-reminder",
          orderId: event.order.id,
          customerId: event.order.customer.id,
          enteredAt: event.at,
        };
        await startJourney(deps, state, event.order.id);
      }
      // The payment may have arrived before the order (webhooks come out of order).
      return startPaidOrderJourneys(deps, event.order.id);
    }
    case "order.paid":
      await store.recordOrderFacts(event.orderId, { paidAt: event.at });
      return startPaidOrderJourneys(deps, event.orderId);
    case "order.cancelled":
      return store.recordOrderFacts(event.orderId, { cancelledAt: event.at });
    case "order.shipped":
      return store.recordOrderFacts(event.orderId, {
        shippedAt: event.at,
        carrier: event.carrier,
        trackingNo: event.trackingNo,
      });
    case "parcel.arrived_city":
      return store.recordOrderFacts(event.orderId, { arrivedCityAt: event.at });
    case "parcel.out_for_delivery":
      return store.recordOrderFacts(event.orderId, { outForDeliveryAt: event.at });
    case "parcel.delivered":
      return store.recordOrderFacts(event.orderId, { deliveredAt: event.at });
    case "order.completed":
      return store.recordOrderFacts(event.orderId, { completedAt: event.at });
    case "refund.completed":
      return store.recordOrderFacts(event.orderId, { refundedAt: event.at, refundedAmount: event.amount });
    case "review.posted":
      // Review care (issue 3) acts on reviews; until then the event is archived with the raw webhook.
      return;
    case "customer.opted_out":
      if (event.customerId !== undefined)
        await store.recordCustomerFlag(event.customerId, "optedOutAt", event.at);
      if (event.phone !== undefined) await store.recordPhoneOptOut(event.phone, event.at, "event");
      return;
    case "customer.declined":
      return store.recordCustomerFlag(event.customerId, "declinedAt", event.at);
    default: {
      const unhandled: never = event;
      throw new Error(`unhandled event ${JSON.stringify(unhandled)}`);
    }
  }
}
