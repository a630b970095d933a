import type { Clock } from "../clock.js";
import type { ShopConfig } from "../config.js";
import type { CustomerRecord, ExecutionState, JourneyId, MessageClass, Next, OrderRecord } from "../model.js";
import { type Deadline, earliestSendTime } from "../policy.js";
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
  /** The customer the step is about: from the execution, or from the order once it is known. */
  readonly customerId: string | undefined;
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
  /** The message for a step (its template id also names a skipped or handed-off step's record). */
  message(context: JourneyContext, step: string): StepMessage | Promise<StepMessage>;
  /**
   * What the operators are told about a handoff step.
   * @default the journey, step, order, amount and reason in one line
   */
  handoff?(context: JourneyContext, step: string): HandoffNote;
}

/** The operators' view of a handoff: a one-line summary and the facts behind it. */
export interface HandoffNote {
  readonly summary: string;
  readonly details?: Readonly<Record<string, string>>;
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
  const sendAt = earliestSendTime(due < context.now ? context.now : due, messageClass, context.config);
  return { kind: "wait", step, sendAt: sendAt.toISOString() };
}

/**
 * When the customer or their number opted out of marketing (the earlier of the two), read now. A recorded
 * opt-out always applies, whatever time it states: the one rule for the sending rules and the send step.
 */
export async function optOutOf(
  store: Pick<Store, "getPhoneOptOut">,
  customer: Pick<CustomerRecord, "phone" | "optedOutAt"> | undefined,
): Promise<string | undefined> {
  const phoneOptOut = customer?.phone ? await store.getPhoneOptOut(customer.phone) : undefined;
  const optOuts = [customer?.optedOutAt, phoneOptOut].filter((at): at is string => at !== undefined);
  return optOuts.sort((a, b) => Date.parse(a) - Date.parse(b))[0];
}

/** Loads the context the rules of `journey` need, at the clock's current time. */
export async function loadJourneyContext(
  deps: { readonly store: Store; readonly clock: Clock; readonly config: ShopConfig },
  journey: Journey,
  state: ExecutionState,
): Promise<JourneyContext> {
  const { store } = deps;
  // In parallel when the execution names its customer; otherwise the order does, once it is known.
  const [order, ledger, knownCustomer] = await Promise.all([
    state.orderId ? store.getOrder(state.orderId) : Promise.resolve(undefined),
    store.listLedger(journey.id, journey.subjectId(state)),
    state.customerId ? store.getCustomer(state.customerId) : Promise.resolve(undefined),
  ]);
  const customerId = state.customerId ?? order?.customerId;
  const customer = state.customerId || !customerId ? knownCustomer : await store.getCustomer(customerId);
  const optedOutAt = await optOutOf(store, customer);
  let customerOrders: Promise<OrderRecord[]> | undefined;
  return {
    config: deps.config,
    now: deps.clock.now(),
    state,
    order,
    customer,
    customerId,
    ledger,
    optedOutAt,
    customerOrders: () => {
      customerOrders ??= customerId ? store.listCustomerOrders(customerId) : Promise.resolve([]);
      return customerOrders;
    },
  };
}
