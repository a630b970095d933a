import * as z from "zod/mini";
import { at, id, nonNegative } from "./fields.js";

/**
 * The events about one order, each declared once: the fields it carries (besides `type`, `at` and
 * `orderId`), the order field its time sets, and what else it sets on the order. This table drives the
 * generic event union (`events.ts`), the order facts the store keeps (`OrderRecord`), dispatch (which
 * records them and then runs the journeys' triggers and stops) and explain (when an order-event trigger
 * fired). Adding an event is one entry here (docs/adding-a-journey.md).
 *
 * The store keeps each fact at the earliest event's time, so replays and duplicates change nothing.
 */
export const ORDER_EVENTS = {
  "order.paid": orderEvent({ time: "paidAt" }),
  "order.cancelled": orderEvent({ time: "cancelledAt" }),
  "order.shipped": orderEvent({
    time: "shippedAt",
    fields: { carrier: z.string().check(z.minLength(1)), trackingNo: z.string().check(z.minLength(1)) },
    facts: (event) => ({ carrier: event.carrier, trackingNo: event.trackingNo }),
  }),
  "parcel.arrived_city": orderEvent({ time: "arrivedCityAt" }),
  "parcel.out_for_delivery": orderEvent({ time: "outForDeliveryAt" }),
  "parcel.delivered": orderEvent({ time: "deliveredAt" }),
  /** A parcel in trouble: stuck, lost, damaged or mis-sorted (物流异常, 疑难件); `reason` as the carrier says it. */
  "parcel.exception": orderEvent({
    time: "parcelExceptionAt",
    fields: { reason: z.optional(z.string().check(z.maxLength(200))) },
    facts: (event) => ({ parcelExceptionReason: event.reason }),
  }),
  /** Refused by the buyer (拒签): customer service may still save the sale before it goes back. */
  "parcel.rejected": orderEvent({ time: "parcelRejectedAt" }),
  /** On its way back to the shop (退签, 退回). */
  "parcel.returned": orderEvent({ time: "parcelReturnedAt" }),
  /**
   * The tracking service gave up on the parcel (Kuaidi100's push `status: "abort"`: 3天查询无记录, 60天无变化):
   * shopcare subscribes it again half an hour on, at most twice (`parcels/subscriptions.ts`).
   */
  "parcel.tracking_aborted": orderEvent({
    time: "trackingAbortedAt",
    fields: {
      trackingNo: z.string().check(z.minLength(1), z.maxLength(64)),
      message: z.optional(z.string().check(z.maxLength(200))),
      /** The subscription round that was given up on (0 the first): a stale round's changes nothing. */
      round: z._default(z.int().check(z.nonnegative()), 0),
    },
  }),
  /** Customer service reminded the buyer to pay, in chat: the SMS reminder waits on. */
  "order.reminded": orderEvent({
    time: "remindedAt",
    fields: { by: z._default(z.enum(["cs"]), "cs") },
  }),
  "order.completed": orderEvent({ time: "completedAt" }),
  /**
   * One refund of an order (orders can be refunded in parts). `refundId` is the platform's id for it, which
   * tells two equal partial refunds from one refund delivered twice. The amounts add up on the order
   * (`recordRefund`); the time is the earliest refund's.
   */
  "refund.completed": orderEvent({
    time: "refundedAt",
    fields: { amount: nonNegative, refundId: z.optional(id) },
  }),
  "review.posted": orderEvent({
    time: "reviewedAt",
    fields: {
      rating: z.enum(["good", "neutral", "bad"]),
      auto: z._default(z.boolean(), false),
      text: z.optional(z.string().check(z.maxLength(2000))),
    },
    facts: (event) => ({ reviewRating: event.rating, reviewAuto: event.auto, reviewText: event.text }),
  }),
};

/** How one event about an order is declared. */
export interface OrderEventSpec<Fields extends z.core.$ZodLooseShape, Time extends string, Facts> {
  /** The order's field the event's time sets (the earliest event of its type wins). */
  readonly time: Time;
  /** What the event carries besides `type`, `at` and `orderId`. */
  readonly fields?: Fields;
  /** What else the event sets on the order, kept with its time. */
  readonly facts?: (event: z.output<z.ZodMiniObject<Fields>>) => Facts;
}

/** Declares one event about an order (a typed identity: the table keeps each entry's literal types). */
function orderEvent<
  const Time extends string,
  Fields extends z.core.$ZodLooseShape = Record<never, never>,
  Facts extends Record<string, unknown> = Record<never, never>,
>(spec: OrderEventSpec<Fields, Time, Facts>): OrderEventSpec<Fields, Time, Facts> {
  return spec;
}

type Table = typeof ORDER_EVENTS;
/** The `type` of an event about one order. */
export type OrderEventType = keyof Table;
type FieldsOf<K extends OrderEventType> =
  Table[K] extends OrderEventSpec<infer Fields, string, unknown> ? Fields : never;

/** The schema of one event about an order, as the table declares it. */
export type OrderEventSchema<K extends OrderEventType = OrderEventType> = {
  [Type in K]: z.ZodMiniObject<
    Extract<
      { type: z.ZodMiniLiteral<Type>; at: typeof at; orderId: typeof id } & FieldsOf<Type>,
      z.core.$ZodLooseShape
    >,
    z.core.$loose
  >;
}[K];

/** The table's events as schemas, for the event union. */
export const ORDER_EVENT_SCHEMAS = Object.entries(ORDER_EVENTS).map(([type, spec]) =>
  z.looseObject({ type: z.literal(type), at, orderId: id, ...spec.fields }),
) as unknown as OrderEventSchema[];

/** The order field each event's time sets. */
export type OrderTimeField = Table[OrderEventType]["time"];

type UnionToIntersection<U> = (U extends unknown ? (union: U) => void : never) extends (
  intersection: infer I,
) => void
  ? I
  : never;

/** What the events set on an order besides their times. */
export type OrderDetailFacts = Partial<
  UnionToIntersection<{ [K in OrderEventType]: ReturnType<NonNullable<Table[K]["facts"]>> }[OrderEventType]>
>;

/** Every fact the events about an order set on it: each event's time, and what came with it. */
export type OrderEventFacts = { readonly [Field in OrderTimeField]?: string } & {
  readonly [Field in keyof OrderDetailFacts]?: OrderDetailFacts[Field];
};

/** What one event sets on its order: its time's field, the time, and what came with it. */
export interface OrderFactUpdate {
  readonly time: OrderTimeField;
  readonly at: string;
  readonly details?: OrderDetailFacts;
}

/** The order field an event's time sets. */
export function timeFieldOf(type: OrderEventType): OrderTimeField {
  return ORDER_EVENTS[type].time;
}

/** What an event about an order sets on it, as the table declares. */
export function orderFactsOf(event: { readonly type: OrderEventType; readonly at: string }): OrderFactUpdate {
  const spec = ORDER_EVENTS[event.type] as OrderEventSpec<
    z.core.$ZodLooseShape,
    OrderTimeField,
    OrderDetailFacts
  >;
  const details = spec.facts?.(event as never);
  return details === undefined
    ? { time: spec.time, at: event.at }
    : { time: spec.time, at: event.at, details };
}
