import { html, nothing, svg } from "shopcare/lit-html.js";

/**
 * The effect report as a page: its figures from the report's JSON (`buildReport`), its words and numbers in
 * the page's language (`i18n.js`), its charts as inline SVG. The console shows it; `shopcare report --html`
 * and `simulate --report` write it to a file that opens offline (`report-page.js`).
 */

const signed = (fmt, points) => `${points > 0 ? "+" : points < 0 ? "−" : ""}${fmt.ratio(Math.abs(points))}`;

/** The lift as the report says it: `+3.1 pp (−0.4 to +6.6), not yet significant`. */
export function liftText(fmt, lift) {
  if (lift.liftPoints === undefined) return "—";
  const interval = lift.liftInterval
    ? fmt.t("report.liftInterval", {
        low: signed(fmt, lift.liftInterval.low),
        high: signed(fmt, lift.liftInterval.high),
      })
    : "";
  const verdict = lift.significant
    ? fmt.t("report.significant")
    : fmt.t("report.notYetSignificant") +
      (lift.neededPerGroup ? fmt.t("report.wouldTell", { count: fmt.count(lift.neededPerGroup) }) : "");
  return fmt.t("report.liftValue", { points: signed(fmt, lift.liftPoints), interval, verdict });
}

/** Messages whose short link was followed, of those that carried one, and the clicks. */
function clickText(fmt, figures) {
  if (figures.linked === 0 || figures.clickRate === undefined) return "—";
  const { clicked, linked, clicks } = figures;
  return fmt.t("report.clicks", { clicked, linked, rate: fmt.percent(figures.clickRate), clicks });
}

const skippedText = (fmt, skipped) =>
  Object.entries(skipped)
    .sort(([, a], [, b]) => b - a)
    .map(([reason, count]) => `${reason} ${fmt.count(count)}`)
    .join(", ") || "—";

/** Horizontal bars, one per label. */
function bars(title, rows) {
  const max = Math.max(1, ...rows.map((row) => row.value));
  return html`<svg role="img" aria-label=${title} width="460" height=${rows.length * 22} font-size="12">
    ${rows.map((row, index) => {
      const y = index * 22;
      const width = Math.round((row.value / max) * 300);
      return svg`<text x="0" y=${y + 15}>${row.label}</text><rect x="110" y=${y + 3} width=${width} height="16"
        fill=${row.color}/><text x=${116 + width} y=${y + 15}>${row.value}</text>`;
    })}
  </svg>`;
}

/** Vertical bars over a series (hours, days), a label every so many columns so no two overlap. */
function columns(title, points, color) {
  const max = Math.max(1, ...points.map((point) => point.value));
  // Columns are 22 px apart and a 9 px label takes about 5.5 px a character (CJK labels about 9).
  const widest = Math.max(
    0,
    ...points.map((point) => [...point.label].length * (/[^ -~]/.test(point.label) ? 9 : 5.5)),
  );
  const every = Math.max(1, Math.ceil((widest + 4) / 22));
  return html`<svg role="img" aria-label=${title} width=${Math.max(24 * 22, points.length * 22)} height="150">
    ${points.map((point, index) => {
      const height = Math.round((point.value / max) * 120);
      const x = index * 22;
      return svg`<g><title>${point.label}: ${point.value}</title><rect data-label=${point.label} data-value=${point.value}
        x=${x + 2} y=${130 - height} width="18" height=${height} fill=${color}/>${
          index % every === 0
            ? svg`<text x=${x + 11} y="146" text-anchor="middle" font-size="9">${point.label}</text>`
            : nothing
        }</g>`;
    })}
  </svg>`;
}

/** A row's figures, each cell named by its field (tests and scripts read them by name). */
function figureCells(fmt, f) {
  return html`<td data-field="sent">${fmt.count(f.sent)}</td><td data-field="handoffs">${fmt.count(f.handoffs)}</td
    ><td data-field="segments">${fmt.count(f.segments)}</td><td data-field="smsCost">${fmt.money(f.smsCost)}</td
    ><td data-field="converted">${fmt.count(f.converted)}</td><td data-field="revenue">${fmt.money(f.revenue)}</td
    ><td data-field="roi">${fmt.ratio(f.roi)}</td>`;
}

/** The journeys' rows, each followed by its steps'. */
function journeyRows(fmt, report) {
  return report.journeys.map(
    (
      j,
    ) => html`<tr data-journey=${j.journey}><th>${j.journey}</th><td data-field="entered">${fmt.count(j.entered)}</td
      >${figureCells(fmt, j)}<td data-field="lift">${liftText(fmt, j.lift)}</td
      ><td data-field="groups">${fmt.count(j.lift.messaged)} / ${fmt.count(j.lift.holdout)}</td
      ><td data-field="clicked">${clickText(fmt, j)}</td><td>${skippedText(fmt, j.skipped)}</td></tr>
      ${j.steps.map(
        (
          s,
        ) => html`<tr class="step" data-journey=${j.journey} data-step=${s.step}><td>↳ ${s.step}</td><td></td
          >${figureCells(fmt, s)}<td></td><td></td><td data-field="clicked">${clickText(fmt, s)}</td
          ><td>${skippedText(fmt, s.skipped)}</td></tr>`,
      )}`,
  );
}

/** A funnel per journey: entered, reached, converted (when attributed), held out. */
function funnel(fmt, j) {
  const { t } = fmt;
  // Customers at every bar: messages are counted beside them (a journey sends several per entry).
  const rows = [
    { label: t("report.entered"), value: j.entered, color: "#9db4c0" },
    { label: t("report.reached"), value: j.reached, color: "#5c6b73" },
    ...(j.attributed ? [{ label: t("report.converted"), value: j.converted, color: "#2a9d8f" }] : []),
    { label: t("report.heldOut"), value: j.lift.holdout, color: "#e9c46a" },
  ];
  const { messaged, holdout, messagedConverted, holdoutConverted } = j.lift;
  return html`<figure class="funnel" data-journey=${j.journey}><figcaption>${j.journey}</figcaption>
    ${bars(t("report.funnel", { journey: j.journey }), rows)}
    <p class="messages">${t("report.messages", { sent: fmt.count(j.sent), reached: fmt.count(j.reached) })}</p>
    ${
      j.attributed
        ? html`<p>${t("report.liftLine", { lift: liftText(fmt, j.lift), messagedConverted, messaged, holdoutConverted, holdout })}</p>`
        : html`<p class="notice">${t("report.notice")}</p>`
    }</figure>`;
}

/** One line per A/B-tested step: each variant's rate and interval, and the verdict. */
function variantLines(fmt, report) {
  const { t } = fmt;
  return report.journeys.flatMap((journey) =>
    journey.steps.flatMap((step) => {
      const test = step.variants;
      if (!test) return [];
      const variants = test.variants.map(
        (v) =>
          t("report.variant", {
            variant: v.variant,
            rate: fmt.percent(v.rate),
            low: fmt.percent(v.interval.low),
            high: fmt.percent(v.interval.high),
            sent: fmt.count(v.sent),
            revenue: fmt.money(v.revenue),
            roi: fmt.ratio(v.roi),
          }) +
          (v.clickRate === undefined
            ? ""
            : t("report.variantClicked", {
                clicked: v.clicked,
                linked: v.linked,
                rate: fmt.percent(v.clickRate),
              })),
      );
      const verdict = test.winner
        ? t("report.winner", { variant: test.winner })
        : t("report.notDecided") +
          (test.neededPerVariant
            ? t("report.variantWouldTell", { count: fmt.count(test.neededPerVariant) })
            : "");
      return [`${journey.journey}.${step.step}: ${variants.join(" · ")} → ${verdict}`];
    }),
  );
}

const GROUP_COLUMNS = [
  "group",
  "messages",
  "customers",
  "orders",
  "revenue",
  "perOrder",
  "itemsPerBuyer",
  "orderRate",
];

/** The seeds' new-vs-returning comparison: 交易量, 成交额, 客单价, 客产品数量, 认购率. */
function groupCells(fmt, group) {
  return html`<td>${group.group}</td><td>${fmt.count(group.messages)}</td><td>${fmt.count(group.customers)}</td
    ><td>${fmt.count(group.orders)}</td><td>${fmt.money(group.revenue)}</td><td>${fmt.money(group.revenuePerOrder)}</td
    ><td>${fmt.ratio(group.itemsPerBuyer)}</td><td>${group.orderRate === undefined ? "—" : fmt.percent(group.orderRate)}</td>`;
}

const groupHeader = (fmt) => GROUP_COLUMNS.map((column) => html`<th>${fmt.t(`group.${column}`)}</th>`);

/** Each campaign: its figures, by customer group, and its orders by day since the message. */
function campaignSection(fmt, campaign) {
  const { t } = fmt;
  const line =
    t("report.campaignLine", {
      segment: campaign.segment,
      at: fmt.time(campaign.at),
      members: fmt.count(campaign.members),
      sent: fmt.count(campaign.sent),
      converted: fmt.count(campaign.converted),
      revenue: fmt.money(campaign.revenue),
      roi: fmt.ratio(campaign.roi),
      lift: liftText(fmt, campaign.lift),
    }) + (campaign.linked > 0 ? t("report.campaignClicks", { clicks: clickText(fmt, campaign) }) : "");
  const curve = campaign.conversionsByDay.map((value, day) => ({ label: `+${day}d`, value }));
  return html`<section class="campaign" data-campaign=${campaign.campaign}>
    <h2>${t("report.campaign", { campaign: campaign.campaign })}</h2><p>${line}</p>
    <table><thead><tr>${groupHeader(fmt)}</tr></thead>
      <tbody>${campaign.groups.map((group) => html`<tr>${groupCells(fmt, group)}</tr>`)}</tbody></table>
    <div class="curve">${columns(t("report.campaignCurve", { campaign: campaign.campaign }), curve, "#2a9d8f")}</div>
  </section>`;
}

/** The report's whole view. */
export function reportView(fmt, report, shopName) {
  const { t } = fmt;
  const totals = report.totals;
  const aws = report.aws;
  const tests = variantLines(fmt, report);
  const headers = [
    "entered",
    "sent",
    "handoffs",
    "segments",
    "smsCost",
    "converted",
    "revenue",
    "roi",
    "lift",
    "groupsColumn",
    "clicked",
    "skipped",
  ];
  return html`<article class="report">
    <h1>${t("report.title", { shop: shopName })}</h1>
    <p>${t("report.summary", { decisions: fmt.count(report.decisions), from: fmt.day(report.from), to: fmt.day(report.to), currency: report.currency })}
      <span id="totals">${t("report.totals", { sent: fmt.count(totals.sent), cost: fmt.money(totals.smsCost), converted: fmt.count(totals.converted), revenue: fmt.money(totals.revenue), roi: fmt.ratio(totals.roi) })}</span></p>
    ${
      aws
        ? html`<p id="aws-cost">${t("report.aws", {
            cost: aws.cost.toFixed(4),
            currency: report.currency,
            transitions: fmt.count(aws.workload.transitions),
            invocations: fmt.count(aws.workload.lambdaInvocations),
            reads: fmt.count(aws.workload.dynamoReads),
            writes: fmt.count(aws.workload.dynamoWrites),
          })}${aws.shareOfSms === undefined ? "" : t("report.awsShare", { share: aws.shareOfSms.toFixed(2) })}.</p>`
        : nothing
    }
    <h2>${t("report.perJourney")}</h2>
    <table id="journeys"><thead><tr><th>${t("column.journey")}</th>${headers.map((key) => html`<th>${t(`report.${key}`)}</th>`)}</tr></thead>
      <tbody>${journeyRows(fmt, report)}</tbody></table>
    <h2>${t("report.funnels")}</h2>${report.journeys.map((journey) => funnel(fmt, journey))}
    ${tests.length > 0 ? html`<h2>${t("report.abTests")}</h2><ul id="variants">${tests.map((line) => html`<li>${line}</li>`)}</ul>` : nothing}
    <h2>${t("report.byGroup")}</h2>
    <table id="groups"><thead><tr><th>${t("column.journey")}</th>${groupHeader(fmt)}</tr></thead><tbody>${report.journeys
      .filter((journey) => journey.attributed)
      .flatMap((journey) =>
        journey.groups.map(
          (group) =>
            html`<tr data-journey=${journey.journey} data-group=${group.group}><th>${journey.journey}</th>${groupCells(fmt, group)}</tr>`,
        ),
      )}</tbody></table>
    ${report.campaigns.map((campaign) => campaignSection(fmt, campaign))}
    <h2>${t("report.hours")}</h2><div id="hours">${columns(
      t("report.hoursChart"),
      report.sendsByHour.map((value, hour) => ({ label: String(hour).padStart(2, "0"), value })),
      "#5c6b73",
    )}</div>
    <h2>${t("report.days")}</h2><div id="days">${columns(
      t("report.daysChart"),
      report.days.map((day) => ({ label: day.date.slice(5), value: day.converted })),
      "#2a9d8f",
    )}</div>
  </article>`;
}
