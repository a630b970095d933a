import { earliestSendTime } from "../engine/policy.js";
import { parseDuration } from "../shared/duration.js";
import type { MessageClass, Next, OrderRecord } from "../shared/model.js";
import type { JourneyContext, MessageContent, Verdict } from "./module.js";

/**
 * The shared vocabulary of journey rules: guards (why a step should not go out) and delays (when it is
 * due). Journeys compose these instead of writing their own copies, so one rule means one thing everywhere.
 */

/** Why a step should not go out now, if there is a reason. */
export type Guard<Settings = unknown> = (
  context: JourneyContext<Settings>,
) => string | undefined | Promise<string | undefined>;

/** Whether `timestamp` is set and not after `now`: facts from the future (a late clock) do not count yet. */
export function happenedBy(timestamp: string | undefined, now: Date): boolean {
  return timestamp !== undefined && Date.parse(timestamp) <= now.getTime();
}

/** The earliest of the given instants that are set. */
export function earliest(...timestamps: (string | undefined)[]): Date | undefined {
  const times = timestamps.filter((t): t is string => t !== undefined).map(Date.parse);
  return times.length > 0 ? new Date(Math.min(...times)) : undefined;
}

/** The customer's paid orders, earliest payment first. */
export function paidOrders(orders: readonly OrderRecord[]): OrderRecord[] {
  return orders
    .filter((order) => order.paidAt !== undefined)
    .sort((a, b) => Date.parse(a.paidAt as string) - Date.parse(b.paidAt as string));
}

/**
 * A paid order's place among its customer's paid orders, as a string that sorts like `paidOrders` orders
 * them: by payment time, then as the customer's orders are listed (creation time, then id).
 */
export function paidOrderKey(order: {
  readonly orderId: string;
  readonly paidAt: string;
  readonly createdAt: string;
}): string {
  return `${new Date(order.paidAt).toISOString()}|${new Date(order.createdAt).toISOString()}#${order.orderId}`;
}

/** Whether an order's refunds add up to its whole amount (to the cent: parts may not sum exactly in floats). */
export function fullyRefunded(order: OrderRecord | undefined): boolean {
  return (
    order?.refundedAt !== undefined &&
    order.refundedAmount !== undefined &&
    Math.round(order.refundedAmount * 100) >= Math.round((order.amount ?? 0) * 100)
  );
}

/** The order never became known (no `order.created`). */
export const unknownOrder: Guard = ({ order }) =>
  order?.createdAt === undefined ? "unknown-order" : undefined;

/** The order was cancelled. */
export const cancelled: Guard = ({ order, now }) =>
  happenedBy(order?.cancelledAt, now) ? "cancelled" : undefined;

/** The order's refunds add up to its whole amount. */
export const refundedInFull: Guard = ({ order, now }) =>
  fullyRefunded(order) && happenedBy(order?.refundedAt, now) ? "refunded" : undefined;

/** Any part of the order was refunded. */
export const refundedAtAll: Guard = ({ order, now }) =>
  happenedBy(order?.refundedAt, now) ? "refunded" : undefined;

/** What a journey does with a gift order: skip it, send to the number on the order, or to the payer's. */
export type GiftOrderPolicy = "skip" | "send" | "payer";

/** A gift order, when the journey's policy for them is `skip`. */
export const giftOrderBy =
  <Settings>(policy: (context: JourneyContext<Settings>) => GiftOrderPolicy): Guard<Settings> =>
  (context) =>
    context.order?.gift === true && policy(context) === "skip" ? "gift" : undefined;

/** A gift order, when the journey's `giftOrders` setting is `skip`. */
export const giftOrder: Guard<{ giftOrders: GiftOrderPolicy }> = giftOrderBy(
  ({ settings }) => settings.giftOrders,
);

/**
 * Where a journey's message goes under a gift-order policy: a gift order's payer (`order.payer.phone`)
 * under `payer`, else the customer.
 */
export const recipientUnder =
  <Settings>(policy: (context: JourneyContext<Settings>) => GiftOrderPolicy) =>
  (context: JourneyContext<Settings>): string | undefined =>
    context.order?.gift === true && policy(context) === "payer"
      ? context.order.payerPhone
      : context.customer?.phone;

/** The message has no number to go to. */
export const noPhone: Guard = ({ recipient }) => (recipient ? undefined : "no-phone");

/**
 * The customer cannot get a message now: no number, or a platform's virtual number that has expired (they
 * expire some days after the trade completes).
 */
export const unreachable: Guard = (context) => {
  const { customer, now, recipient } = context;
  if (!recipient) return "no-phone";
  if (
    recipient === customer?.phone &&
    customer.phoneExpiresAt !== undefined &&
    Date.parse(customer.phoneExpiresAt) <= now.getTime()
  )
    return "phone-expired";
  return undefined;
};

/** A fact of the order has happened (e.g. `deliveredAt` → `already-delivered`). */
export const orderFact =
  (fact: keyof OrderRecord, reason: string): Guard =>
  ({ order, now }) =>
    happenedBy(order?.[fact] as string | undefined, now) ? reason : undefined;

/** The guards of a notice about one order: known, not cancelled, not refunded in full, not a gift, reachable. */
export const ORDER_CARE: readonly Guard<{ giftOrders: GiftOrderPolicy }>[] = [
  unknownOrder,
  cancelled,
  refundedInFull,
  giftOrder,
  unreachable,
];

/** The first guard's reason as a skip, or `send` when none objects. Guards run in order, each at most once. */
export function sendUnless<Settings>(
  context: JourneyContext<Settings>,
  step: string,
  guards: readonly Guard<Settings>[],
  from = 0,
): Verdict | Promise<Verdict> {
  // Synchronous until a guard needs I/O: most checks never wait.
  for (let index = from; index < guards.length; index += 1) {
    const reason = (guards[index] as Guard<Settings>)(context);
    if (reason instanceof Promise)
      return reason.then((found) =>
        found !== undefined
          ? { kind: "skip", step, reason: found }
          : sendUnless(context, step, guards, index + 1),
      );
    if (reason !== undefined) return { kind: "skip", step, reason };
  }
  return { kind: "send", step };
}

/** `duration` after an instant. */
export function after(instant: string | Date, duration: string): Date {
  return new Date(new Date(instant).getTime() + parseDuration(duration));
}

/**
 * Waits for `due` (or now, if it has passed) moved to when a message of `messageClass` may go out: into
 * the notice window, or to the next marketing slot.
 */
export function waitToSend(
  context: JourneyContext,
  step: string,
  due: Date,
  messageClass: MessageClass,
): Extract<Next, { kind: "wait" }> {
  const sendAt = earliestSendTime(
    due < context.now ? context.now : due,
    messageClass,
    context.config,
    context.place,
  );
  return { kind: "wait", step, sendAt: sendAt.toISOString() };
}

/**
 * A one-step notice: `done` once the step is decided, else due at `at` (or when the execution entered:
 * the event's time) in the notice window.
 */
export function noticeOnce(
  context: JourneyContext,
  step: string,
  at: string | undefined,
): Extract<Next, { kind: "wait" | "done" }> {
  if (context.ledger.has(step)) return { kind: "done" };
  return waitToSend(context, step, new Date(at ?? context.state.enteredAt), "notice");
}

/** The first step of `steps` not in the ledger yet. */
export function firstUndecided(context: JourneyContext, steps: readonly string[]): string | undefined {
  return steps.find((step) => !context.ledger.has(step));
}

/**
 * Whether the customer had a paid order before this one (returning rather than first-time). The profile's
 * `firstPaid` — their earliest paid order — answers it without listing every order they placed: they are
 * returning exactly when it is another order paid before this one. A profile without it (none yet, or kept
 * before it was) lists the orders.
 */
export async function isReturningCustomer(context: JourneyContext): Promise<boolean> {
  const order = context.order;
  if (!order) return false;
  const since = Date.parse(order.paidAt ?? order.createdAt ?? context.state.enteredAt);
  const firstPaid = context.customer?.firstPaid;
  if (firstPaid !== undefined) {
    // `<paidAt>|<createdAt>#<orderId>`: the two times hold neither `|` nor `#`; the order id may.
    const paidAt = firstPaid.slice(0, firstPaid.indexOf("|"));
    const firstOrderId = firstPaid.slice(firstPaid.indexOf("#") + 1);
    return firstOrderId !== order.orderId && Date.parse(paidAt) < since;
  }
  return paidOrders(await context.customerOrders()).some(
    (other) => other.orderId !== order.orderId && Date.parse(other.paidAt as string) < since,
  );
}

/** `{shop} {name} {orderId}`: what every message about an order may say. */
export function orderVariables(context: JourneyContext): Record<string, string> {
  const { config, order, customer } = context;
  return { shop: config.name, name: customer?.name ?? "", orderId: order?.orderId ?? "" };
}

/** The variables every parcel message may use: the order's, the carrier's display name and the tracking number. */
export function parcelVariables(context: JourneyContext): Record<string, string> {
  const { config, order } = context;
  const carrier = order?.carrier ?? "";
  return {
    ...orderVariables(context),
    // The shipping notice's carrier names serve every parcel message.
    carrier:
      (config.journeys.shipped as { carrierNames: Record<string, string> }).carrierNames[carrier] ?? carrier,
    trackingNo: order?.trackingNo ?? "",
  };
}

/** The coupon settings the gifts and win-back share. */
export interface CouponSettings {
  readonly couponAmount: number;
  readonly coupon: { readonly code: string; readonly issueUrl?: string };
}

/** A coupon message's content: from `coupon.code`, or issued at send time from `coupon.issueUrl`. */
export function couponContent(context: JourneyContext<CouponSettings>): MessageContent {
  const { couponAmount, coupon } = context.settings;
  return {
    variables: {
      shop: context.config.name,
      name: context.customer?.name ?? "",
      couponAmount,
      coupon: coupon.code,
    },
    issueCoupon: coupon.issueUrl ? { amount: couponAmount, issueUrl: coupon.issueUrl } : undefined,
  };
}

/**
 * Template declarations of one class and variable set, each set under `templates.<setting>` of the
 * journey's settings: `templatesOf("notice", VARIABLES.parcel)("arrivedCity", "【{shop}】…")`.
 */
export function templatesOf<const Class extends MessageClass, const Variables extends readonly string[]>(
  messageClass: Class,
  variables: Variables,
) {
  return <const Setting extends string>(setting: Setting, text: string) =>
    ({ messageClass, variables, setting: ["templates", setting], text }) as const;
}

/**
 * The longest value of each variable the journeys share, for the lint's worst-case segment count: a number's
 * digits, a name's characters (`shop` and `link` are measured from the config itself).
 */
export const SHARED_VARIABLE_LENGTHS: Readonly<Record<string, number>> = {
  name: 4,
  orderId: 20,
  amount: 8,
  couponAmount: 3,
  coupon: 12,
  carrier: 4,
  trackingNo: 15,
  level: 6,
};

/** The variables of the templates of each kind of message. */
export const VARIABLES = {
  order: ["shop", "name", "orderId"],
  parcel: ["shop", "name", "orderId", "carrier", "trackingNo"],
  coupon: ["shop", "name", "couponAmount", "coupon"],
} as const;
