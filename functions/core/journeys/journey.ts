import type { Clock } from "../clock.js";
import type { ShopConfig } from "../config.js";
import type { CustomerRecord, ExecutionState, JourneyId, MessageClass, Next, OrderRecord } from "../model.js";
import type { Deadline } from "../policy.js";
import type { LedgerEntry, Store } from "../store.js";

/** What a journey's rules see when they plan or check a step: facts loaded from the store at that moment. */
export interface JourneyContext {
  readonly config: ShopConfig;
  readonly now: Date;
  readonly state: ExecutionState;
  readonly order: OrderRecord | undefined;
  readonly customer: CustomerRecord | undefined;
  /** Decisions (and in-flight claims) of this journey for this subject, by step. */
  readonly ledger: ReadonlyMap<string, LedgerEntry>;
  /** When the customer or their phone number opted out of marketing, if they did. */
  readonly optedOutAt: string | undefined;
  /** The customer's orders, loaded only by the rules that need them. */
  readonly customerOrders: () => Promise<OrderRecord[]>;
}

/** The message a step sends: which template, and the values for its variables. */
export interface StepMessage {
  readonly templateId: string;
  readonly template: string;
  readonly messageClass: MessageClass;
  readonly variables: Readonly<Record<string, string | number>>;
  /** A coupon to issue at send time through `coupon.issueUrl`; its code fills `{coupon}`. */
  readonly issueCoupon?: { readonly amount: number; readonly issueUrl: string };
}

/**
 * A journey's rules. The state machine is the same loop for every journey
 * (plan → wait → check → deliver); the journey decides what the steps are, when they are due and
 * whether they go out.
 */
export interface Journey {
  readonly id: JourneyId;
  /** The id a step's exactly-once ledger is keyed by: the order, or the customer for lifecycle journeys. */
  subjectId(state: ExecutionState): string;
  /** The next step and when it is due, or `done`. Pure: no I/O beyond the context. */
  plan(context: JourneyContext): Extract<Next, { kind: "wait" | "done" }>;
  /**
   * At the due time: whether the step is still wanted (send, hand off to a person, or skip with a
   * reason). Windows, slots, caps and opt-out are not the journey's business: `policy.ts` applies them.
   */
  check(context: JourneyContext, step: string): Promise<Extract<Next, { kind: "send" | "handoff" | "skip" }>>;
  /** After this instant a held step is skipped with the deadline's reason instead. @default none */
  deadline?(context: JourneyContext, step: string): Deadline | undefined;
  /** The message for a step that goes out. */
  message(context: JourneyContext, step: string): StepMessage;
}

/** Loads the context the rules of `journey` need, at the clock's current time. */
export async function loadJourneyContext(
  deps: { readonly store: Store; readonly clock: Clock; readonly config: ShopConfig },
  journey: Journey,
  state: ExecutionState,
): Promise<JourneyContext> {
  const { store } = deps;
  const [order, customer, ledger] = await Promise.all([
    state.orderId ? store.getOrder(state.orderId) : Promise.resolve(undefined),
    store.getCustomer(state.customerId),
    store.listLedger(journey.id, journey.subjectId(state)),
  ]);
  const phoneOptOut = customer?.phone ? await store.getPhoneOptOut(customer.phone) : undefined;
  const optOuts = [customer?.optedOutAt, phoneOptOut].filter((at): at is string => at !== undefined);
  const optedOutAt = optOuts.sort((a, b) => Date.parse(a) - Date.parse(b))[0];
  let customerOrders: Promise<OrderRecord[]> | undefined;
  return {
    config: deps.config,
    now: deps.clock.now(),
    state,
    order,
    customer,
    ledger,
    optedOutAt,
    customerOrders: () => {
      customerOrders ??= store.listCustomerOrders(state.customerId);
      return customerOrders;
    },
  };
}
