import type { ClickedLink } from "../engine/links.js";
import type { ShopEvent } from "../intake/events.js";
import type { Consent, DecisionRecord } from "../shared/model.js";
import type { ExecutionEntry, PhoneOptOut, StoredReply } from "../shared/ports.js";

/** What `shopcare explain` shows: a subject, the events received about it, and the timeline's entries. */

/** Whom to explain. */
export type ExplainSubject =
  | { readonly customer: string }
  | { readonly order: string }
  | { readonly phone: string };

/** An event as it was received: where from, and under which webhook id. */
export interface ReceivedEvent {
  readonly event: ShopEvent;
  readonly source: string;
  readonly webhookId: string;
}

/** One line of a timeline. */
export type TimelineEntry =
  | {
      readonly at: string;
      readonly kind: "event";
      readonly type: string;
      readonly source: string;
      readonly webhookId: string;
      readonly orderId?: string;
    }
  | ({ readonly kind: "decision" } & DecisionRecord)
  | {
      readonly at: string;
      readonly kind: "reply";
      readonly from: string;
      readonly text: string;
      readonly likelyOptOut: boolean;
      readonly inReplyTo?: string;
    }
  | {
      /** An opt-out of the subject's number: by a reply (its text), an event, or a provider's list. */
      readonly at: string;
      readonly kind: "opt-out";
      readonly from: string;
      readonly source: string;
      readonly reply?: string;
    }
  | {
      /** A consent record of the subject or of their number: given or withdrawn, and where. */
      readonly at: string;
      readonly kind: "consent";
      readonly state: "subscribed" | "unsubscribed";
      readonly source: string;
      /** Whose record: the customer's id, or their number (masked unless shown). */
      readonly of: string;
    }
  | {
      readonly at: string;
      readonly kind: "execution";
      readonly journey: string;
      readonly name: string;
      /** `stopped` also when the stop found it ended already (Step Functions changes nothing then). */
      readonly action: "started" | "stopped";
    }
  | {
      /** The link's first click; `clicks` counts them all (a client's repeats within a minute once). */
      readonly at: string;
      readonly kind: "click";
      readonly journey: string;
      readonly step: string;
      readonly orderId?: string;
      readonly variant?: string;
      readonly clicks: number;
      readonly lastClickAt: string;
      readonly target: string;
    }
  | {
      readonly at: string;
      readonly kind: "pending";
      readonly journey: string;
      readonly step: string;
      readonly orderId?: string;
      /** Why it is due then: `delay`, `notice window`, `next marketing slot` or `deadline`. */
      readonly rule: string;
    };

/** What a timeline is built from. */
export interface TimelineFacts {
  readonly customerIds: ReadonlySet<string>;
  readonly orderIds: ReadonlySet<string>;
  readonly phones: ReadonlySet<string>;
  readonly events: readonly ReceivedEvent[];
  readonly decisions: readonly DecisionRecord[];
  readonly replies: readonly StoredReply[];
  /** The opt-outs of the subject's numbers. @default none */
  readonly optOuts?: readonly PhoneOptOut[];
  /** The consent histories of the subject's customers and numbers. @default none */
  readonly consents?: readonly (Consent & { readonly customerId?: string; readonly phone?: string })[];
  /** The short links followed (any customer's: the timeline keeps the subject's). @default none */
  readonly clicks?: readonly ClickedLink[];
  readonly executions: readonly ExecutionEntry[];
  readonly pending: readonly Extract<TimelineEntry, { kind: "pending" }>[];
}
