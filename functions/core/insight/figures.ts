import type { ShopConfig } from "../config/config.js";
import { converts } from "../engine/attribution.js";
import type { DecisionRecord, OrderRecord } from "../shared/model.js";
import type { StoredReply } from "../shared/ports.js";
import { DAY_MS } from "../shared/time.js";
import type {
  Attribution,
  CustomerGroup,
  Figures,
  GroupFigures,
  HoldoutLift,
  VariantFigures,
  VariantTest,
} from "./report-model.js";
import { differenceInterval, groupSizeToDecide, twoProportionP, wilsonInterval } from "./stats.js";

/**
 * The report's figures: a journey's or campaign's sent, converted, revenue and cost, its links' clicks, and
 * how groups compare — first-time and returning customers, A/B variants (with score intervals and the group
 * size to decide), messaged and held-out customers (lift).
 */

/** Clicks counted per link code, of the links followed at least once. */
export type ClicksByCode = ReadonlyMap<string, number>;

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

export function figures(
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
export function paidTimesByCustomer(orders: readonly OrderRecord[]): Map<string, number[]> {
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
export function groupFigures(
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
export function variantTest(
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
export function conversionsByDay(credited: readonly Attribution[]): number[] {
  const days: number[] = [];
  for (const credit of credited) {
    const day = Math.max(0, Math.floor((Date.parse(credit.paidAt) - Date.parse(credit.sentAt)) / DAY_MS));
    while (days.length <= day) days.push(0);
    days[day] = (days[day] ?? 0) + 1;
  }
  return days;
}

export const entrantOf = (decision: DecisionRecord) =>
  `${decision.customerId ?? "-"}|${decision.orderId ?? "-"}`;

/** Messaged and held-out entrants of one journey, and how many of each bought within the window. */
export function holdoutLift(
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
