import type { ShopConfig } from "./config.js";
import type { ShopEvent } from "./events.js";
import type { ExecutionState, JourneyId } from "./model.js";
import type { Store } from "./store.js";

/** Starts journey executions: Step Functions on AWS, the local engine locally. */
export interface JourneyStarter {
  /**
   * Starts one execution. Starting the same `name` twice is not an error: the second start is a no-op,
   * which is what makes duplicate webhooks harmless.
   */
  start(journey: JourneyId, name: string, input: ExecutionState): Promise<void>;
}

/** What the dispatch step needs. */
export interface DispatchDeps {
  readonly config: ShopConfig;
  readonly store: Store;
  readonly journeys: JourneyStarter;
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
        await deps.journeys.start(
          "payment-reminder",
          executionName("payment-reminder", event.order.id),
          state,
        );
      }
      return;
    }
    case "order.paid":
      return store.recordOrderFacts(event.orderId, { paidAt: event.at });
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
      return;
    case "customer.declined":
      return store.recordCustomerFlag(event.customerId, "declinedAt", event.at);
    default: {
      const unhandled: never = event;
      throw new Error(`unhandled event ${JSON.stringify(unhandled)}`);
    }
  }
}
