import { createHash } from "node:crypto";

/**
 * The console page: plain HTML, CSS and a script, inline, so it needs no CDN and no build step. It talks
 * to the routes of `console.ts` on the same origin, with the per-run token it is served with.
 */
const CONSOLE_SCRIPT = `// Every request carries the token this page was served with; the server refuses any that does not.
const token = document.querySelector('meta[name="shopcare-token"]').content;
const post = (path, body) => fetch(path, {method: "POST", headers: {"content-type": "application/json", "x-shopcare-token": token}, body: JSON.stringify(body ?? {})}).then((r) => r.json());
const esc = (text) => String(text ?? "").replace(/[&<>"']/g, (c) => ({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"})[c]);
const cell = (text) => "<td>" + esc(text) + "</td>";
function describe(entry) {
  switch (entry.kind) {
    case "event": return entry.type + (entry.orderId ? " " + entry.orderId : "") + " (" + entry.source + ", " + entry.webhookId + ")";
    case "decision": return [entry.journey + "." + entry.step, entry.orderId && "order " + entry.orderId, entry.outcome + (entry.reason ? " " + entry.reason : ""), entry.template, entry.to && "to " + entry.to, entry.text && "“" + entry.text + "”", entry.delivery && "delivery " + entry.delivery, entry.configVersion && "config " + entry.configVersion].filter(Boolean).join(" · ");
    case "reply": return "from " + entry.from + ": “" + entry.text + "”" + (entry.inReplyTo ? " (to " + entry.inReplyTo + ")" : "") + (entry.likelyOptOut ? " — likely opt-out, confirm" : "");
    case "opt-out": return entry.from + " out of marketing by " + (entry.reply !== undefined ? "reply “" + entry.reply + "” (" + entry.source + ")" : entry.source);
    case "click": return entry.journey + "." + entry.step + (entry.orderId ? " order " + entry.orderId : "") + " link followed " + entry.clicks + " time(s) → " + entry.target;
    case "execution": return entry.action + " " + entry.journey + " execution " + entry.name;
    case "pending": return entry.journey + "." + entry.step + (entry.orderId ? " order " + entry.orderId : "") + " due then (" + entry.rule + ")";
  }
  return JSON.stringify(entry);
}
document.getElementById("search-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const kind = document.getElementById("search-kind").value;
  const value = document.getElementById("search-value").value.trim();
  const status = document.getElementById("search-status");
  status.textContent = "…";
  const entries = await post("/admin/explain", {subject: {[kind]: value}});
  status.textContent = entries.length === 0 ? "nothing is known of " + kind + " " + value : entries.length + " entries for " + kind + " " + value;
  document.getElementById("timeline").innerHTML = entries.map((entry) => '<li class="' + entry.kind + '" data-kind="' + entry.kind + '"><span class="kind">' + esc(entry.kind) + "</span>" + esc(entry.at.slice(0, 19).replace("T", " ")) + " · " + esc(describe(entry)) + "</li>").join("");
});
async function loadDecisions(event) {
  event?.preventDefault();
  const value = (id) => document.getElementById(id).value;
  const rows = await post("/admin/console/decisions", {journey: value("f-journey"), outcome: value("f-outcome"), reason: value("f-reason"), from: value("f-from"), to: value("f-to")});
  document.getElementById("decision-rows").innerHTML = rows.map((d) => "<tr>" + [d.at.slice(0, 19).replace("T", " "), d.journey, d.step, d.orderId, d.customerId, d.outcome, d.reason, d.template].map(cell).join("") + "</tr>").join("");
}
document.getElementById("decision-form").addEventListener("submit", loadDecisions);
async function replay(request, label) {
  const result = await post("/admin/replay", request);
  await loadProblems();
  document.getElementById("replay-status").textContent = label + ": replayed " + result.replayed + (result.failed?.length ? ", still failing: " + result.failed.map((f) => f.error).join("; ") : "");
}
async function loadProblems() {
  const problems = await post("/admin/console/problems");
  document.getElementById("dead-letters").innerHTML = problems.deadLetters.length === 0 ? "<tr><td>none</td></tr>" : problems.deadLetters.map((letter) => '<tr data-dead-letter="' + esc(letter.id) + '">' + cell(letter.at) + cell(letter.error) + cell(letter.body.slice(0, 120)) + '<td><button class="replay" data-id="' + esc(letter.id) + '">replay</button></td></tr>').join("");
  document.getElementById("rejected").innerHTML = problems.rejected.length === 0 ? "<tr><td>none</td></tr>" : problems.rejected.map((webhook) => '<tr data-webhook="' + esc(webhook.id) + '">' + cell(webhook.receivedAt) + cell(webhook.source) + cell(webhook.error) + '<td><button class="replay-webhook" data-id="' + esc(webhook.id) + '" data-at="' + esc(webhook.receivedAt) + '">replay</button></td></tr>').join("");
  for (const button of document.querySelectorAll("button.replay")) button.addEventListener("click", () => replay({deadLetters: true, ids: [button.dataset.id]}, "dead letter " + button.dataset.id));
  for (const button of document.querySelectorAll("button.replay-webhook")) button.addEventListener("click", () => {
    const at = Date.parse(button.dataset.at);
    replay({from: new Date(at - 1000).toISOString(), to: new Date(at + 1000).toISOString(), ids: [button.dataset.id]}, "webhook " + button.dataset.id);
  });
}
async function loadInbox() {
  const replies = await post("/admin/console/inbox");
  document.getElementById("replies").innerHTML = replies.length === 0 ? "<tr><td>none</td></tr>" : replies.map((reply) => '<tr data-reply="' + esc(reply.id) + '">' + cell(reply.at.slice(0, 19).replace("T", " ")) + cell(reply.customerId ?? "—") + cell(reply.text + (reply.likelyOptOut ? " — likely opt-out, confirm" : "")) + cell(reply.inReplyTo ? reply.inReplyTo.journey + "." + reply.inReplyTo.step + (reply.inReplyTo.orderId ? " (order " + reply.inReplyTo.orderId + ")" : "") : "—") + "<td>" + (reply.customerId ? '<button class="thread" data-customer="' + esc(reply.customerId) + '">thread</button>' : "") + "</td></tr>").join("");
  for (const button of document.querySelectorAll("button.thread")) button.addEventListener("click", () => {
    document.getElementById("search-kind").value = "customer";
    document.getElementById("search-value").value = button.dataset.customer;
    document.getElementById("search-form").requestSubmit();
    location.hash = "search";
  });
}
async function loadCampaigns() {
  const campaigns = await post("/admin/console/campaigns");
  const run = (p) => p ? p.phase + ": " + p.members + " members of " + p.customers + " customers" : "not started";
  const skipped = (s) => Object.entries(s).map(([reason, count]) => reason + " " + count).join(", ") || "—";
  // What an operator may do next: a cancelled campaign stays cancelled.
  const actions = (c) => c.control === "cancelled" ? [] : [c.control === "paused" ? "resume" : "pause", "cancel"];
  document.getElementById("campaign-rows").innerHTML = campaigns.length === 0 ? "<tr><td>none in the config</td></tr>" : campaigns.map((c) => '<tr data-campaign="' + esc(c.id) + '">' + [c.id, c.segment, c.at, c.until.slice(0, 19).replace("T", " "), c.control, run(c.progress), c.sent, c.held, skipped(c.skipped)].map(cell).join("") + "<td>" + actions(c).map((action) => '<button class="campaign-' + action + '" data-id="' + esc(c.id) + '" data-action="' + action + '">' + action + "</button>").join(" ") + "</td></tr>").join("");
  for (const button of document.querySelectorAll("#campaign-rows button")) button.addEventListener("click", async () => {
    const {id, action} = button.dataset;
    if (action === "cancel" && !confirm("Cancel campaign " + id + "? Its held messages are dropped and it cannot be resumed.")) return;
    const result = await post("/admin/campaign", {id, action});
    // The table first: the status line says the rows show the change.
    await loadCampaigns();
    document.getElementById("campaign-status").textContent = "campaign " + id + ": " + result.status + (result.changed ? "" : " (unchanged)");
  });
}
document.getElementById("report-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const {html} = await post("/admin/console/report", {from: document.getElementById("r-from").value, to: document.getElementById("r-to").value});
  document.getElementById("report-frame").srcdoc = html;
});
function diagram(journey) {
  const rows = Math.max(journey.triggers.length, journey.steps.length, journey.templates.length, 1);
  const height = rows * 26 + 44;
  const box = (x, y, w, text, fill) => '<rect x="' + x + '" y="' + y + '" width="' + w + '" height="20" rx="4" fill="' + fill + '"/><text x="' + (x + 6) + '" y="' + (y + 14) + '">' + esc(text) + "</text>";
  const middle = (rows * 26 + 20) / 2 - 10;
  let svg = box(230, middle, 170, journey.journey + (journey.enabled ? "" : " (off)"), "#e9c46a");
  // Its steps, in order, under the journey; the templates they send on the right.
  const steps = journey.steps.join(" → ");
  svg += '<text x="0" y="' + (rows * 26 + 30) + '" class="steps">steps: ' + esc(steps) + "</text>";
  journey.triggers.forEach((trigger, index) => { const y = 10 + index * 26; svg += box(0, y, 210, trigger, "#9db4c0") + '<line x1="210" y1="' + (y + 10) + '" x2="230" y2="' + (middle + 10) + '" stroke="#555"/>'; });
  journey.templates.forEach((template, index) => { const y = 10 + index * 26; svg += '<line x1="400" y1="' + (middle + 10) + '" x2="420" y2="' + (y + 10) + '" stroke="#555"/>' + box(420, y, 260, template.id + " · " + template.messageClass, template.messageClass === "marketing" ? "#f4a261" : "#8ab17d"); });
  const timings = Object.entries(journey.timings).map(([key, value]) => key + " " + value).join(", ");
  const stops = journey.stops.length ? " · stops: " + journey.stops.join("; ") : "";
  return '<figure class="journey' + (journey.enabled ? "" : " off") + '" data-journey="' + esc(journey.journey) + '"><svg role="img" aria-label="' + esc(journey.journey) + ' journey" width="690" height="' + height + '">' + svg + "</svg><figcaption>" + esc(timings || "no timing settings") + esc(stops) + " · notices " + esc(journey.windows.notice.start + "–" + journey.windows.notice.end) + ", marketing " + esc(journey.windows.marketing.start + "–" + journey.windows.marketing.end) + "</figcaption></figure>";
}
(async () => {
  const journeys = await post("/admin/console/journeys");
  document.getElementById("journey-diagrams").innerHTML = journeys.map(diagram).join("");
  document.getElementById("f-journey").innerHTML += journeys.map((j) => "<option>" + esc(j.journey) + "</option>").join("");
  await Promise.all([loadDecisions(), loadProblems(), loadInbox(), loadCampaigns()]);
  document.body.dataset.ready = "true";
})();
`;

/**
 * The page's headers. The Content-Security-Policy lets only this script run (by its hash: no injected
 * script, inline handler or other origin's code), lets it talk only to this server, and forbids every other
 * site to frame the page (clickjacking its buttons); the report is an `srcdoc` frame of the page itself.
 */
export const CONSOLE_HEADERS: Readonly<Record<string, string>> = {
  "content-type": "text/html; charset=utf-8",
  "content-security-policy": [
    "default-src 'none'",
    `script-src 'sha256-${createHash("sha256").update(CONSOLE_SCRIPT).digest("base64")}'`,
    "style-src 'unsafe-inline'",
    "img-src data:",
    "connect-src 'self'",
    "frame-src 'self'",
    "frame-ancestors 'none'",
    "base-uri 'none'",
    "form-action 'none'",
  ].join("; "),
  "x-frame-options": "DENY",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "cache-control": "no-store",
};

/** The console page, carrying the server's per-run `token` (URL-safe base64, nothing to escape). */
export function consoleHtml(token: string): string {
  if (!/^[A-Za-z0-9_-]+$/.test(token)) throw new Error("a console token is URL-safe base64");
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>shopcare console</title><link rel="icon" href="data:,">
<meta name="shopcare-token" content="${token}">
<style>
body{font-family:system-ui,sans-serif;margin:0;color:#222}header{background:#264653;color:#fff;padding:.6rem 1.2rem}
header a{color:#e9c46a;margin-right:1rem}main{padding:0 1.2rem 2rem}section{margin-top:1.5rem}
table{border-collapse:collapse;font-size:13px}th,td{border-bottom:1px solid #ddd;padding:3px 8px;text-align:left;vertical-align:top}
ol#timeline{font-size:13px;padding-left:1.2rem}ol#timeline li{margin:2px 0}.kind{display:inline-block;width:5.5em;color:#666}
.pending{color:#b5651d}.reply{color:#2a9d8f}button{cursor:pointer}iframe{width:100%;height:640px;border:1px solid #ddd}
svg text{font-size:11px}.off{opacity:.45}
</style></head><body>
<header><b>shopcare console</b> &nbsp; <a href="#search">search</a><a href="#decisions">decisions</a><a href="#inbox">inbox</a><a href="#problems">dead letters</a><a href="#campaigns">campaigns</a><a href="#report">report</a><a href="#journeys">journeys</a></header>
<main>
<section id="search"><h2>Why did (or didn't) they get a message?</h2>
<form id="search-form"><select id="search-kind"><option value="customer">customer</option><option value="order">order</option><option value="phone">phone</option></select>
<input id="search-value" placeholder="customer id, order id or +86…" size="30"> <button>explain</button></form>
<p id="search-status"></p><ol id="timeline"></ol></section>
<section id="decisions"><h2>Recent decisions</h2>
<form id="decision-form"><select id="f-journey"><option value="">every journey</option></select>
<select id="f-outcome"><option value="">any outcome</option><option>sent</option><option>skipped</option><option>handoff</option></select>
<input id="f-reason" placeholder="reason" size="14"> from <input type="date" id="f-from"> to <input type="date" id="f-to"> <button>filter</button></form>
<table><thead><tr><th>at</th><th>journey</th><th>step</th><th>order</th><th>customer</th><th>outcome</th><th>reason</th><th>template</th></tr></thead><tbody id="decision-rows"></tbody></table></section>
<section id="inbox"><h2>Inbox: replies that reached a person</h2>
<table><thead><tr><th>at</th><th>customer</th><th>reply</th><th>answers</th><th></th></tr></thead><tbody id="replies"></tbody></table></section>
<section id="problems"><h2>Dead letters and rejected webhooks</h2><p id="replay-status"></p>
<h3>Dead letters</h3><table><tbody id="dead-letters"></tbody></table>
<h3>Rejected webhooks (30 days)</h3><table><tbody id="rejected"></tbody></table></section>
<section id="campaigns"><h2>Campaigns</h2><p id="campaign-status"></p>
<table><thead><tr><th>campaign</th><th>segment</th><th>at</th><th>until</th><th>control</th><th>run</th><th>sent</th><th>held</th><th>skipped</th><th></th></tr></thead><tbody id="campaign-rows"></tbody></table></section>
<section id="report"><h2>Effect report</h2><form id="report-form">from <input type="date" id="r-from"> to <input type="date" id="r-to"> <button>show</button></form>
<iframe id="report-frame" title="effect report"></iframe></section>
<section id="journeys"><h2>Journeys as configured</h2><div id="journey-diagrams"></div></section>
</main>
<script>${CONSOLE_SCRIPT}</script></body></html>`;
}
