// zod/mini: the Lambda bundles import these schemas, and the mini API is tree-shaken to what they use.
import * as z from "zod/mini";
import type { OrderEventFacts } from "../intake/order-events.js";

/**
 * A journey's id (`payment-reminder`, `gift-30`…), as execution names, ledger keys and decision records
 * carry it. The registry of journey modules (`journeys/index.ts`, `JOURNEY_IDS`) says which exist; an id
 * is checked where its module is looked up (`journeyModule`), so this file (which the ingest bundle loads)
 * does not pull in every journey.
 */
export type JourneyId = string;

const JourneyIdSchema = z.string().check(z.minLength(1));

/**
 * Tag that names the journey a state machine runs: the stack sets it, the local engine finds the journeys
 * by it (here rather than in `infra/`, so the local engine loads without aws-cdk-lib).
 */
export const JOURNEY_TAG = "shopcare:journey";

/** Notices are never capped; marketing is capped, slotted and carries the opt-out line. */
export type MessageClass = "notice" | "marketing";

/**
 * An order as the store keeps it: its details from `order.created`, and the facts its events set (their
 * times and what came with them, as `intake/order-events.ts` declares).
 */
export interface OrderRecord extends OrderEventFacts {
  readonly orderId: string;
  readonly customerId?: string;
  readonly createdAt?: string;
  readonly amount?: number;
  readonly currency?: string;
  readonly paymentMethod?: "online" | "cod";
  readonly gift?: boolean;
  readonly items?: readonly Record<string, unknown>[];
  /** The payer's number, when the order says who paid (`order.payer.phone`). */
  readonly payerPhone?: string;
  /** The order's refunds added up (an order can be refunded in parts). */
  readonly refundedAmount?: number;
  /** The refunds counted in `refundedAmount`, so none is counted twice. */
  readonly refundIds?: ReadonlySet<string>;
  /**
   * Journeys whose event came before the order itself (`<journey>/<stage>`): started when the order
   * arrives. Webhooks from the tracking service often overtake the shop platform's.
   */
  readonly awaitingOrder?: ReadonlySet<string>;
}

/**
 * A checkout as the store keeps it (`checkout.updated`): the latest update's contents, the first and latest
 * times it was seen, and whether an order completed it.
 */
export interface CheckoutRecord {
  readonly token: string;
  readonly customerId?: string;
  readonly amount?: number;
  readonly currency?: string;
  /** Items in it (quantities added up). */
  readonly items?: number;
  /** Its recovery URL. */
  readonly url?: string;
  /** Its first update's time. */
  readonly createdAt?: string;
  /** Its latest update's time: the reminder is due `journeys.checkout.after` later. */
  readonly updatedAt?: string;
  /** When the platform says it was completed. */
  readonly completedAt?: string;
  /** The order that carried its token (`order.checkoutToken`), and that order's time. */
  readonly orderId?: string;
  readonly orderedAt?: string;
}

/**
 * One consent to marketing by SMS, or its withdrawal: what, where it was collected, and when. An opt-out is
 * one (`unsubscribed`, its source the way it came: `sms-reply`, `event`, …).
 */
export interface Consent {
  readonly state: "subscribed" | "unsubscribed";
  readonly source: string;
  readonly at: string;
}

/** The source of consent records shopcare itself writes: never enough to re-subscribe after an opt-out. */
export const SHOPCARE_SOURCE = "shopcare";

/** A customer's contact details and consent, as the store keeps them. */
export interface CustomerRecord {
  readonly customerId: string;
  readonly phone?: string;
  readonly name?: string;
  readonly phoneExpiresAt?: string;
  readonly declinedAt?: string;
  readonly optedOutAt?: string;
  /** Their latest consent record by time (the history is kept beside it: `listConsents`). */
  readonly consent?: Consent;
  /** `"MM-DD"`, from the latest event that gave one. */
  readonly birthday?: string;
  /** The birthday whose celebration executions were started (`birthday` once dispatch has started them). */
  readonly birthdayArmed?: string;
  /** When the customer first left an automatic (platform default) review: they get no review requests. */
  readonly autoReviewedAt?: string;
  /** Where their latest order shipped (`order.address`). */
  readonly province?: string;
  readonly city?: string;
  /** Its region as ISO 3166-2 writes it (`US-FL`): whose sending rules apply to them. */
  readonly region?: string;
  /** Their own IANA time zone (`customer.timeZone`): their quiet hours are judged in it. */
  readonly timeZone?: string;
  /** Their first order's time (paid or not): a customer who ordered and never paid is a prospect. */
  readonly firstOrderedAt?: string;
  /** Their paid orders, as dispatch summed them up (the customer profile is derived from these). */
  readonly purchases?: readonly Purchase[];
  /** The highest spend net of refunds they ever reached: member levels are never downgraded. */
  readonly peakSpend?: number;
  /**
   * Their older paid orders, rolled into totals: the profile item keeps the last `profiles.keepPurchases`
   * whole (DynamoDB's 400 KB item limit; a reseller's thousands of orders would reach it).
   */
  readonly rolledUp?: PurchaseTotals;
  /** The `<paidAt>#<orderId>` of the newest purchase rolled up: a purchase at or before it is counted. */
  readonly rolledUpTo?: string;
  /**
   * Their earliest paid order's `paidOrderKey` (`journeys/vocabulary.ts`): whether a payment is the
   * customer's first is read here instead of from every order they placed.
   */
  readonly firstPaid?: string;
}

/** Paid orders that count (not refunded in full), added up. */
export interface PurchaseTotals {
  readonly orders: number;
  /** Net of refunds. */
  readonly spend: number;
  readonly items: number;
  readonly categories: readonly string[];
  readonly firstPaidAt?: string;
  readonly lastPaidAt?: string;
}

/** One paid order, as the customer's profile keeps it. */
export interface Purchase {
  readonly orderId: string;
  readonly paidAt: string;
  readonly amount: number;
  /** Its refunds added up. */
  readonly refunded: number;
  /** Items bought (quantities added up). */
  readonly items: number;
  readonly categories: readonly string[];
}

/** The final outcome of a planned step. */
export type Outcome = "sent" | "skipped" | "handoff";

/**
 * What the provider's delivery receipt said about a sent message. `unknown` also marks a send whose
 * outcome was ambiguous (a timeout after the request left): it is not resent, the receipt settles it.
 */
export type Delivery = "delivered" | "failed" | "unknown";

/**
 * One decision record (docs/design.md): every planned step ends in exactly one. `at` is in the shop's time zone.
 * Field order matters for readability of `simulate` output, so records are built in this order.
 */
export interface DecisionRecord {
  readonly at: string;
  readonly journey: JourneyId;
  readonly step: string;
  readonly orderId?: string;
  /** Absent only when the order never became known (`unknown-order`). */
  readonly customerId?: string;
  readonly to?: string;
  readonly outcome: Outcome;
  readonly reason?: string;
  readonly template: string;
  /** Which of the template's variants the message was (an A/B-tested template's). */
  readonly variant?: string;
  /** The code of the tracked short link the message carried (`{link}`): its clicks join the decision. */
  readonly link?: string;
  readonly text?: string;
  readonly segments?: number;
  readonly delivery?: Delivery;
  /** A short hash of the effective shop config that decided it (`configVersion`): which config did what. */
  readonly configVersion?: string;
}

const DECISION_FIELDS = [
  "at",
  "journey",
  "step",
  "orderId",
  "customerId",
  "to",
  "outcome",
  "reason",
  "template",
  "variant",
  "link",
  "text",
  "segments",
  "delivery",
  "configVersion",
] as const satisfies readonly (keyof DecisionRecord)[];

/** A decision record with its fields in docs/design.md's order and nothing else (storage keys dropped). */
export function canonicalDecision(fields: Readonly<Record<string, unknown>>): DecisionRecord {
  const record: Record<string, unknown> = {};
  for (const field of DECISION_FIELDS) if (fields[field] !== undefined) record[field] = fields[field];
  return record as unknown as DecisionRecord;
}

/**
 * The execution's state as it flows through the state machine. It carries ids only: phone numbers
 * and names stay in DynamoDB because AWS keeps execution input and history for 90 days.
 */
const isoTime = z.iso.datetime({ offset: true });

export const NextSchema = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("done") }),
  z.object({ kind: z.literal("wait"), step: z.string(), sendAt: isoTime }),
  z.object({
    kind: z.literal("hold"),
    step: z.string(),
    sendAt: isoTime,
    /** When the step was first due; a capped message is held at most `caps.maxHold` past it. */
    dueAt: z.optional(isoTime),
    /** A send-rate slot reserved for this step at `sendAt`: the step sends in it without reserving again. */
    rateSlot: z.optional(isoTime),
  }),
  z.object({
    kind: z.literal("send"),
    step: z.string(),
    /** When the step was first due (kept if the send has to be held for its rate slot). */
    dueAt: z.optional(isoTime),
    /** The send-rate slot reserved for this step by an earlier hold. */
    rateSlot: z.optional(isoTime),
  }),
  z.object({ kind: z.literal("handoff"), step: z.string(), reason: z.string() }),
  z.object({ kind: z.literal("skip"), step: z.string(), reason: z.string() }),
  z.object({
    kind: z.literal("delivered"),
    step: z.string(),
    outcome: z.enum(["sent", "skipped", "handoff"]),
  }),
]);
export type Next = z.infer<typeof NextSchema>;

export const ExecutionStateSchema = z.object({
  journey: JourneyIdSchema,
  orderId: z.optional(z.string()),
  /** Absent when an order-care event came before its order: the order names the customer. */
  customerId: z.optional(z.string()),
  enteredAt: isoTime,
  /**
   * Which event an order-care execution answers, when a journey has several (arrived: `arrived-city`,
   * `out-for-delivery`, `delivered`; review-care: `request`, `reply`).
   */
  stage: z.optional(z.string()),
  /** The checkout an abandoned-checkout execution is about (its token). */
  checkout: z.optional(z.string()),
  /** An amount the starting event named that the order's facts do not keep per event (a refund's). */
  amount: z.optional(z.number()),
  /**
   * The event came before its order. This execution only keeps the grace period: if the order has not
   * arrived by then, its step is skipped `unknown-order`; if it has, the execution started for the order
   * decides and this one ends.
   */
  awaitingOrder: z.optional(z.literal(true)),
  next: z.optional(NextSchema),
  /** Set by the state machine's Catch when the Step task kept failing: the step is given up with a reason. */
  failure: z.optional(z.object({ Error: z.string(), Cause: z.optional(z.string()) })),
});
/** Input of every task of a journey state machine. */
export type ExecutionState = z.infer<typeof ExecutionStateSchema>;
