import type { PersonalData } from "../customers/forget.js";
import type { ShortLinks } from "../engine/links.js";
import type { OrderDetails, ShopEvent } from "../intake/events.js";
import type { OrderFactUpdate } from "../intake/order-events.js";
import type { ParcelSubscriptions } from "../parcels/subscriptions.js";
import type { CheckoutFacts } from "./checkout-ports.js";
import type {
  CampaignRuns,
  ConsentSubject,
  CustomerDirectory,
  NumberMarketing,
  PhoneOptOut,
} from "./customer-ports.js";
import type {
  Consent,
  CustomerRecord,
  DecisionRecord,
  Delivery,
  ExecutionState,
  JourneyId,
  OrderRecord,
  Purchase,
} from "./model.js";

export * from "./checkout-ports.js";
export * from "./customer-ports.js";
export { ReceiptTooEarlyError } from "./receipt-errors.js";

/** A step's ledger entry: a claim while the provider call is in flight, then the final decision. */
export type LedgerEntry =
  | { readonly status: "pending"; readonly claimedAt: string }
  | ({ readonly status: "final" } & DecisionRecord);

/**
 * A raw webhook as received (its signature checked), kept for audit and replay, with its outcome: `received`
 * (kept and queued by its first delivery, which may have failed: a later copy queues it again), `accepted`
 * (a later copy's enqueue succeeded: further copies are answered without queueing) or `rejected`.
 */
export interface ArchivedWebhook {
  readonly id: string;
  readonly source: string;
  readonly receivedAt: string;
  readonly body: string;
  readonly status: "received" | "accepted" | "rejected";
  readonly error?: string;
  /** Request details an adapter needs again on replay (Shopify's topic, Kuaidi100's `orderId`). */
  readonly meta?: Readonly<Record<string, string>>;
  /** How many events the body held. */
  readonly events?: number;
  /** Whose data the body holds (the customer its events name, else their order): forget finds it by this. */
  readonly whose?: { readonly kind: "CUSTOMER" | "ORDER" | "PHONE"; readonly id: string };
}

/** A message the local outbox provider "sent", or a handoff it raised. */
export interface OutboxEntry {
  readonly id: string;
  readonly at: string;
  readonly kind: "sms" | "handoff";
  readonly to?: string;
  readonly text: string;
  readonly messageClass?: string;
}

/** An event that kept failing dispatch, kept with its error for an operator to inspect and replay. */
export interface DeadLetter {
  readonly id: string;
  readonly at: string;
  readonly body: string;
  readonly error: string;
  /** The archived webhook the event came from. */
  readonly webhookId?: string;
}

/** A marketing send counted against the frequency caps. */
export interface CapReservation {
  readonly customerId: string;
  readonly phone?: string;
  /** The step's ledger key: reserving the same step again is not a second send. */
  readonly key: string;
  readonly at: Date;
  readonly perDay: number;
  readonly perWeek: number;
}

/** A customer's latest message that aims at a purchase (kept 30 days). */
export interface Touch {
  readonly journey: JourneyId;
  readonly step: string;
  readonly orderId?: string;
  readonly at: string;
  readonly atMs: number;
}

/** Where a provider's message id leads: the ledger entry of the step that sent it. */
export interface MessageRef {
  readonly journey: JourneyId;
  readonly subjectId: string;
  readonly step: string;
}

/** What the shop's events have told about its orders. */
export interface OrderFacts {
  recordOrderCreated(order: OrderDetails, at: string): Promise<OrderRecord>;
  /** Sets each fact at its earliest value, so replays and duplicates change nothing. */
  recordOrderFacts(orderId: string, facts: OrderFactUpdate): Promise<OrderRecord>;
  /** Adds one refund to the order's refunded amount, once per refund (`refundKey`). */
  recordRefund(
    orderId: string,
    refund: { readonly at: string; readonly amount: number; readonly refundId?: string },
  ): Promise<OrderRecord>;
  /** Notes a journey whose event came before the order, to start it when the order arrives. */
  markAwaitingOrder(orderId: string, journeyStage: string): Promise<void>;
  getOrder(orderId: string): Promise<OrderRecord | undefined>;
  listCustomerOrders(customerId: string): Promise<OrderRecord[]>;
  listOrders(): Promise<OrderRecord[]>;
  indexTracking(trackingNo: string, orderId: string): Promise<void>;
  findOrderByTracking(trackingNo: string): Promise<string | undefined>;
}

/** Customers' contact details and consent, and opt-outs by number. */
export interface CustomerFacts {
  recordCustomerContact(
    contact: Omit<CustomerRecord, "declinedAt" | "optedOutAt">,
    at: string,
  ): Promise<void>;
  /** Sets the birthday unless a later event set one; says the one it replaced and whether it changed. */
  recordCustomerBirthday(
    customerId: string,
    birthday: string,
    at: string,
  ): Promise<{ readonly previous?: string; readonly changed: boolean }>;
  /** Notes that the celebrations of `birthday` were started (dispatch starts them until then). */
  markBirthdayArmed(customerId: string, birthday: string): Promise<void>;
  recordCustomerFlag(
    customerId: string,
    flag: "declinedAt" | "optedOutAt" | "autoReviewedAt",
    at: string,
  ): Promise<void>;
  getCustomer(customerId: string): Promise<CustomerRecord | undefined>;
  /**
   * Keeps a paid order on its customer's profile, and its refunds: writing the same purchase again (a
   * replay, a later refund) changes only what grew, so duplicates and out-of-order events count once.
   */
  recordPurchase(
    customerId: string,
    purchase: Purchase,
    options?: {
      readonly keepWhole?: number;
      /** The order's `paidOrderKey`: kept as the profile's `firstPaid` when it is the earliest. */
      readonly firstPaidKey?: string;
    },
  ): Promise<void>;
  /**
   * Opts a number out of marketing from `at` (the earliest opt-out stands) and keeps this opt-out in the
   * number's history, with the reply that made it one when a reply did.
   */
  recordPhoneOptOut(phone: string, at: string, source: string, reply?: string): Promise<void>;
  getPhoneOptOut(phone: string): Promise<string | undefined>;
  /** Every opt-out of a number, oldest first: what explain and the console show. */
  listPhoneOptOuts(phone: string): Promise<PhoneOptOut[]>;
  /** Keeps a consent record in its subject's history (once) and as its latest unless a later one is kept. */
  recordConsent(subject: ConsentSubject, consent: Consent): Promise<void>;
  /** A customer's or a number's consent history, oldest first. */
  listConsents(subject: ConsentSubject): Promise<Consent[]>;
  /** What a number's own records say of marketing to it: its opt-out and its latest consent. */
  getNumberMarketing(phone: string): Promise<NumberMarketing | undefined>;
}

/** The send ledger: each step's claim and final decision, exactly once, and what receipts settle. */
export interface Ledger {
  listLedger(journey: JourneyId, subjectId: string): Promise<Map<string, LedgerEntry>>;
  /** Claims the step before its provider call: false if it is claimed or decided already. */
  claimStep(journey: JourneyId, subjectId: string, step: string, at: string): Promise<boolean>;
  releaseClaim(journey: JourneyId, subjectId: string, step: string): Promise<void>;
  /** Writes the step's one final decision: false if it had one (or, unclaimed, a claim) already. */
  recordDecision(
    subjectId: string,
    decision: DecisionRecord,
    claimed: boolean,
    extra?: { readonly provider?: string; readonly messageId?: string; readonly error?: string },
  ): Promise<boolean>;
  listDecisions(): Promise<DecisionRecord[]>;
  /** Starts a customer's cycle at a paid order, replacing the running one (if it is older). */
  startWinbackCycle(
    customerId: string,
    cycle: { readonly orderId: string; readonly paidAt: string },
  ): Promise<{ started: boolean; replaced?: { orderId: string; paidAt: string } }>;
  putMessageRef(
    provider: string,
    sent: { readonly messageId?: string; readonly reference: string },
    ref: MessageRef,
    at: Date,
  ): Promise<void>;
  /** Settles a sent step's delivery from its receipt. @throws {ReceiptTooEarlyError} while its claim is pending */
  recordDelivery(
    receipt: { readonly provider: string; readonly messageId: string; readonly reference?: string },
    delivery: Delivery,
    at: string,
  ): Promise<boolean>;
}

/** The shop-wide limits a send counts against: the marketing caps and the per-second budgets. */
export interface SendLimits {
  reserveMarketingSend(reservation: CapReservation): Promise<boolean>;
  /** Whether a send would fit under the caps now, reserving nothing (what `explain` says of a pending step). */
  marketingSendFits(reservation: CapReservation): Promise<boolean>;
  takeRateTicket(
    budget: string,
    second: number,
    offset: number,
    limit: number,
  ): Promise<number | "full" | "retry">;
  /** Reserves the next free slot of `slotMs` at or after `now`; returns its start (epoch ms). */
  reserveRateSlot(budget: string, now: number, slotMs: number): Promise<number>;
}

/** Raw webhooks as received, and the events that kept failing dispatch. */
export interface WebhookArchive {
  /** Keeps a delivery; returns the earlier copy if one was kept. */
  archiveWebhook(webhook: ArchivedWebhook): Promise<ArchivedWebhook | undefined>;
  finishWebhook(
    id: string,
    outcome: { status: ArchivedWebhook["status"]; error?: string; events?: number },
  ): Promise<void>;
  listWebhooks(from: Date, to: Date): Promise<ArchivedWebhook[]>;
  getWebhook(id: string): Promise<ArchivedWebhook | undefined>;
  putDeadLetter(letter: DeadLetter): Promise<void>;
  listDeadLetters(): Promise<DeadLetter[]>;
  deleteDeadLetter(letter: Pick<DeadLetter, "id" | "at">): Promise<void>;
}

/** Each customer's last message that aims at a purchase: what a payment's conversion is credited to. */
export interface Touches {
  recordTouch(customerId: string, touch: Touch): Promise<void>;
  getTouch(customerId: string): Promise<Touch | undefined>;
  /** Remembers the latest message sent to a number, so a reply from it finds its context. */
  recordLastSend(phone: string, send: LastSend): Promise<void>;
  getLastSend(phone: string): Promise<LastSend | undefined>;
}

/** The latest message shopcare sent a number: whom, from which journey and step, about which order. */
export interface LastSend extends Touch {
  readonly customerId?: string;
}

/** A customer's reply that is not an opt-out keyword: kept, and handed to a person. */
export interface StoredReply {
  /** Stable for one reply (its number, time and text), so a provider's re-push is the same reply. */
  readonly id: string;
  readonly at: string;
  readonly from: string;
  readonly text: string;
  readonly source: string;
  readonly customerId?: string;
  /** The message it answers, if shopcare sent that number one. */
  readonly inReplyTo?: LastSend;
  /** It reads like an opt-out without being a keyword: a person confirms. */
  readonly likelyOptOut: boolean;
  /** Set once the operators were told. */
  readonly handedOffAt?: string;
}

/** An execution started or stopped for a customer, as `explain` lists it. */
export interface ExecutionEntry {
  readonly customerId: string;
  readonly journey: JourneyId;
  /** The execution's name (`executionName`): journey and subject. */
  readonly name: string;
  /** The order the execution is about, if any. */
  readonly orderId?: string;
  readonly action: "started" | "stopped";
  readonly at: string;
}

/** Which executions were started and stopped for each customer. */
export interface Executions {
  /** Notes a start or stop; noting the same one again keeps the first time. */
  recordExecution(entry: ExecutionEntry): Promise<void>;
  listExecutions(customerId: string): Promise<ExecutionEntry[]>;
}

/** Replies kept for the operators. */
export interface Replies {
  /** Keeps a reply once. @returns the reply as stored (an earlier copy if it was pushed before) */
  recordReply(reply: StoredReply): Promise<StoredReply>;
  markReplyHandedOff(id: string, at: string): Promise<void>;
  /** Every kept reply, oldest first. */
  listReplies(): Promise<StoredReply[]>;
}

/** What the local outbox provider "sent". */
export interface Outbox {
  putOutbox(entry: OutboxEntry): Promise<void>;
  listOutbox(): Promise<OutboxEntry[]>;
}

/** What a journey's context is loaded from: the order, the customer, their opt-out and the ledger. */
export type JourneyReads = Pick<OrderFacts, "getOrder" | "listCustomerOrders"> &
  Pick<CustomerFacts, "getCustomer" | "getNumberMarketing"> &
  Pick<CheckoutFacts, "getCheckout"> &
  Pick<Ledger, "listLedger">;

/** What the journey steps read and write: facts, the ledger, the caps and touches. */
export type StepRepositories = JourneyReads &
  Pick<Ledger, "claimStep" | "releaseClaim" | "recordDecision" | "putMessageRef"> &
  Pick<SendLimits, "reserveMarketingSend"> &
  Pick<Touches, "recordTouch" | "recordLastSend"> &
  Pick<Executions, "recordExecution"> &
  Pick<ShortLinks, "putLink">;

/** What dispatch reads and writes (facts, executions, the touch a payment converts), read once per event. */
export type DispatchRepositories = StepRepositories &
  Pick<
    OrderFacts,
    "recordOrderCreated" | "recordOrderFacts" | "recordRefund" | "markAwaitingOrder" | "indexTracking"
  > &
  Pick<
    CustomerFacts,
    | "recordCustomerContact"
    | "recordCustomerFlag"
    | "recordPhoneOptOut"
    | "recordCustomerBirthday"
    | "markBirthdayArmed"
    | "recordPurchase"
    | "recordConsent"
  > &
  Pick<Ledger, "startWinbackCycle"> &
  Pick<CheckoutFacts, "recordCheckout" | "markCheckoutOrdered"> &
  ParcelSubscriptions &
  Pick<Touches, "getTouch"> &
  PersonalData &
  CustomerDirectory & {
    /** The same repositories reading each item at most once until they write it. */
    withReadCache(): DispatchRepositories;
  };

/** What explain reads of a customer, an order or a number: facts, decisions, executions, replies, clicks. */
export type ExplainRepositories = JourneyReads &
  Pick<CustomerFacts, "listPhoneOptOuts" | "listConsents"> &
  Pick<Ledger, "listDecisions"> &
  Pick<SendLimits, "marketingSendFits"> &
  Pick<Executions, "listExecutions"> &
  Pick<Replies, "listReplies"> &
  Pick<ShortLinks, "listClickedLinks">;

/** Every repository, as one adapter provides them. */
export interface Repositories
  extends OrderFacts,
    CheckoutFacts,
    ParcelSubscriptions,
    CustomerFacts,
    Ledger,
    SendLimits,
    WebhookArchive,
    Touches,
    Replies,
    Executions,
    CustomerDirectory,
    CampaignRuns,
    ShortLinks,
    Outbox,
    PersonalData {
  /**
   * The same repositories reading each item at most once until they write it (one dispatch invocation
   * plans several journeys on the same facts).
   */
  withReadCache(): Repositories;
}

/** How an event is queued again when dispatch could not take it yet (its rate budget was spent). */
export interface Requeue {
  /** Seconds before the message is delivered (SQS allows at most 900). */
  readonly delaySeconds: number;
  /** How often this event was requeued before, counted for the logs. */
  readonly requeues: number;
}

/** Where accepted events go for dispatch: SQS on AWS, the local queue locally. */
export interface EventQueue {
  enqueue(events: readonly ShopEvent[], webhookId: string, requeue?: Requeue): Promise<void>;
}

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
