import { writeBackOptOut } from "../customers/consent-writeback.js";
import { dataRequestHandoff, forgetCustomer, isForgotten } from "../customers/forget.js";
import { redactShopPage } from "../customers/shop-redact.js";
import { type OrderEvent, refundKey, type ShopEvent } from "../intake/events.js";
import { orderFactsOf, timeFieldOf } from "../intake/order-events.js";
import { settingsOf } from "../journeys/context.js";
import { type AnyJourneyModule, JOURNEY_MODULES } from "../journeys/index.js";
import type { Stop, Trigger } from "../journeys/module.js";
import { paidOrderKey, paidOrders } from "../journeys/vocabulary.js";
import type { ExecutionState, OrderRecord } from "../shared/model.js";
import type { ExecutionEntry, Repositories } from "../shared/ports.js";
import { converts } from "./attribution.js";
import { applyCheckoutUpdate, stopOrderedCheckout } from "./dispatch-checkouts.js";
import { resubscribeGivenUp, subscribeShipped } from "./dispatch-parcels.js";

export type { JourneyStarter } from "../shared/ports.js";
export type { DispatchDeps, DispatchTelemetry } from "./dispatch-starts.js";
export { executionName, PacedJourneyStarter } from "./start.js";

import {
  type DispatchDeps,
  enabledJourneys,
  orderCreatedState,
  startBirthdayJourneys,
  startJourney,
  stopJourney,
  triggersWhere,
} from "./dispatch-starts.js";

async function startPaidOrderJourneys(deps: DispatchDeps, orderId: string): Promise<void> {
  const { store, config } = deps;
  const order = await store.getOrder(orderId);
  if (!order?.customerId || !order.paidAt || !order.createdAt) return;
  const customerId = order.customerId;
  const base = { customerId, orderId, enteredAt: order.paidAt };
  // Each read at most once for all the journeys: the customer's first paid order, and the move of their
  // latest paid order (one record per customer, shared by every cycle journey).
  let firstPaid: Promise<boolean> | undefined;
  let cycle: ReturnType<typeof store.startWinbackCycle> | undefined;
  for (const { journey, trigger } of [
    ...triggersWhere(config, "first-paid-order"),
    ...triggersWhere(config, "paid-order-cycle"),
  ]) {
    const state = { journey: journey.id, ...base };
    switch (trigger.kind) {
      case "first-paid-order":
        firstPaid ??= isFirstPaidOrder(store, {
          ...order,
          customerId,
          paidAt: order.paidAt,
          createdAt: order.createdAt,
        });
        // Named by customer: a customer gets each once, however their payments arrive.
        if (await firstPaid) await startJourney(deps, state);
        break;
      case "paid-order-cycle": {
        cycle ??= store.startWinbackCycle(customerId, { orderId, paidAt: order.paidAt });
        const { started, replaced } = await cycle;
        if (!started) break;
        if (replaced && replaced.orderId !== orderId) {
          const previous = {
            journey: journey.id,
            customerId,
            orderId: replaced.orderId,
            enteredAt: replaced.paidAt,
          };
          await stopJourney(deps, previous, trigger.replacedReason);
        }
        await startJourney(deps, state);
        break;
      }
      default: {
        const unknown: never = trigger;
        throw new Error(`unknown trigger ${JSON.stringify(unknown)}`);
      }
    }
  }
  // Last: a write before the journeys' plans would make each read its facts again (the read cache).
  await keepPurchase(deps.store, order, deps.config.profiles.keepPurchases);
}

/**
 * Whether `order` is its customer's earliest paid order. The profile keeps the earliest so far as
 * `firstPaid` (this order is kept on it after its journeys start), so a reseller's thousandth payment reads
 * one item, not a thousand orders; a profile without it (none yet, or kept before it was) lists the orders.
 */
async function isFirstPaidOrder(
  store: DispatchDeps["store"],
  order: OrderRecord & { readonly customerId: string; readonly paidAt: string; readonly createdAt: string },
): Promise<boolean> {
  const customer = await store.getCustomer(order.customerId);
  if (customer?.firstPaid !== undefined) return paidOrderKey(order) <= customer.firstPaid;
  const orders = await store.listCustomerOrders(order.customerId);
  return paidOrders(orders)[0]?.orderId === order.orderId;
}

/**
 * Keeps one order on its customer's profile (what segments read) if it is known and paid: dispatch when the
 * later of the two arrives, and again at each refund, whose amount only grows (`recordPurchase` writes only
 * what grew); `shopcare backfill` for the orders of a table that kept no profiles.
 */
export async function keepPurchase(
  store: Pick<Repositories, "recordPurchase">,
  order: OrderRecord,
  /** `profiles.keepPurchases`. @default {@link KEEP_PURCHASES} */
  keepWhole?: number,
): Promise<boolean> {
  if (!order.customerId || !order.paidAt || !order.createdAt) return false;
  const items = order.items ?? [];
  const categories = [...new Set(items.map((item) => item.category).filter((c) => typeof c === "string"))];
  await store.recordPurchase(
    order.customerId,
    {
      orderId: order.orderId,
      paidAt: order.paidAt,
      amount: order.amount ?? 0,
      refunded: order.refundedAmount ?? 0,
      items: items.reduce((sum, item) => sum + (Number(item.quantity) || 1), 0),
      categories: categories as string[],
    },
    {
      ...(keepWhole === undefined ? {} : { keepWhole }),
      firstPaidKey: paidOrderKey({
        orderId: order.orderId,
        paidAt: order.paidAt,
        createdAt: order.createdAt,
      }),
    },
  );
  return true;
}

/**
 * The stops an event about `order` calls for: the first of a stop's events ends the executions its journey
 * started for the order (a later one finds them stopped already, so it costs no StopExecution call), and
 * their upcoming step is recorded with the stop's reason at that moment — a paid order's reminder is
 * stopped at the payment instead of waking at its due time only to skip (three state transitions and a
 * Lambda invocation for most orders). A step being sent at this very moment keeps its own decision.
 */
async function stopOnOrderEvent(deps: DispatchDeps, event: OrderEvent, order: OrderRecord): Promise<void> {
  // Without order.created nothing was started; it will be decided at entry when the order arrives.
  if (order.createdAt === undefined || order.customerId === undefined) return;
  const eventMs = Date.parse(event.at);
  for (const journey of enabledJourneys(deps.config)) {
    for (const stop of journey.stops ?? []) {
      if (!stop.events.includes(event.type)) continue;
      const earlier = stop.events.some((other) => {
        const at = other === event.type ? undefined : order[timeFieldOf(other)];
        return at !== undefined && Date.parse(at) <= eventMs;
      });
      if (earlier) continue;
      const { orderId, customerId, createdAt } = order;
      for (const { state, subject } of stoppedBy(journey, stop, { orderId, customerId, createdAt }, event.at))
        await stopJourney(deps, state, stop.reason, subject);
    }
  }
}

/** The executions a stop ends: those the journey's per-order triggers started for the order. */
function stoppedBy(
  journey: AnyJourneyModule,
  stop: Stop,
  order: { readonly orderId: string; readonly customerId: string; readonly createdAt: string },
  at: string,
): { state: ExecutionState; subject?: string }[] {
  const stopped: { state: ExecutionState; subject?: string }[] = [];
  for (const trigger of journey.triggers as readonly Trigger[]) {
    if (trigger.kind === "order-created" && stop.stage === undefined)
      stopped.push({ state: orderCreatedState(journey, order.orderId, order.customerId, order.createdAt) });
    if (trigger.kind !== "order-event" || (stop.stage !== undefined && trigger.stage !== stop.stage))
      continue;
    const { orderId, customerId } = order;
    const state = { journey: journey.id, orderId, customerId, enteredAt: at, stage: trigger.stage };
    stopped.push({ state, subject: orderEventSubject(orderId, trigger.stage) });
  }
  return stopped;
}

/** The subject an `order-event` trigger's execution is named by: the order, and the stage if it has one. */
function orderEventSubject(orderId: string, stage: string | undefined): string {
  return stage ? `${orderId}:${stage}` : orderId;
}

const AWAITING_SEPARATOR = "/";

/**
 * Starts an `order-event` journey for an event about `order`. One execution per (journey, order, stage),
 * so a repeated event is a no-op. If the order itself is not known yet (webhooks come out of order), a
 * grace-period execution is started instead and the journey is noted on the order, to be started when
 * `order.created` arrives; if it never does, the grace execution skips the step `unknown-order`.
 */
async function startOrderEvent(
  deps: DispatchDeps,
  order: OrderRecord,
  journey: AnyJourneyModule,
  stage: string | undefined,
): Promise<void> {
  const subject = orderEventSubject(order.orderId, stage);
  const enteredAt = deps.clock.now().toISOString();
  const base = { journey: journey.id, orderId: order.orderId, enteredAt, stage };
  if (order.createdAt !== undefined && order.customerId !== undefined) {
    await startJourney(deps, { ...base, customerId: order.customerId }, subject);
    return;
  }
  await deps.store.markAwaitingOrder(order.orderId, `${journey.id}${AWAITING_SEPARATOR}${stage ?? ""}`);
  await startJourney(deps, { ...base, awaitingOrder: true }, `${subject}:awaiting-order`);
}

/** Starts the order-event journeys whose events came before the order. Repeats are no-ops (same names). */
async function startAwaitedJourneys(deps: DispatchDeps, order: OrderRecord): Promise<void> {
  for (const key of order.awaitingOrder ?? []) {
    const [id, stage] = key.split(AWAITING_SEPARATOR) as [string, string];
    const journey = JOURNEY_MODULES.find((candidate) => candidate.id === id);
    if (journey) await startOrderEvent(deps, order, journey, stage || undefined);
  }
  if (order.reviewAuto && order.reviewedAt && order.customerId) {
    await deps.store.recordCustomerFlag(order.customerId, "autoReviewedAt", order.reviewedAt);
  }
}

/** Runs the triggers of the journeys an event about an order calls for. */
async function startOnOrderEvent(deps: DispatchDeps, event: OrderEvent, order: OrderRecord): Promise<void> {
  const config = deps.config;
  for (const { journey, trigger } of triggersWhere(
    config,
    "order-event",
    (trigger) => trigger.event === event.type,
  )) {
    if (trigger.when && !trigger.when(settingsOf(config, journey))) continue;
    await startOrderEvent(deps, order, journey, trigger.stage);
  }
  if (event.type !== "refund.completed") return;
  for (const { journey } of triggersWhere(config, "each-refund")) {
    await startJourney(deps, {
      journey: journey.id,
      orderId: event.orderId,
      customerId: order.customerId,
      enteredAt: event.at,
      stage: refundKey(event),
      amount: event.amount,
    });
  }
}

/**
 * Applies an event about an order: records what it sets on the order (`intake/order-events.ts`), does what
 * the few events with more to them need, then runs the journeys' stops and triggers it calls for.
 */
async function applyOrderEvent(deps: DispatchDeps, event: OrderEvent): Promise<void> {
  const { store } = deps;
  const order =
    event.type === "refund.completed"
      ? await store.recordRefund(event.orderId, event)
      : await store.recordOrderFacts(event.orderId, orderFactsOf(event));
  switch (event.type) {
    case "order.paid":
      await countConversion(deps, event, order);
      break;
    case "order.shipped":
      await store.indexTracking(event.trackingNo, event.orderId);
      break;
    case "parcel.tracking_aborted":
      await resubscribeGivenUp(deps, event, order);
      break;
    case "review.posted":
      if (event.auto && order.customerId && order.createdAt)
        await store.recordCustomerFlag(order.customerId, "autoReviewedAt", event.at);
      break;
    case "refund.completed":
      await keepPurchase(store, order, deps.config.profiles.keepPurchases);
      break;
  }
  await stopOnOrderEvent(deps, event, order);
  await startOnOrderEvent(deps, event, order);
  if (event.type === "order.paid") await startPaidOrderJourneys(deps, event.orderId);
  // Last: a write before the journeys' plans would make each read its facts again (the read cache).
  if (event.type === "order.shipped") await subscribeShipped(deps, event);
}

/** The conversion a payment credits to the customer's latest touch, for the telemetry. */
async function countConversion(
  deps: DispatchDeps,
  event: Extract<OrderEvent, { type: "order.paid" }>,
  order: OrderRecord,
): Promise<void> {
  if (!deps.telemetry || !order.customerId || order.paidAt !== event.at) return;
  const touch = await deps.store.getTouch(order.customerId);
  if (touch && converts(deps.config, { ...touch, customerId: order.customerId }, order)) {
    deps.telemetry.conversion(touch.journey, order.amount ?? 0);
  }
}

/**
 * Applies one event: updates what the store knows (by event time, so order of arrival does not matter)
 * and starts the journeys the event triggers.
 */
export async function dispatchEvent(
  dispatchDeps: DispatchDeps,
  event: ShopEvent,
): Promise<"forgotten" | "more" | undefined> {
  if (event.type === "shop.redact") {
    // A page of the shop's people at a time, the event delivered again until none is left.
    const stopExecution = (journey: string, name: string) => dispatchDeps.journeys.stop(journey, name);
    const page = await redactShopPage({ store: dispatchDeps.store, stopExecution }, event.at);
    return page.more ? "more" : undefined;
  }
  // Planning each journey an event starts reads the same order, customer and opt-out again (4 reads).
  const store = dispatchDeps.store.withReadCache();
  // A replay, or a late delivery, about someone forgotten after it happened brings nothing back.
  if (await isForgotten(store, event)) return "forgotten";
  // The executions started and stopped are noted once the event is applied: a note written between two
  // journeys' plans would make each plan read its facts again (any write ends the read cache's stretch).
  const executionNotes: ExecutionEntry[] = [];
  await applyEvent({ ...dispatchDeps, store, executionNotes }, event);
  for (const note of executionNotes) await store.recordExecution(note);
  // The request to forget names the customer's number too: its own body is emptied like theirs.
  return event.type === "customer.redact" ? "forgotten" : undefined;
}

async function applyEvent(
  deps: DispatchDeps & { readonly executionNotes: ExecutionEntry[] },
  event: ShopEvent,
): Promise<void> {
  const { store } = deps;
  switch (event.type) {
    case "order.created": {
      const order = await store.recordOrderCreated(event.order, event.at);
      const { checkoutToken } = event.order;
      if (checkoutToken) await stopOrderedCheckout(deps, checkoutToken, event.order.id, event.at);
      const { birthday } = event.order.customer;
      if (birthday) await startBirthdayJourneys(deps, event.order.customer.id, birthday, event.at);
      for (const { journey } of triggersWhere(deps.config, "order-created")) {
        await startJourney(
          deps,
          orderCreatedState(journey, event.order.id, event.order.customer.id, event.at),
        );
      }
      // Payment, shipping and parcel events may have arrived before the order (webhooks come out of order).
      await startAwaitedJourneys(deps, order);
      return startPaidOrderJourneys(deps, event.order.id);
    }
    case "customer.opted_out":
      if (event.customerId !== undefined) {
        await store.recordCustomerFlag(event.customerId, "optedOutAt", event.at);
        // The customer's flag keeps only the earliest opt-out: their consent history keeps each one. (A
        // number's opt-outs have a history of their own, `listPhoneOptOuts`.)
        await store.recordConsent(
          { customerId: event.customerId },
          { state: "unsubscribed", source: "opt-out", at: event.at },
        );
      }
      if (event.phone !== undefined)
        await store.recordPhoneOptOut(event.phone, event.at, event.source ?? "event", event.reply);
      // Last, once the opt-out holds here: a platform that cannot be reached fails the event, which is
      // delivered again (each record above is written again as it was) and, after its last try, kept as a
      // dead letter with the platform's reason.
      await writeBackOptOut(deps, event, event.at);
      return;
    case "customer.consent": {
      const consent = { state: event.state, source: event.source, at: event.at };
      if (event.customerId !== undefined)
        await store.recordConsent({ customerId: event.customerId }, consent);
      if (event.phone !== undefined) await store.recordConsent({ phone: event.phone }, consent);
      return;
    }
    case "customer.redact":
      await forgetCustomer(
        { personal: store, stopExecution: (journey, name) => deps.journeys.stop(journey, name) },
        { customerId: event.customerId },
        event.at,
      );
      return;
    case "customer.data_request":
      return deps.operators?.notify(dataRequestHandoff(event.customerId, event.requestId));
    case "shop.redact":
      throw new Error("shop.redact is applied page by page by dispatchEvent");
    case "customer.declined":
      return store.recordCustomerFlag(event.customerId, "declinedAt", event.at);
    case "checkout.updated":
      return applyCheckoutUpdate(deps, event.checkout, event.at);
    case "customer.updated": {
      const { id, phone, name, birthday, timeZone } = event.customer;
      await store.recordCustomerContact({ customerId: id, phone, name, timeZone }, event.at);
      if (birthday) await startBirthdayJourneys(deps, id, birthday, event.at);
      return;
    }
    default:
      return applyOrderEvent(deps, event);
  }
}
