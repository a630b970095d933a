import { CAMPAIGN_JOURNEY } from "../config/campaign-settings.js";
import type { ShopConfig } from "../config/config.js";
import { aimsAtPurchase, converts } from "../engine/attribution.js";
import type { ClickedLink } from "../engine/links.js";
import { JOURNEY_IDS, journeyModule } from "../journeys/index.js";
import type { DecisionRecord, JourneyId, OrderRecord } from "../shared/model.js";
import type { StoredReply } from "../shared/ports.js";
import { DAY_MS, formatInZone } from "../shared/time.js";
import { differenceInterval, groupSizeToDecide, twoProportionP, wilsonInterval } from "./stats.js";

/**
 * Effect reports (docs/design.md "Effect"): what each journey sent, skipped and cost, which paid orders it
 * earned (last touch within its attribution window, each order once), and — with a holdout — how much
 * more the messaged customers bought than the held-out ones. Pure: it reads decisions and orders.
 */

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

/** Credits each paid order to the last message that could have earned it. */
export function attribute(
  config: ShopConfig,
  decisions: readonly DecisionRecord[],
  orders: readonly OrderRecord[],
): Attribution[] {
  const sendsByCustomer = new Map<string, DecisionRecord[]>();
  for (const decision of decisions) {
    if (decision.outcome !== "sent" || !decision.customerId || !aimsAtPurchase(config, decision)) continue;
    const list = sendsByCustomer.get(decision.customerId) ?? [];
    list.push(decision);
    sendsByCustomer.set(decision.customerId, list);
  }
  const attributions: Attribution[] = [];
  for (const order of orders) {
    if (order.paidAt === undefined || order.customerId === undefined) continue;
    const touches = (sendsByCustomer.get(order.customerId) ?? []).filter((send) =>
      converts(config, send, order),
    );
    const last = touches.sort((a, b) => Date.parse(b.at) - Date.parse(a.at))[0];
    if (last) {
      attributions.push({
        orderId: order.orderId,
        journey: last.journey,
        step: last.step,
        revenue: order.amount ?? 0,
        paidAt: order.paidAt,
        customerId: order.customerId,
        sentAt: last.at,
        items: (order.items ?? []).reduce((sum, item) => sum + (Number(item.quantity) || 1), 0),
      });
    }
  }
  return attributions;
}

/** Clicks counted per link code, of the links followed at least once. */
type ClicksByCode = ReadonlyMap<string, number>;

/** The link figures of some sent messages: how many carried a link, were clicked, and the clicks. */
function linkFigures(
  decisions: readonly DecisionRecord[],
  clicks: ClicksByCode,
): Pick<Figures, "linked" | "clicked" | "clicks" | "clickRate"> {
  let linked = 0;
  let clicked = 0;
  let counted = 0;
  for (const decision of decisions) {
    if (decision.outcome !== "sent" || decision.link === undefined) continue;
    linked += 1;
    const mine = clicks.get(decision.link) ?? 0;
    if (mine > 0) clicked += 1;
    counted += mine;
  }
  return { linked, clicked, clicks: counted, clickRate: linked > 0 ? clicked / linked : undefined };
}

function figures(
  config: ShopConfig,
  decisions: readonly DecisionRecord[],
  attributions: readonly Attribution[],
  replies: readonly StoredReply[],
  clicks: ClicksByCode,
): Figures {
  const skipped: Record<string, number> = {};
  let sent = 0;
  let handoffs = 0;
  let segments = 0;
  for (const decision of decisions) {
    if (decision.outcome === "sent") {
      sent += 1;
      segments += decision.segments ?? 0;
    } else if (decision.outcome === "handoff") handoffs += 1;
    else skipped[decision.reason ?? "?"] = (skipped[decision.reason ?? "?"] ?? 0) + 1;
  }
  // Exact figures: the views round for display only (a cost rounded to cents made one 0.045 send's ROI
  // 1600 instead of 1777.8).
  const smsCost = segments * config.sms.pricePerSegment;
  const revenue = attributions.reduce((sum, a) => sum + a.revenue, 0);
  return {
    sent,
    skipped,
    handoffs,
    segments,
    smsCost,
    converted: attributions.length,
    revenue,
    roi: smsCost > 0 ? revenue / smsCost : undefined,
    replies: replies.length,
    ...linkFigures(decisions, clicks),
  };
}

/** Each customer's paid orders, in payment order, for the group a message found them in. */
function paidTimesByCustomer(orders: readonly OrderRecord[]): Map<string, number[]> {
  const times = new Map<string, number[]>();
  for (const order of orders) {
    if (!order.customerId || order.paidAt === undefined) continue;
    const list = times.get(order.customerId) ?? [];
    list.push(Date.parse(order.paidAt));
    times.set(order.customerId, list);
  }
  for (const list of times.values()) list.sort((a, b) => a - b);
  return times;
}

/** The group a customer was in when a message went out: their paid orders before it. */
function groupAt(paidTimes: readonly number[] | undefined, at: string): CustomerGroup {
  const atMs = Date.parse(at);
  const before = (paidTimes ?? []).filter((time) => time < atMs).length;
  return before === 0 ? "prospect" : before === 1 ? "new" : "returning";
}

/**
 * The seeds' comparison of customer groups for one journey's sent messages and the orders credited to
 * them: by paid orders before each message, and by member level (`levelOf`, when given).
 */
function groupFigures(
  sends: readonly DecisionRecord[],
  credited: readonly Attribution[],
  paidTimes: Map<string, number[]>,
  levelOf?: (customerId: string) => string | undefined,
): GroupFigures[] {
  const groupsOf = (customerId: string | undefined, at: string) => {
    const groups: string[] = [groupAt(paidTimes.get(customerId ?? ""), at)];
    const level = customerId ? levelOf?.(customerId) : undefined;
    if (level) groups.push(`level:${level}`);
    return groups;
  };
  const order = ["prospect", "new", "returning"];
  const byGroup = new Map<
    string,
    {
      messages: number;
      customers: Set<string>;
      orders: number;
      revenue: number;
      items: number;
      buyers: Set<string>;
    }
  >();
  const entry = (group: string) => {
    let found = byGroup.get(group);
    if (!found) {
      found = { messages: 0, customers: new Set(), orders: 0, revenue: 0, items: 0, buyers: new Set() };
      byGroup.set(group, found);
    }
    return found;
  };
  for (const send of sends) {
    if (send.outcome !== "sent") continue;
    for (const group of groupsOf(send.customerId, send.at)) {
      const figures = entry(group);
      figures.messages += 1;
      figures.customers.add(send.customerId ?? send.to ?? "-");
    }
  }
  for (const credit of credited) {
    for (const group of groupsOf(credit.customerId, credit.sentAt)) {
      const figures = entry(group);
      figures.orders += 1;
      figures.revenue += credit.revenue;
      figures.items += credit.items;
      figures.buyers.add(credit.customerId);
    }
  }
  return [...byGroup.entries()]
    .sort(([a], [b]) => {
      const rank = (group: string) => (order.includes(group) ? order.indexOf(group) : order.length);
      return rank(a) - rank(b) || a.localeCompare(b);
    })
    .map(([group, figures]) => ({
      group,
      messages: figures.messages,
      customers: figures.customers.size,
      orders: figures.orders,
      revenue: figures.revenue,
      revenuePerOrder: figures.orders > 0 ? figures.revenue / figures.orders : undefined,
      itemsPerBuyer: figures.buyers.size > 0 ? figures.items / figures.buyers.size : undefined,
      orderRate: figures.messages > 0 ? figures.orders / figures.messages : undefined,
    }));
}

/**
 * A step's variants compared: each variant's messages and those credited with an order, with Wilson's
 * interval; the best rate is the winner only if the two-proportion test tells it from the next at 95%.
 */
function variantTest(
  config: ShopConfig,
  decisions: readonly DecisionRecord[],
  credited: readonly Attribution[],
  clicks: ClicksByCode,
): VariantTest | undefined {
  const sends = decisions.filter((decision) => decision.outcome === "sent" && decision.variant !== undefined);
  if (sends.length === 0) return undefined;
  const earned = new Map<string, number>();
  for (const credit of credited) {
    const key = `${credit.customerId}|${credit.sentAt}`;
    earned.set(key, (earned.get(key) ?? 0) + credit.revenue);
  }
  const byVariant = new Map<string, DecisionRecord[]>();
  for (const send of sends)
    byVariant.set(send.variant as string, [...(byVariant.get(send.variant as string) ?? []), send]);
  const variants = [...byVariant.entries()]
    .map(([variant, mine]): VariantFigures => {
      const revenues = mine.map((send) => earned.get(`${send.customerId}|${send.at}`));
      const converted = revenues.filter((revenue) => revenue !== undefined).length;
      const revenue = revenues.reduce<number>((sum, value) => sum + (value ?? 0), 0);
      const smsCost = mine.reduce((sum, send) => sum + (send.segments ?? 0), 0) * config.sms.pricePerSegment;
      const { linked, clicked, clickRate } = linkFigures(mine, clicks);
      return {
        variant,
        sent: mine.length,
        converted,
        rate: converted / mine.length,
        interval: wilsonInterval(converted, mine.length),
        revenue,
        smsCost,
        roi: smsCost > 0 ? revenue / smsCost : undefined,
        linked,
        clicked,
        clickRate,
      };
    })
    .sort((a, b) => b.rate - a.rate || a.variant.localeCompare(b.variant));
  const [best, next] = variants;
  const decided =
    best !== undefined &&
    next !== undefined &&
    twoProportionP(best.converted, best.sent, next.converted, next.sent) < 0.05;
  return {
    variants,
    winner: decided ? best?.variant : undefined,
    neededPerVariant: !decided && best && next ? groupSizeToDecide(best.rate, next.rate) : undefined,
  };
}

/** Credited orders by whole days since the message that earned them. */
function conversionsByDay(credited: readonly Attribution[]): number[] {
  const days: number[] = [];
  for (const credit of credited) {
    const day = Math.max(0, Math.floor((Date.parse(credit.paidAt) - Date.parse(credit.sentAt)) / DAY_MS));
    while (days.length <= day) days.push(0);
    days[day] = (days[day] ?? 0) + 1;
  }
  return days;
}

const entrantOf = (decision: DecisionRecord) => `${decision.customerId ?? "-"}|${decision.orderId ?? "-"}`;

/** Messaged and held-out entrants of one journey, and how many of each bought within the window. */
function holdoutLift(
  config: ShopConfig,
  decisions: readonly DecisionRecord[],
  orders: readonly OrderRecord[],
): HoldoutLift {
  const groups = { messaged: new Map<string, DecisionRecord>(), holdout: new Map<string, DecisionRecord>() };
  const ordered = [...decisions].sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
  for (const decision of ordered) {
    const group =
      decision.outcome === "sent"
        ? groups.messaged
        : decision.reason === "holdout"
          ? groups.holdout
          : undefined;
    if (group && !group.has(entrantOf(decision))) group.set(entrantOf(decision), decision);
  }
  for (const entrant of groups.messaged.keys()) groups.holdout.delete(entrant);
  const ordersOf = new Map<string, OrderRecord[]>();
  for (const order of orders) {
    if (!order.customerId) continue;
    ordersOf.set(order.customerId, [...(ordersOf.get(order.customerId) ?? []), order]);
  }
  const convertedIn = (group: Map<string, DecisionRecord>) =>
    [...group.values()].filter((first) =>
      (ordersOf.get(first.customerId ?? "") ?? []).some((o) => converts(config, first, o)),
    ).length;
  const messagedConverted = convertedIn(groups.messaged);
  const holdoutConverted = convertedIn(groups.holdout);
  const rate = (converted: number, size: number) => (size > 0 ? converted / size : 0);
  const messaged = groups.messaged.size;
  const holdout = groups.holdout.size;
  const compared = holdout > 0 && messaged > 0;
  const interval = compared
    ? differenceInterval(messagedConverted, messaged, holdoutConverted, holdout)
    : undefined;
  const significant = compared
    ? twoProportionP(messagedConverted, messaged, holdoutConverted, holdout) < 0.05
    : undefined;
  return {
    messaged,
    messagedConverted,
    holdout,
    holdoutConverted,
    liftPoints: compared
      ? 100 * (rate(messagedConverted, messaged) - rate(holdoutConverted, holdout))
      : undefined,
    liftInterval: interval && { low: 100 * interval.low, high: 100 * interval.high },
    significant,
    neededPerGroup:
      compared && !significant
        ? groupSizeToDecide(rate(messagedConverted, messaged), rate(holdoutConverted, holdout))
        : undefined,
  };
}

/** The AWS cost of a workload at the configured list prices, in the SMS currency. */
export function awsCost(
  config: ShopConfig,
  workload: Workload,
  lambdaMsPerInvocation = 50,
  lambdaGb = 0.5,
): number {
  const prices = config.effect.awsPrices;
  const usd =
    workload.transitions * prices.stateTransition +
    workload.lambdaInvocations *
      (prices.lambdaRequest + (lambdaMsPerInvocation / 1000) * lambdaGb * prices.lambdaGbSecond) +
    workload.dynamoReads * prices.dynamoReadRequest +
    workload.dynamoWrites * prices.dynamoWriteRequest;
  return usd * prices.usdRate;
}

/** What a report reads besides decisions and orders. */
export interface ReportInputs {
  /** The work behind the decisions, for the AWS cost. @default no AWS cost */
  readonly workload?: Workload;
  /** The kept replies. @default none */
  readonly replies?: readonly StoredReply[];
  /** Each customer's member level now, for the per-level groups. @default no level groups */
  readonly levelOf?: (customerId: string) => string | undefined;
  /** The short links followed at least once (`listClickedLinks`). @default none clicked */
  readonly clickedLinks?: readonly Pick<ClickedLink, "code" | "clicks">[];
}

/** Builds the effect report from every decision record and every order (and the kept replies, the clicks). */
export function buildReport(
  config: ShopConfig,
  decisions: readonly DecisionRecord[],
  orders: readonly OrderRecord[],
  inputs: ReportInputs = {},
): EffectReport {
  const { workload, replies = [], levelOf } = inputs;
  const clicks: ClicksByCode = new Map((inputs.clickedLinks ?? []).map((link) => [link.code, link.clicks]));
  const paidTimes = paidTimesByCustomer(orders);
  const repliesTo = (journey: string, step?: string) =>
    replies.filter(
      (reply) =>
        reply.inReplyTo?.journey === journey && (step === undefined || reply.inReplyTo.step === step),
    );
  const attributions = attribute(config, decisions, orders);
  // A journey's or a campaign's holdout lift, customer groups and conversions by day.
  const whoBought = (mine: readonly DecisionRecord[], credited: readonly Attribution[]) => ({
    lift: holdoutLift(config, mine, orders),
    groups: groupFigures(mine, credited, paidTimes, levelOf),
    conversionsByDay: conversionsByDay(credited),
  });
  const journeys: JourneyReport[] = [];
  // The campaigns report as one more journey, a step per campaign.
  for (const journey of [...JOURNEY_IDS, CAMPAIGN_JOURNEY]) {
    const mine = decisions.filter((d) => d.journey === journey);
    if (mine.length === 0) continue;
    const credited = attributions.filter((a) => a.journey === journey);
    const steps = [...new Set(mine.map((d) => d.step))].map((step) => {
      const ofStep = mine.filter((d) => d.step === step);
      const creditedOfStep = credited.filter((a) => a.step === step);
      const variants = variantTest(config, ofStep, creditedOfStep, clicks);
      return {
        step,
        ...figures(config, ofStep, creditedOfStep, repliesTo(journey, step), clicks),
        ...(variants ? { variants } : {}),
      };
    });
    journeys.push({
      journey,
      entered: new Set(mine.map(entrantOf)).size,
      reached: new Set(mine.filter((d) => d.outcome === "sent").map((d) => d.customerId ?? d.to)).size,
      attributed: journeyModule(journey).attribution !== "none",
      ...figures(config, mine, credited, repliesTo(journey), clicks),
      steps,
      ...whoBought(mine, credited),
    });
  }
  const totals = figures(config, decisions, attributions, replies, clicks);
  const sendsByHour = Array.from({ length: 24 }, () => 0);
  const days = new Map<string, { sent: number; converted: number; revenue: number }>();
  const dayOf = (at: string) => formatInZone(new Date(at), config.timeZone).slice(0, 10);
  const day = (date: string) => {
    const entry = days.get(date) ?? { sent: 0, converted: 0, revenue: 0 };
    days.set(date, entry);
    return entry;
  };
  for (const decision of decisions) {
    if (decision.outcome !== "sent") continue;
    const local = formatInZone(new Date(decision.at), config.timeZone);
    const hour = Number(local.slice(11, 13));
    sendsByHour[hour] = (sendsByHour[hour] ?? 0) + 1;
    day(dayOf(decision.at)).sent += 1;
  }
  for (const attribution of attributions) {
    const entry = day(dayOf(attribution.paidAt));
    entry.converted += 1;
    entry.revenue += attribution.revenue;
  }
  const times = decisions.map((d) => d.at).sort((a, b) => Date.parse(a) - Date.parse(b));
  const aws = workload
    ? (() => {
        const cost = awsCost(config, workload);
        return {
          workload,
          cost,
          shareOfSms: totals.smsCost > 0 ? (100 * cost) / totals.smsCost : undefined,
        };
      })()
    : undefined;
  return {
    currency: config.sms.currency,
    from: times[0],
    to: times.at(-1),
    decisions: decisions.length,
    journeys,
    totals,
    sendsByHour,
    days: [...days.entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([date, entry]) => ({ date, ...entry })),
    campaigns: config.campaigns.flatMap((campaign) => {
      const mine = decisions.filter((d) => d.journey === CAMPAIGN_JOURNEY && d.step === campaign.id);
      if (mine.length === 0) return [];
      const credited = attributions.filter((a) => a.journey === CAMPAIGN_JOURNEY && a.step === campaign.id);
      return [
        {
          campaign: campaign.id,
          segment: campaign.segment,
          at: campaign.at,
          members: new Set(mine.map((d) => d.customerId)).size,
          ...figures(config, mine, credited, repliesTo(CAMPAIGN_JOURNEY, campaign.id), clicks),
          ...whoBought(mine, credited),
        },
      ];
    }),
    aws,
  };
}
