import { chooseLocale, chosenLocale, LOCALES, translator } from "shopcare/i18n.js";
import { journeyFigure } from "shopcare/journeys.js";
import { html, nothing, render } from "shopcare/lit-html.js";
import { reportView } from "shopcare/report.js";
import { describeEntry } from "shopcare/timeline.js";

/**
 * The operators' console: one page over the JSON routes of `console.ts`, on the same origin, every request
 * carrying the per-run token the page was served with (the server refuses any that does not). Everything
 * it shows is rendered by lit-html from data, never from strings of HTML, so nothing a customer wrote can
 * become markup.
 */

const meta = (name) => document.querySelector(`meta[name="${name}"]`).content;
const token = meta("shopcare-token");
const shop = {
  name: meta("shopcare-shop"),
  locale: meta("shopcare-locale"),
  timeZone: meta("shopcare-time-zone"),
};

const post = (path, body) =>
  fetch(path, {
    method: "POST",
    headers: { "content-type": "application/json", "x-shopcare-token": token },
    body: JSON.stringify(body ?? {}),
  }).then((response) => response.json());

/** What the page shows; every change re-renders it (lit-html touches only what changed). */
const state = {
  fmt: translator(chosenLocale(shop.locale), shop.timeZone),
  search: undefined,
  decisions: [],
  problems: { deadLetters: [], rejected: [] },
  replies: [],
  campaigns: [],
  journeys: [],
  report: undefined,
  replayStatus: "",
  campaignStatus: "",
};

const value = (id) => document.getElementById(id).value;

function update() {
  document.documentElement.lang = state.fmt.locale;
  document.title = state.fmt.t("console.title");
  render(page(state), document.getElementById("app"));
}

async function explain(event) {
  event?.preventDefault();
  const kind = value("search-kind");
  const subject = value("search-value").trim();
  state.search = { kind, subject, entries: await post("/admin/explain", { subject: { [kind]: subject } }) };
  update();
}

async function loadDecisions(event) {
  event?.preventDefault();
  const filter = {
    journey: "f-journey",
    outcome: "f-outcome",
    reason: "f-reason",
    from: "f-from",
    to: "f-to",
  };
  state.decisions = await post(
    "/admin/console/decisions",
    Object.fromEntries(Object.entries(filter).map(([field, id]) => [field, value(id)])),
  );
  update();
}

async function loadProblems() {
  state.problems = await post("/admin/console/problems");
  update();
}

async function replay(request, label) {
  const result = await post("/admin/replay", request);
  await loadProblems();
  const { t } = state.fmt;
  state.replayStatus =
    t("problems.replayed", { label, count: result.replayed }) +
    (result.failed?.length
      ? t("problems.stillFailing", { errors: result.failed.map((f) => f.error).join("; ") })
      : "");
  update();
}

function replayWebhook(webhook) {
  const at = Date.parse(webhook.receivedAt);
  const range = { from: new Date(at - 1000).toISOString(), to: new Date(at + 1000).toISOString() };
  return replay({ ...range, ids: [webhook.id] }, state.fmt.t("problems.webhook", { id: webhook.id }));
}

async function loadInbox() {
  state.replies = await post("/admin/console/inbox");
  update();
}

function showThread(customerId) {
  document.getElementById("search-kind").value = "customer";
  document.getElementById("search-value").value = customerId;
  location.hash = "search";
  return explain();
}

async function loadCampaigns() {
  state.campaigns = await post("/admin/console/campaigns");
  update();
}

async function controlCampaign(id, action) {
  const { t } = state.fmt;
  if (action === "cancel" && !confirm(t("campaigns.confirmCancel", { id }))) return;
  const result = await post("/admin/campaign", { id, action });
  // The table first: the status line says the rows show the change.
  await loadCampaigns();
  state.campaignStatus =
    t("campaigns.status", { id, status: t(`campaigns.${result.status}`) }) +
    (result.changed ? "" : t("campaigns.unchanged"));
  update();
}

async function showReport(event) {
  event.preventDefault();
  state.report = await post("/admin/console/report", { from: value("r-from"), to: value("r-to") });
  update();
}

function switchLocale(event) {
  chooseLocale(event.target.value);
  state.fmt = translator(event.target.value, shop.timeZone);
  update();
}

const none = (fmt, columns = 1) => html`<tr><td colspan=${columns}>${fmt.t("none")}</td></tr>`;

function header(fmt) {
  const sections = ["search", "decisions", "inbox", "problems", "campaigns", "report", "journeys"];
  return html`<header><b>${fmt.t("console.title")}</b>
    ${sections.map((section) => html`<a href=${`#${section}`}>${fmt.t(`nav.${section}`)}</a>`)}
    <label class="locale">${fmt.t("console.language")}
      <select id="locale" @change=${switchLocale}>${Object.entries(LOCALES).map(
        ([locale, name]) => html`<option value=${locale} ?selected=${locale === fmt.locale}>${name}</option>`,
      )}</select></label></header>`;
}

function searchSection(fmt, search) {
  const { t } = fmt;
  const kindName = search && t(`search.${search.kind}`);
  const status = !search
    ? ""
    : search.entries.length === 0
      ? t("search.nothing", { kind: kindName, value: search.subject })
      : t("search.found", { count: fmt.count(search.entries.length), kind: kindName, value: search.subject });
  return html`<section id="search"><h2>${t("search.title")}</h2>
    <form id="search-form" @submit=${explain}><select id="search-kind">${["customer", "order", "phone"].map(
      (kind) => html`<option value=${kind}>${t(`search.${kind}`)}</option>`,
    )}</select>
      <input id="search-value" placeholder=${t("search.placeholder")} size="30"> <button>${t("search.explain")}</button></form>
    <p id="search-status">${status}</p>
    <ol id="timeline">${(search?.entries ?? []).map(
      (
        entry,
      ) => html`<li class=${entry.kind} data-kind=${entry.kind}><span class="kind">${t(`kind.${entry.kind}`)}</span
        ><time datetime=${entry.at}>${fmt.time(entry.at)}</time> · ${describeEntry(fmt, entry)}</li>`,
    )}</ol></section>`;
}

function decisionsSection(fmt, decisions, journeys) {
  const { t } = fmt;
  const columns = ["at", "journey", "step", "order", "customer", "outcome", "reason", "template"];
  return html`<section id="decisions"><h2>${t("decisions.title")}</h2>
    <form id="decision-form" @submit=${loadDecisions}>
      <select id="f-journey"><option value="">${t("decisions.everyJourney")}</option>${journeys.map(
        (journey) => html`<option value=${journey.journey}>${journey.journey}</option>`,
      )}</select>
      <select id="f-outcome"><option value="">${t("decisions.anyOutcome")}</option>${[
        "sent",
        "skipped",
        "handoff",
      ].map((outcome) => html`<option value=${outcome}>${t(`outcome.${outcome}`)}</option>`)}</select>
      <input id="f-reason" placeholder=${t("decisions.reason")} size="14"> ${t("decisions.from")}
      <input type="date" id="f-from"> ${t("decisions.to")} <input type="date" id="f-to"> <button>${t("decisions.filter")}</button></form>
    <table><thead><tr>${columns.map((column) => html`<th>${t(`column.${column}`)}</th>`)}</tr></thead>
      <tbody id="decision-rows">${decisions.map(
        (
          d,
        ) => html`<tr><td><time datetime=${d.at}>${fmt.time(d.at)}</time></td><td>${d.journey}</td><td>${d.step}</td
          ><td>${d.orderId ?? ""}</td><td>${d.customerId ?? ""}</td><td data-outcome=${d.outcome}>${t(`outcome.${d.outcome}`)}</td
          ><td>${d.reason ?? ""}</td><td>${d.template ?? ""}</td></tr>`,
      )}</tbody></table></section>`;
}

function inboxSection(fmt, replies) {
  const { t } = fmt;
  const answers = (reply) =>
    reply.inReplyTo
      ? reply.inReplyTo.orderId
        ? t("inbox.answered", {
            message: `${reply.inReplyTo.journey}.${reply.inReplyTo.step}`,
            order: reply.inReplyTo.orderId,
          })
        : `${reply.inReplyTo.journey}.${reply.inReplyTo.step}`
      : "—";
  return html`<section id="inbox"><h2>${t("inbox.title")}</h2>
    <table><thead><tr><th>${t("column.at")}</th><th>${t("column.customer")}</th><th>${t("inbox.reply")}</th><th>${t("inbox.answers")}</th><th></th></tr></thead>
      <tbody id="replies">${
        replies.length === 0
          ? none(fmt, 5)
          : replies.map(
              (
                reply,
              ) => html`<tr data-reply=${reply.id}><td><time datetime=${reply.at}>${fmt.time(reply.at)}</time></td
                ><td>${reply.customerId ?? "—"}</td><td>${reply.text}${reply.likelyOptOut ? t("timeline.likelyOptOut") : ""}</td
                ><td>${answers(reply)}</td><td>${
                  reply.customerId
                    ? html`<button class="thread" @click=${() => showThread(reply.customerId)}>${t("inbox.thread")}</button>`
                    : nothing
                }</td></tr>`,
            )
      }</tbody></table></section>`;
}

function problemsSection(fmt, problems, replayStatus) {
  const { t } = fmt;
  return html`<section id="problems"><h2>${t("problems.title")}</h2><p id="replay-status">${replayStatus}</p>
    <h3>${t("problems.deadLetters")}</h3><table><tbody id="dead-letters">${
      problems.deadLetters.length === 0
        ? none(fmt)
        : problems.deadLetters.map(
            (
              letter,
            ) => html`<tr data-dead-letter=${letter.id}><td><time datetime=${letter.at}>${fmt.time(letter.at)}</time></td
              ><td>${letter.error}</td><td>${letter.body.slice(0, 120)}</td><td><button class="replay" @click=${() =>
                replay(
                  { deadLetters: true, ids: [letter.id] },
                  t("problems.deadLetter", { id: letter.id }),
                )}>${t("problems.replay")}</button></td></tr>`,
          )
    }</tbody></table>
    <h3>${t("problems.rejected")}</h3><table><tbody id="rejected">${
      problems.rejected.length === 0
        ? none(fmt)
        : problems.rejected.map(
            (
              webhook,
            ) => html`<tr data-webhook=${webhook.id}><td><time datetime=${webhook.receivedAt}>${fmt.time(webhook.receivedAt)}</time></td
              ><td>${webhook.source}</td><td>${webhook.error}</td><td><button class="replay-webhook" @click=${() =>
                replayWebhook(webhook)}>${t("problems.replay")}</button></td></tr>`,
          )
    }</tbody></table></section>`;
}

function campaignsSection(fmt, campaigns, campaignStatus) {
  const { t } = fmt;
  const run = (progress) =>
    progress
      ? t("campaigns.progress", {
          phase: progress.phase,
          members: fmt.count(progress.members),
          customers: fmt.count(progress.customers),
        })
      : t("campaigns.notStarted");
  const skipped = (counts) =>
    Object.entries(counts)
      .map(([reason, count]) => `${reason} ${fmt.count(count)}`)
      .join(", ") || "—";
  // What an operator may do next: a cancelled campaign stays cancelled.
  const actions = (c) =>
    c.control === "cancelled" ? [] : [c.control === "paused" ? "resume" : "pause", "cancel"];
  const columns = ["campaign", "segment", "at", "until", "control", "run", "sent", "held", "skipped"];
  return html`<section id="campaigns"><h2>${t("campaigns.title")}</h2><p id="campaign-status">${campaignStatus}</p>
    <table><thead><tr>${columns.map((column) => html`<th>${t(column === "at" ? "column.at" : `campaigns.${column}`)}</th>`)}<th></th></tr></thead>
      <tbody id="campaign-rows">${
        campaigns.length === 0
          ? html`<tr><td colspan="10">${t("campaigns.none")}</td></tr>`
          : campaigns.map(
              (c) => html`<tr data-campaign=${c.id}><td>${c.id}</td><td>${c.segment}</td
                ><td><time datetime=${c.at}>${fmt.time(c.at)}</time></td><td><time datetime=${c.until}>${fmt.time(c.until)}</time></td
                ><td data-control=${c.control}>${t(`campaigns.${c.control}`)}</td><td>${run(c.progress)}</td><td>${fmt.count(c.sent)}</td
                ><td>${fmt.count(c.held)}</td><td>${skipped(c.skipped)}</td><td>${actions(c).map(
                  (action) =>
                    html`<button class=${`campaign-${action}`} data-action=${action} @click=${() => controlCampaign(c.id, action)}>${t(`campaigns.${action}`)}</button> `,
                )}</td></tr>`,
            )
      }</tbody></table></section>`;
}

function page(s) {
  const { fmt } = s;
  const { t } = fmt;
  return html`${header(fmt)}<main>
    ${searchSection(fmt, s.search)}
    ${decisionsSection(fmt, s.decisions, s.journeys)}
    ${inboxSection(fmt, s.replies)}
    ${problemsSection(fmt, s.problems, s.replayStatus)}
    ${campaignsSection(fmt, s.campaigns, s.campaignStatus)}
    <section id="report"><h2>${t("report.section")}</h2>
      <form id="report-form" @submit=${showReport}>${t("decisions.from")} <input type="date" id="r-from"> ${t("decisions.to")}
        <input type="date" id="r-to"> <button>${t("report.show")}</button></form>
      <div id="report-view">${s.report ? reportView(fmt, s.report, shop.name) : nothing}</div></section>
    <section id="journeys"><h2>${t("journeys.title")}</h2><div id="journey-diagrams">${s.journeys.map(
      (journey) => journeyFigure(fmt, journey),
    )}</div></section>
  </main>`;
}

update();
state.journeys = await post("/admin/console/journeys");
update();
await Promise.all([loadDecisions(), loadProblems(), loadInbox(), loadCampaigns()]);
document.body.dataset.ready = "true";
