import type * as z from "zod";
import type { TemplateValue } from "../config/settings.js";
import type { JourneyConfig } from "../config/shop-settings.js";
import type { Deadline } from "../engine/policy.js";
import type { RecipientPlace } from "../engine/quiet-hours.js";
import type { OrderEventType } from "../intake/order-events.js";
import type {
  CheckoutRecord,
  Consent,
  CustomerRecord,
  ExecutionState,
  MessageClass,
  Next,
  OrderRecord,
} from "../shared/model.js";
import type { LedgerEntry } from "../shared/ports.js";

/**
 * A journey is one module that declares everything about it: its settings, templates, triggers, stops,
 * attribution and rules. Dispatch, the state machines, the config, the template lint, the Aliyun
 * template codes and the report are all built from the registry of modules (`./index.ts`); none of them
 * names a journey.
 */

/** What a journey's rules see when they plan or check a step: facts loaded from the store at that moment. */
export interface JourneyContext<Settings = unknown> {
  /** The shop config; a journey reads its own settings from `settings`. */
  readonly config: JourneyConfig;
  /** This journey's settings (`config.journeys.<configKey>`). */
  readonly settings: Settings;
  readonly now: Date;
  readonly state: ExecutionState;
  readonly order: OrderRecord | undefined;
  readonly customer: CustomerRecord | undefined;
  /** The checkout an abandoned-checkout execution is about (`state.checkout`). */
  readonly checkout?: CheckoutRecord;
  /** Decisions (and in-flight claims) of this journey for this subject, by step. */
  readonly ledger: ReadonlyMap<string, LedgerEntry>;
  /** The customer the step is about: from the execution, or from the order once it is known. */
  readonly customerId: string | undefined;
  /** The number the step's message goes to (the journey's `recipient`, else the customer's). */
  readonly recipient: string | undefined;
  /** Where the recipient is: their quiet hours are judged in its zones, by its region's rules. */
  readonly place: RecipientPlace;
  /** When the customer or their phone number opted out of marketing, if they did. */
  readonly optedOutAt: string | undefined;
  /** The consent record that decides marketing to them (`customers/consent.ts`), if any. */
  readonly consent?: Consent;
  /** The customer's orders, loaded only by the rules that need them. */
  readonly customerOrders: () => Promise<OrderRecord[]>;
}

/** One message template of a journey. Its id is `<journey>.<key>`, as decision records carry it. */
export interface TemplateDeclaration {
  readonly messageClass: MessageClass;
  /** The `{variables}` the template may use; any other fails config validation. */
  readonly variables: readonly string[];
  /** Where operators set the text, under the journey's settings (e.g. `["templates", "first"]`). */
  readonly setting: readonly string[];
  /** The text shipped with shopcare (the settings' default). */
  readonly text: string;
}

/**
 * A template id that only names a record: a handoff tells the operators, so it has no text or setting.
 */
export interface RecordOnlyTemplate {
  readonly messageClass: MessageClass;
  readonly recordOnly: true;
}

/** A template the config declares: its id as records carry it, its class and its text. */
export interface DeclaredTemplate {
  readonly templateId: string;
  readonly messageClass: MessageClass;
  /** Its text, or its variants. */
  readonly text: TemplateValue;
}

/** Which paid orders a journey's sent messages are credited with in the effect report. */
export type Attribution =
  /** The order the message is about (the payment reminder): every message counts. */
  | "this-order"
  /** The customer's other orders: marketing messages count, notices do not. */
  | "other-orders"
  /** Nothing: notices about an order. */
  | "none";

export type { OrderEventType } from "../intake/order-events.js";

/** What starts a journey's executions. Each kind fixes the execution's subject and name. */
export type Trigger<Settings = unknown> =
  /** `order.created`: one execution per order, entered at the order's time. */
  | { readonly kind: "order-created" }
  /**
   * An event about an order: one execution per (order, stage). An event that overtook its order waits for
   * it (`unknownOrderGrace`), then is skipped `unknown-order`.
   */
  | {
      readonly kind: "order-event";
      readonly event: OrderEventType;
      /** Which of the journey's starts this is, when it has several (`ExecutionState.stage`). */
      readonly stage?: string;
      /** Whether the settings want this start. @default always */
      readonly when?: (settings: Settings) => boolean;
    }
  /** The customer's first paid order (once the order and its payment are both known): one per customer. */
  | { readonly kind: "first-paid-order" }
  /**
   * Every paid order starts a cycle for the customer, replacing the running one: the replaced execution is
   * stopped and its upcoming step recorded with `replacedReason`.
   */
  | { readonly kind: "paid-order-cycle"; readonly replacedReason: string }
  /** Every `refund.completed`, each refund once (by `refundId`, else by its time and amount). */
  | { readonly kind: "each-refund" }
  /**
   * The customer's birthday became known or changed (`order.customer.birthday`, `customer.updated`): one
   * execution per customer and celebration, its date the stage; the execution's `successor` carries on.
   */
  | { readonly kind: "customer-birthday" }
  /**
   * `checkout.updated`: one execution per checkout token (`state.checkout`), started by its first update;
   * an order carrying the token stops it, its upcoming step recorded `ordered`.
   */
  | { readonly kind: "checkout" };

/**
 * What stops a journey's running executions early, and the reason their upcoming step is recorded with. The
 * first of `events` about an order ends the executions the journey's per-order triggers started for it (its
 * `order-created` trigger's and its `order-event` triggers'); a later one finds them stopped already.
 */
export interface Stop {
  readonly events: readonly OrderEventType[];
  /** Only the executions of the journey's `order-event` trigger of this stage (logistics' stalled-parcel watch). */
  readonly stage?: string;
  readonly reason: string;
}

/**
 * The journey's verdict on a due step: send it, hand it to a person, skip it with a reason, or wait on
 * (`wait`: a fact that arrived while the step waited moved it later, e.g. customer service reminded the
 * buyer themselves). Windows, slots, caps and opt-out are not the journey's business: `policy.ts` applies them.
 */
export type Verdict = Extract<Next, { kind: "send" | "handoff" | "skip" | "wait" }>;

/** What a step's message is made of, besides its template. */
export interface MessageContent {
  readonly variables: Readonly<Record<string, string | number>>;
  /** A coupon to issue at send time through `coupon.issueUrl`; its code fills `{coupon}`. */
  readonly issueCoupon?: { readonly amount: number; readonly issueUrl: string };
}

/** An execution to start: its state, and the subject its name is made from (`executionName`). */
export interface Successor {
  readonly state: ExecutionState;
  readonly subject: string;
}

/** The operators' view of a handoff: a one-line summary and the facts behind it. */
export interface HandoffNote {
  readonly summary: string;
  readonly details?: Readonly<Record<string, string>>;
}

/** A journey module. `Id` and `Key` are literal types, so the registry types the shop config. */
export interface JourneyModule<
  Settings extends { enabled: boolean } = { enabled: boolean },
  Id extends string = string,
  Key extends string = string,
> {
  /** The journey id: execution names, ledger keys and decision records carry it. */
  readonly id: Id;
  /** Where its settings live in the shop config: `journeys.<configKey>`. */
  readonly configKey: Key;
  /** The settings schema, every field defaulted (`{}` is valid). */
  readonly settings: z.ZodType<Settings>;
  /** Its templates by key; the id is `<journey>.<key>`. */
  readonly templates: Readonly<Record<string, TemplateDeclaration | RecordOnlyTemplate>>;
  readonly triggers: readonly Trigger<NoInfer<Settings>>[];
  /** @default none */
  readonly stops?: readonly Stop[];
  /**
   * The longest value of each variable only this journey fills, for the lint's worst-case segment count
   * (the shared ones are in `vocabulary.ts`; `lint.variableLengths` overrides either).
   * @default none
   */
  readonly variableLengths?: Readonly<Record<string, number>>;
  readonly attribution: Attribution;
  /**
   * Its marketing goes out whenever the marketing window is open, not only at the marketing slots: a
   * campaign's operator chose its time (outside the window it still waits for the next slot). @default false
   */
  readonly atOwnTime?: boolean;
  /** Every step its plans can name, in order: what the console draws (a test holds decisions to it). */
  readonly steps: readonly string[];
  /** The id a step's exactly-once ledger is keyed by (the order, the customer, a cycle, a refund). */
  subjectId(state: ExecutionState): string;
  /** The next step and when it is due, or `done`. Pure: no I/O beyond the context. */
  plan(context: JourneyContext<NoInfer<Settings>>): Extract<Next, { kind: "wait" | "done" }>;
  /** At the due time: whether the step is still wanted. */
  check(context: JourneyContext<NoInfer<Settings>>, step: string): Verdict | Promise<Verdict>;
  /** After this instant a held step is skipped with the deadline's reason instead. @default none */
  deadline?(context: JourneyContext<NoInfer<Settings>>, step: string): Deadline | undefined;
  /**
   * A step whose template the config declares rather than the module (a campaign's): its id, class and
   * text. @default the module's `templates`, by the key `template` names
   */
  templateFor?(context: JourneyContext<NoInfer<Settings>>, step: string): DeclaredTemplate | undefined;
  /** The key of the step's template (skip, handoff and give-up records carry its id too). */
  template(context: JourneyContext<NoInfer<Settings>>, step: string): string | Promise<string>;
  /** The values of the step's template variables, and a coupon to issue. */
  content(context: JourneyContext<NoInfer<Settings>>, step: string): MessageContent | Promise<MessageContent>;
  /**
   * The number a step's message goes to. @default the customer's (a gift order's payer, when configured)
   */
  recipient?(context: JourneyContext<NoInfer<Settings>>): string | undefined;
  /**
   * The execution that carries on when this one ends (a yearly journey's next year, or a fresh execution
   * before this one outlives Step Functions' one-year limit): asked when a step wakes and when the plan is
   * `done`. When it names one, that execution is started and this one ends without deciding its step.
   * @default none
   */
  successor?(context: JourneyContext<NoInfer<Settings>>): Successor | undefined;
  /**
   * Where the step's tracked short link (`{link}`) leads, when the journey knows it per execution (a
   * checkout's recovery URL). @default the journey's `links.targets` entry
   */
  linkTarget?(context: JourneyContext<NoInfer<Settings>>, step: string): string | undefined;
  /**
   * What the operators are told about a handoff step.
   * @default the journey, step, order, amount and reason in one line
   */
  handoff?(context: JourneyContext<NoInfer<Settings>>, step: string): HandoffNote;
}

/** Declares a journey module, keeping its id and config key as literal types. */
export function defineJourney<
  Settings extends { enabled: boolean },
  const Id extends string,
  const Key extends string,
>(module: JourneyModule<Settings, Id, Key>): JourneyModule<Settings, Id, Key> {
  return module;
}

/** Any journey module, whatever its settings. */
// biome-ignore lint/suspicious/noExplicitAny: the registry holds modules of different settings types
export type AnyJourneyModule = JourneyModule<any, string, string>;
