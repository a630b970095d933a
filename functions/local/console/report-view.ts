import type { EffectReport, Figures, GroupFigures, HoldoutLift } from "../../core/insight/report.js";
import { terminalSafeLines } from "../../core/shared/terminal.js";

/** Renders the effect report as a terminal table (the page is `pages/report.js`). */

const money = (value: number | undefined) => (value === undefined ? "—" : value.toFixed(2));
const skippedText = (skipped: Figures["skipped"]) =>
  Object.entries(skipped)
    .sort(([, a], [, b]) => b - a)
    .map(([reason, count]) => `${reason} ${count}`)
    .join(", ") || "—";
const signed = (points: number) =>
  `${points > 0 ? "+" : points < 0 ? "−" : ""}${Math.abs(points).toFixed(1)}`;
/** The lift as the report says it: `+3.1 pp (−0.4 to +6.6), not yet significant`. */
const liftText = (lift: HoldoutLift) =>
  lift.liftPoints === undefined
    ? "—"
    : `${signed(lift.liftPoints)} pp${lift.liftInterval ? ` (${signed(lift.liftInterval.low)} to ${signed(lift.liftInterval.high)})` : ""}, ${lift.significant ? "significant" : `not yet significant${lift.neededPerGroup ? ` (about ${lift.neededPerGroup.toLocaleString("en-US")} a group would tell)` : ""}`}`;

/** The seeds' new-vs-returning comparison: 交易量, 成交额, 客单价, 客产品数量, 认购率. */
const GROUP_HEADER = [
  "group",
  "messages",
  "customers",
  "orders",
  "revenue",
  "per order",
  "items per buyer",
  "orders/message",
];

function groupCells(group: GroupFigures): string[] {
  return [
    group.group,
    String(group.messages),
    String(group.customers),
    String(group.orders),
    money(group.revenue),
    money(group.revenuePerOrder),
    group.itemsPerBuyer === undefined ? "—" : group.itemsPerBuyer.toFixed(1),
    group.orderRate === undefined ? "—" : `${(100 * group.orderRate).toFixed(1)}%`,
  ];
}

const percent = (fraction: number) => `${(100 * fraction).toFixed(1)}%`;

/** Messages whose short link was followed, of those that carried one, and the clicks: `3/40 (7.5%), 4 clicks`. */
function clickText(figures: Pick<Figures, "linked" | "clicked" | "clicks" | "clickRate">): string {
  if (figures.linked === 0 || figures.clickRate === undefined) return "—";
  return `${figures.clicked}/${figures.linked} (${percent(figures.clickRate)}), ${figures.clicks} click${figures.clicks === 1 ? "" : "s"}`;
}

/** One line per A/B-tested step: each variant's rate and interval, and the verdict. */
function variantLines(report: EffectReport): string[] {
  return report.journeys.flatMap((journey) =>
    journey.steps.flatMap((step) => {
      const test = step.variants;
      if (!test) return [];
      const variants = test.variants
        .map(
          (v) =>
            `${v.variant} ${percent(v.rate)} (${percent(v.interval.low)}–${percent(v.interval.high)}) of ${v.sent}, revenue ${money(v.revenue)}, ROI ${v.roi === undefined ? "—" : v.roi.toFixed(1)}${v.clickRate === undefined ? "" : `, clicked ${v.clicked}/${v.linked} (${percent(v.clickRate)})`}`,
        )
        .join(" · ");
      const verdict = test.winner
        ? `winner ${test.winner}`
        : `not decided yet${test.neededPerVariant ? ` (about ${test.neededPerVariant.toLocaleString("en-US")} messages a variant would tell)` : ""}`;
      return [`  ${journey.journey}.${step.step}: ${variants} → ${verdict}`];
    }),
  );
}

/** Lays out rows under a header in columns as wide as their widest cell; `rule` is the dashed line. */
function columnsLine(
  header: readonly string[],
  rows: readonly string[][],
): ((cells: string[]) => string) & {
  readonly rule: string;
} {
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => (row[column] ?? "").length)),
  );
  const line = (cells: string[]) =>
    cells
      .map((cell, column) => cell.padEnd(widths[column] ?? 0))
      .join("  ")
      .trimEnd();
  return Object.assign(line, { rule: line(widths.map((width) => "-".repeat(width))) });
}

const TABLE_HEADER = [
  "journey",
  "step",
  "entered",
  "sent",
  "handoff",
  "segments",
  "SMS cost",
  "converted",
  "revenue",
  "ROI",
  "holdout lift",
  "replies",
  "clicked",
  "skipped",
];

type RowFigures = EffectReport["totals"];

/** One table row: its first two cells, what was entered and the lift (when shown), and its figures. */
function figuresRow(journey: string, step: string, entered: string, lift: string, f: RowFigures): string[] {
  return [
    journey,
    step,
    entered,
    String(f.sent),
    String(f.handoffs),
    String(f.segments),
    money(f.smsCost),
    String(f.converted),
    money(f.revenue),
    f.roi === undefined ? "—" : f.roi.toFixed(1),
    lift,
    String(f.replies),
    clickText(f),
    skippedText(f.skipped),
  ];
}

/** The campaigns' lines: each one's members, sends, orders and lift, and its orders by day. */
function campaignLines(report: EffectReport): string[] {
  return report.campaigns.flatMap((campaign) => [
    "",
    `campaign ${campaign.campaign} (segment ${campaign.segment}, ${campaign.at}): ${campaign.members} members, ${campaign.sent} sent, ${campaign.converted} orders, ${money(campaign.revenue)} revenue, ROI ${campaign.roi === undefined ? "—" : campaign.roi.toFixed(1)}, holdout lift ${liftText(campaign.lift)}${campaign.linked > 0 ? `, links clicked ${clickText(campaign)}` : ""}; skipped ${skippedText(campaign.skipped)}`,
    `  orders by day since the message: ${campaign.conversionsByDay.join(" ") || "—"}`,
  ]);
}

/** The attributed journeys' figures by customer group, as a table of its own. */
function groupLines(report: EffectReport): string[] {
  const groupRows = report.journeys.flatMap((journey) =>
    journey.attributed ? journey.groups.map((group) => [journey.journey, ...groupCells(group)]) : [],
  );
  if (groupRows.length === 0) return [];
  const groupHeader = ["journey", ...GROUP_HEADER];
  const groupLine = columnsLine(groupHeader, groupRows);
  return [
    "",
    "by customer group (paid orders before the message; member level now):",
    groupLine(groupHeader),
    groupLine.rule,
    ...groupRows.map(groupLine),
  ];
}

/** What the AWS side cost at list prices, and its share of the SMS cost. */
function awsLines(report: EffectReport): string[] {
  if (!report.aws) return [];
  const w = report.aws.workload;
  return [
    "",
    `AWS at list prices: ${report.aws.cost.toFixed(4)} ${report.currency} for ${w.transitions} state transitions, ${w.lambdaInvocations} Lambda invocations, ${w.dynamoReads} DynamoDB reads and ${w.dynamoWrites} writes` +
      (report.aws.shareOfSms === undefined ? "" : ` = ${report.aws.shareOfSms.toFixed(2)}% of the SMS cost`),
  ];
}

/** The report as a plain-text table, one row per journey and step. */
export function reportTable(report: EffectReport): string {
  const rows: string[][] = [];
  for (const journey of report.journeys) {
    const lift = journey.lift;
    const liftCell =
      lift.liftPoints === undefined ? "—" : `${liftText(lift)} (${lift.messaged} vs ${lift.holdout})`;
    rows.push(figuresRow(journey.journey, "(all)", String(journey.entered), liftCell, journey));
    for (const step of journey.steps) rows.push(figuresRow("", step.step, "", "", step));
  }
  rows.push(figuresRow("total", "", "", "", report.totals));
  const line = columnsLine(TABLE_HEADER, rows);
  const lines = [
    `shopcare effect report, ${report.from ?? "—"} to ${report.to ?? "—"} (${report.decisions} decisions; money in ${report.currency})`,
    "",
    line(TABLE_HEADER),
    line.rule,
    ...rows.map(line),
  ];
  const tests = variantLines(report);
  if (tests.length > 0) lines.push("", "A/B tests (orders per message, 95% interval):", ...tests);
  lines.push(...campaignLines(report), ...groupLines(report), ...awsLines(report));
  // Journey, step, campaign and variant names come from config: nothing in them may drive the terminal.
  return terminalSafeLines(`${lines.join("\n")}\n`);
}
