import { subscribesParcels } from "../config/shop-settings.js";
import type { OrderEvent } from "../intake/events.js";
import { fileSubscription, resubscribeAborted } from "../parcels/subscriptions.js";
import type { OrderRecord } from "../shared/model.js";
import type { DispatchDeps } from "./dispatch-starts.js";

/**
 * What dispatch does for parcel tracking (`parcels/subscriptions.ts`): a shipped order's parcel filed and its
 * first Kuaidi100 subscription try queued, and a parcel Kuaidi100 gave up on subscribed again or given up.
 */

/** Files a shipped order's parcel for subscription, when the shop subscribes parcels. */
export async function subscribeShipped(
  deps: DispatchDeps,
  event: Extract<OrderEvent, { type: "order.shipped" }>,
): Promise<void> {
  if (!deps.parcels || !subscribesParcels(deps.config)) return;
  await fileSubscription(
    { store: deps.store, queue: deps.parcels },
    event.orderId,
    event.trackingNo,
    event.at,
  );
}

/** Kuaidi100 gave up on a parcel: subscribed again half an hour on, or handed off `tracking-lost`. */
export async function resubscribeGivenUp(
  deps: DispatchDeps,
  event: Extract<OrderEvent, { type: "parcel.tracking_aborted" }>,
  order: OrderRecord,
): Promise<void> {
  if (!deps.parcels) return;
  const { orderId, trackingNo, round } = event;
  await resubscribeAborted(
    { store: deps.store, queue: deps.parcels, operators: deps.operators },
    { orderId, trackingNo, round, customerId: order.customerId },
    event.message ?? "",
    event.at,
  );
}
