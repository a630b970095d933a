import type { EffectReport, Figures, GroupFigures, HoldoutLift } from "../../core/insight/report.js";
import { terminalSafeLines } from "../../core/shared/terminal.js";

/** Renders the effect report for people: a terminal table and a self-contained HTML page. */

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

const escapeHtml = (text: string) =>
  text.replace(
    /[&<>"']/g,
    (char) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[char] as string,
  );

/** Horizontal bars, one per label: an SVG that needs nothing from the network. */
function barsSvg(title: string, bars: readonly { label: string; value: number; color: string }[]): string {
  const max = Math.max(1, ...bars.map((bar) => bar.value));
  const rowHeight = 22;
  const rows = bars
    .map((bar, index) => {
      const y = index * rowHeight;
      const width = Math.round((bar.value / max) * 300);
      return `<text x="0" y="${y + 15}">${escapeHtml(bar.label)}</text><rect x="110" y="${y + 3}" width="${width}" height="16" fill="${bar.color}"/><text x="${116 + width}" y="${y + 15}">${bar.value}</text>`;
    })
    .join("");
  return `<svg role="img" aria-label="${escapeHtml(title)}" width="460" height="${bars.length * rowHeight}" font-size="12">${rows}</svg>`;
}

/** Vertical bars over a series (hours, days). */
function columnsSvg(
  title: string,
  points: readonly { label: string; value: number }[],
  color: string,
): string {
  const max = Math.max(1, ...points.map((point) => point.value));
  // Columns are 22 px apart and a 9 px label takes about 5.5 px a character: label every Nth column so
  // no two labels overlap (dates every other day; hours each).
  const widest = Math.max(0, ...points.map((point) => point.label.length));
  const every = Math.max(1, Math.ceil((widest * 5.5 + 4) / 22));
  const width = Math.max(24 * 22, points.length * 22);
  const columns = points
    .map((point, index) => {
      const height = Math.round((point.value / max) * 120);
      const x = index * 22;
      return `<g><title>${escapeHtml(point.label)}: ${point.value}</title><rect data-label="${escapeHtml(point.label)}" data-value="${point.value}" x="${x + 2}" y="${130 - height}" width="18" height="${height}" fill="${color}"/>${index % every === 0 ? `<text x="${x + 11}" y="146" text-anchor="middle" font-size="9">${escapeHtml(point.label)}</text>` : ""}</g>`;
    })
    .join("");
  return `<svg role="img" aria-label="${escapeHtml(title)}" width="${width}" height="150">${columns}</svg>`;
}

/** The journeys' rows of the page's table, each followed by its steps'. */
function journeyRowsHtml(report: EffectReport): string {
  return report.journeys
    .map(
      (j) =>
        `<tr data-journey="${j.journey}"><th>${j.journey}</th><td data-field="entered">${j.entered}</td><td data-field="sent">${j.sent}</td><td data-field="handoffs">${j.handoffs}</td><td data-field="segments">${j.segments}</td><td data-field="smsCost">${money(j.smsCost)}</td><td data-field="converted">${j.converted}</td><td data-field="revenue">${money(j.revenue)}</td><td data-field="roi">${j.roi === undefined ? "—" : j.roi.toFixed(1)}</td><td data-field="lift">${liftText(j.lift)}</td><td data-field="groups">${j.lift.messaged} / ${j.lift.holdout}</td><td data-field="clicked">${clickText(j)}</td><td>${escapeHtml(skippedText(j.skipped))}</td></tr>` +
        j.steps
          .map(
            (s) =>
              `<tr class="step" data-journey="${j.journey}" data-step="${escapeHtml(s.step)}"><td>↳ ${escapeHtml(s.step)}</td><td></td><td data-field="sent">${s.sent}</td><td data-field="handoffs">${s.handoffs}</td><td data-field="segments">${s.segments}</td><td data-field="smsCost">${money(s.smsCost)}</td><td data-field="converted">${s.converted}</td><td data-field="revenue">${money(s.revenue)}</td><td>${s.roi === undefined ? "—" : s.roi.toFixed(1)}</td><td></td><td></td><td data-field="clicked">${clickText(s)}</td><td>${escapeHtml(skippedText(s.skipped))}</td></tr>`,
          )
          .join(""),
    )
    .join("");
}

/** A funnel per journey: entered, reached, converted (when attributed), held out. */
function funnelsHtml(report: EffectReport): string {
  return report.journeys
    .map(
      (j) =>
        `<figure class="funnel" data-journey="${j.journey}"><figcaption>${j.journey}</figcaption>${barsSvg(
          `${j.journey} funnel`,
          // Customers at every bar: messages are counted beside them (a journey sends several per entry).
          [
            { label: "entered", value: j.entered, color: "#9db4c0" },
            { label: "reached", value: j.reached, color: "#5c6b73" },
            ...(j.attributed ? [{ label: "converted", value: j.converted, color: "#2a9d8f" }] : []),
            { label: "held out", value: j.lift.holdout, color: "#e9c46a" },
          ],
        )}<p class="messages">${j.sent} message(s) to ${j.reached} customer(s)</p>${
          j.attributed
            ? `<p>lift ${liftText(j.lift)}: ${j.lift.messagedConverted}/${j.lift.messaged} messaged vs ${j.lift.holdoutConverted}/${j.lift.holdout} held out bought</p>`
            : `<p class="notice">a notice: no orders are credited to it, so it has no conversions or lift</p>`
        }</figure>`,
    )
    .join("");
}

/** What the AWS side cost at list prices, when the report knows its workload. */
function awsHtml(report: EffectReport): string {
  return report.aws
    ? `<p id="aws-cost">AWS at list prices: <b>${report.aws.cost.toFixed(4)} ${report.currency}</b> (${report.aws.workload.transitions} state transitions, ${report.aws.workload.lambdaInvocations} Lambda invocations, ${report.aws.workload.dynamoReads} DynamoDB reads, ${report.aws.workload.dynamoWrites} writes)${report.aws.shareOfSms === undefined ? "" : ` = ${report.aws.shareOfSms.toFixed(2)}% of the SMS cost`}.</p>`
    : "";
}

/** The attributed journeys' figures by customer group. */
function groupsTableHtml(report: EffectReport): string {
  return `<table id="groups"><thead><tr><th>journey</th>${GROUP_HEADER.map((title) => `<th>${title}</th>`).join("")}</tr></thead><tbody>${report.journeys
    .filter((journey) => journey.attributed)
    .flatMap((journey) =>
      journey.groups.map(
        (group) =>
          `<tr data-journey="${journey.journey}" data-group="${escapeHtml(group.group)}"><th>${journey.journey}</th>${groupCells(
            group,
          )
            .map((cell) => `<td>${escapeHtml(cell)}</td>`)
            .join("")}</tr>`,
      ),
    )
    .join("")}</tbody></table>`;
}

/** Each campaign: its figures, by customer group, and its orders by day since the message. */
function campaignsHtml(report: EffectReport): string {
  return report.campaigns
    .map(
      (campaign) =>
        `<section class="campaign" data-campaign="${escapeHtml(campaign.campaign)}"><h2>Campaign ${escapeHtml(campaign.campaign)}</h2><p>segment ${escapeHtml(campaign.segment)}, ${escapeHtml(campaign.at)}: ${campaign.members} members, ${campaign.sent} sent, ${campaign.converted} orders, ${money(campaign.revenue)} revenue, ROI ${campaign.roi === undefined ? "—" : campaign.roi.toFixed(1)}, holdout lift ${liftText(campaign.lift)}${campaign.linked > 0 ? `, links clicked ${clickText(campaign)}` : ""}.</p><table><thead><tr>${GROUP_HEADER.map((title) => `<th>${title}</th>`).join("")}</tr></thead><tbody>${campaign.groups
          .map(
            (group) =>
              `<tr>${groupCells(group)
                .map((cell) => `<td>${escapeHtml(cell)}</td>`)
                .join("")}</tr>`,
          )
          .join("")}</tbody></table><div class="curve">${columnsSvg(
          `${campaign.campaign} orders by day since the message`,
          campaign.conversionsByDay.map((value, day) => ({ label: `+${day}d`, value })),
          "#2a9d8f",
        )}</div></section>`,
    )
    .join("");
}

/** The report as one HTML page with its charts inline: it opens offline, from a file, in any browser. */
export function reportHtml(report: EffectReport, shopName: string): string {
  const t = report.totals;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>shopcare effect report — ${escapeHtml(shopName)}</title>
<style>
body{font-family:system-ui,sans-serif;margin:2rem;color:#222}table{border-collapse:collapse;font-size:13px}
th,td{border-bottom:1px solid #ddd;padding:4px 8px;text-align:right}th:first-child,td:first-child,td:last-child{text-align:left}
tr.step{color:#555}.funnel{display:inline-block;margin:0 2rem 1rem 0;vertical-align:top}figcaption{font-weight:600}
</style></head><body>
<h1>${escapeHtml(shopName)}: what each journey earns</h1>
<p>${report.decisions} decisions from ${escapeHtml(report.from ?? "—")} to ${escapeHtml(report.to ?? "—")}. Money in ${escapeHtml(report.currency)}.
Total: <b id="total-sent">${t.sent}</b> sent, <b id="total-cost">${money(t.smsCost)}</b> SMS cost, <b id="total-converted">${t.converted}</b> orders converted,
<b id="total-revenue">${money(t.revenue)}</b> revenue, ROI <b id="total-roi">${t.roi === undefined ? "—" : t.roi.toFixed(1)}</b>.</p>
${awsHtml(report)}
<h2>Per journey and step</h2>
<table id="journeys"><thead><tr><th>journey</th><th>entered</th><th>sent</th><th>handoffs</th><th>segments</th><th>SMS cost</th><th>converted</th><th>revenue</th><th>ROI</th><th>holdout lift</th><th>messaged / held out</th><th>links clicked</th><th>skipped</th></tr></thead><tbody>${journeyRowsHtml(report)}</tbody></table>
<h2>Funnels</h2>${funnelsHtml(report)}
${(() => {
  const tests = variantLines(report);
  return tests.length > 0
    ? `<h2>A/B tests</h2><ul id="variants">${tests.map((line) => `<li>${escapeHtml(line.trim())}</li>`).join("")}</ul>`
    : "";
})()}
<h2>By customer group</h2>
${groupsTableHtml(report)}
${campaignsHtml(report)}
<h2>Sends per hour of day</h2><div id="hours">${columnsSvg(
    "sends per hour",
    report.sendsByHour.map((value, hour) => ({ label: String(hour).padStart(2, "0"), value })),
    "#5c6b73",
  )}</div>
<h2>Conversions over time</h2><div id="days">${columnsSvg(
    "conversions per day",
    report.days.map((day) => ({ label: day.date.slice(5), value: day.converted })),
    "#2a9d8f",
  )}</div>
<script type="application/json" id="report-data">${JSON.stringify(report).replace(/</g, "\\u003c")}</script>
</body></html>
`;
}
