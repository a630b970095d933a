import type { JourneyId } from "../shared/model.js";

/** The effect report's shape: what `buildReport` returns and the views (CLI table, HTML page, console) read. */

/** Work the AWS bill is made of, counted while the decisions were made (a simulation, or CloudWatch). */
export interface Workload {
  readonly transitions: number;
  readonly lambdaInvocations: number;
  readonly dynamoReads: number;
  readonly dynamoWrites: number;
}

/** The figures of one step, or of a whole journey. */
export interface Figures {
  readonly sent: number;
  readonly skipped: Readonly<Record<string, number>>;
  readonly handoffs: number;
  readonly segments: number;
  readonly smsCost: number;
  readonly converted: number;
  readonly revenue: number;
  /** Attributed revenue / SMS cost (the seeds' definition); undefined when nothing was spent. */
  readonly roi: number | undefined;
  /** Customers' replies (not opt-outs) to the messages counted here. */
  readonly replies: number;
  /** Sent messages that carried a tracked short link (`{link}`). */
  readonly linked: number;
  /** Of those, the messages whose link was followed at least once. */
  readonly clicked: number;
  /** Clicks counted on their links (a client's repeats within a minute count once). */
  readonly clicks: number;
  /** `clicked / linked`; undefined when no message carried a link. */
  readonly clickRate: number | undefined;
}

/** Conversion of the messaged and of the held-out entrants of one journey. */
export interface HoldoutLift {
  readonly messaged: number;
  readonly messagedConverted: number;
  readonly holdout: number;
  readonly holdoutConverted: number;
  /** Conversion of messaged minus conversion of holdout, in percentage points; undefined without a holdout. */
  readonly liftPoints: number | undefined;
  /** The lift's 95% interval in percentage points (Newcombe's), with it. */
  readonly liftInterval: { readonly low: number; readonly high: number } | undefined;
  /** Whether the two groups' conversion differs at 95% (the two-proportion test), with a holdout. */
  readonly significant: boolean | undefined;
  /**
   * Not yet significant: about how many entrants each group would need for a difference this size to be
   * (at 80% power).
   */
  readonly neededPerGroup: number | undefined;
}

export interface JourneyReport extends Figures {
  readonly journey: JourneyId;
  /** By customer group: prospect, new and returning, then each member level (with customers given). */
  readonly groups: readonly GroupFigures[];
  /** Credited orders by whole days from the message to the payment (index 0: within a day). */
  readonly conversionsByDay: readonly number[];
  readonly entered: number;
  /** Customers who got at least one message (a journey may send several per entry). */
  readonly reached: number;
  /** Whether its orders are credited to it at all (a notice's are not). */
  readonly attributed: boolean;
  readonly steps: readonly ({ readonly step: string; readonly variants?: VariantTest } & Figures)[];
  readonly lift: HoldoutLift;
}

/** One campaign's report. */
export interface CampaignReport extends Figures {
  readonly campaign: string;
  readonly segment: string;
  readonly at: string;
  /** Members the campaign decided a message for (sent, held out or skipped). */
  readonly members: number;
  readonly lift: HoldoutLift;
  readonly groups: readonly GroupFigures[];
  readonly conversionsByDay: readonly number[];
}

export interface EffectReport {
  readonly currency: string;
  readonly from: string | undefined;
  readonly to: string | undefined;
  readonly decisions: number;
  readonly journeys: readonly JourneyReport[];
  readonly totals: Figures;
  /** Messages sent per hour of the day, shop time (index 0–23). */
  readonly sendsByHour: readonly number[];
  /** Per shop-time day: messages sent, attributed orders and their revenue. */
  readonly days: readonly {
    readonly date: string;
    readonly sent: number;
    readonly converted: number;
    readonly revenue: number;
  }[];
  /** Each campaign of the config that decided anything: its figures, groups and conversion curve. */
  readonly campaigns: readonly CampaignReport[];
  /** The AWS cost of the same work at list prices, next to the SMS cost. */
  readonly aws:
    | { readonly workload: Workload; readonly cost: number; readonly shareOfSms: number | undefined }
    | undefined;
}

/** Which journey and step a paid order is credited to. */
export interface Attribution {
  readonly orderId: string;
  readonly journey: JourneyId;
  readonly step: string;
  readonly revenue: number;
  readonly paidAt: string;
  /** The customer, and when the message that earned the order was sent. */
  readonly customerId: string;
  readonly sentAt: string;
  /** Items in the order (quantities added up). */
  readonly items: number;
}

/** One variant of an A/B-tested template: its messages, how many earned an order, and how sure that is. */
export interface VariantFigures {
  readonly variant: string;
  readonly sent: number;
  /** Messages credited with at least one order. */
  readonly converted: number;
  readonly rate: number;
  /** The rate's 95% interval (Wilson's). */
  readonly interval: { readonly low: number; readonly high: number };
  readonly revenue: number;
  readonly smsCost: number;
  readonly roi: number | undefined;
  /** Its messages that carried a link, those whose link was followed, and the share. */
  readonly linked: number;
  readonly clicked: number;
  readonly clickRate: number | undefined;
}

/** A step's variants and the verdict: a winner only when the best beats the next at 95%. */
export interface VariantTest {
  readonly variants: readonly VariantFigures[];
  readonly winner: string | undefined;
  /** Not decided yet: about how many messages each variant would need at the rates seen (80% power). */
  readonly neededPerVariant: number | undefined;
}

/** Customers as the report groups them: by their paid orders before the message, and by member level. */
export type CustomerGroup = "prospect" | "new" | "returning";

/** What one group of customers did with one journey's (or campaign's) messages (the seeds' 000 table). */
export interface GroupFigures {
  /** `prospect`, `new` or `returning` (paid orders before the message: 0, 1, 2+), or `level:<name>`. */
  readonly group: string;
  readonly messages: number;
  /** Customers messaged. */
  readonly customers: number;
  /** Orders credited to the messages (交易量), their revenue (成交额) and revenue per order (客单价). */
  readonly orders: number;
  readonly revenue: number;
  readonly revenuePerOrder: number | undefined;
  /** Items in those orders per customer who bought (客产品数量). */
  readonly itemsPerBuyer: number | undefined;
  /** Orders per message (认购率). */
  readonly orderRate: number | undefined;
}
