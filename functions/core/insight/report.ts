import { CAMPAIGN_JOURNEY } from "../config/campaign-settings.js";
import type { ShopConfig } from "../config/config.js";
import { aimsAtPurchase, converts } from "../engine/attribution.js";
import type { ClickedLink } from "../engine/links.js";
import { JOURNEY_IDS, journeyModule } from "../journeys/index.js";
import type { DecisionRecord, OrderRecord } from "../shared/model.js";
import type { StoredReply } from "../shared/ports.js";
import { formatInZone } from "../shared/time.js";
import {
  type ClicksByCode,
  conversionsByDay,
  entrantOf,
  figures,
  groupFigures,
  holdoutLift,
  paidTimesByCustomer,
  variantTest,
} from "./figures.js";
import type { Attribution, EffectReport, JourneyReport, Workload } from "./report-model.js";

export type * from "./report-model.js";

/**
 * Effect reports (docs/design.md "Effect"): what each journey sent, skipped and cost, which paid orders it
 * earned (last touch within its attribution window, each order once), and — with a holdout — how much
 * more the messaged customers bought than the held-out ones. Pure: it reads decisions and orders.
 */

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

/** Sends by local hour of day, and sends, conversions and revenue by local date. */
function overTime(
  config: ShopConfig,
  decisions: readonly DecisionRecord[],
  attributions: readonly Attribution[],
): Pick<EffectReport, "sendsByHour" | "days"> {
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
  return {
    sendsByHour,
    days: [...days.entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([date, entry]) => ({ date, ...entry })),
  };
}

/** The AWS bill of a workload at list prices, and its share of the SMS cost. */
function awsFigures(
  config: ShopConfig,
  workload: Workload,
  totals: EffectReport["totals"],
): NonNullable<EffectReport["aws"]> {
  const cost = awsCost(config, workload);
  return { workload, cost, shareOfSms: totals.smsCost > 0 ? (100 * cost) / totals.smsCost : undefined };
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
  const { sendsByHour, days } = overTime(config, decisions, attributions);
  const times = decisions.map((d) => d.at).sort((a, b) => Date.parse(a) - Date.parse(b));
  const aws = workload ? awsFigures(config, workload, totals) : undefined;
  return {
    currency: config.sms.currency,
    from: times[0],
    to: times.at(-1),
    decisions: decisions.length,
    journeys,
    totals,
    sendsByHour,
    days,
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
