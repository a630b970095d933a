import { execFile } from "node:child_process";
import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import type { Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import type { ShopEvent } from "../../functions/core/intake/events.js";
import { journeyModule } from "../../functions/core/journeys/index.js";
import type { DecisionRecord } from "../../functions/core/shared/model.js";
import { launchChromium } from "../support/browser.js";

const run = promisify(execFile);
const CLI = new URL("../../functions/local/cli/shopcare.mjs", import.meta.url).pathname;
const PRICE = 0.045;
const DAY = 86_400_000;
const MARKETING = new Set([
  "gift-30.gift",
  "gift-100.gift",
  "winback.first",
  "winback.second",
  "review-care.request",
]);
const HOLDOUT = { "payment-reminder": 0.3, "gift-30": 0.3, winback: 0.3, "review-care": 0.3 };
/** How the English page writes counts and money (`Intl`, as the page's own formats). */
const count = (value: number) => new Intl.NumberFormat("en", { maximumFractionDigits: 0 }).format(value);
const money = (value: number) =>
  new Intl.NumberFormat("en", { minimumFractionDigits: 2, maximumFractionDigits: 2 }).format(value);

/** The test's own reading of the decision records: what the report must show for each journey. */
function expectedFigures(decisions: DecisionRecord[], events: ShopEvent[]) {
  const paid = new Map<string, { customerId: string; paidAt: number; amount: number }>();
  const created = new Map<string, { customerId: string; amount: number }>();
  for (const event of events) {
    if (event.type === "order.created")
      created.set(event.order.id, { customerId: event.order.customer.id, amount: event.order.amount });
    if (event.type === "order.paid" && !paid.has(event.orderId)) {
      const order = created.get(event.orderId);
      if (order) paid.set(event.orderId, { ...order, paidAt: Date.parse(event.at) });
    }
  }
  const converted = new Map<string, { count: number; revenue: number }>();
  for (const [orderId, order] of paid) {
    const touches = decisions.filter(
      (d) =>
        d.outcome === "sent" &&
        d.customerId === order.customerId &&
        (d.journey === "payment-reminder"
          ? d.orderId === orderId
          : d.orderId !== orderId && MARKETING.has(d.template)) &&
        Date.parse(d.at) < order.paidAt &&
        order.paidAt <= Date.parse(d.at) + 3 * DAY,
    );
    const last = touches.sort((a, b) => Date.parse(b.at) - Date.parse(a.at))[0];
    if (!last) continue;
    const entry = converted.get(last.journey) ?? { count: 0, revenue: 0 };
    converted.set(last.journey, { count: entry.count + 1, revenue: entry.revenue + order.amount });
  }
  const journeys = [...new Set(decisions.map((d) => d.journey))];
  return Object.fromEntries(
    journeys.map((journey) => {
      const mine = decisions.filter((d) => d.journey === journey);
      const sentTo = new Set(
        mine.filter((d) => d.outcome === "sent").map((d) => `${d.customerId}|${d.orderId}`),
      );
      const heldOut = new Set(
        mine
          .filter((d) => d.reason === "holdout")
          .map((d) => `${d.customerId}|${d.orderId}`)
          .filter((e) => !sentTo.has(e)),
      );
      const segments = mine.reduce((sum, d) => sum + (d.outcome === "sent" ? (d.segments ?? 0) : 0), 0);
      return [
        journey,
        {
          sent: count(mine.filter((d) => d.outcome === "sent").length),
          handoffs: count(mine.filter((d) => d.outcome === "handoff").length),
          segments: count(segments),
          smsCost: money(segments * PRICE),
          converted: count(converted.get(journey)?.count ?? 0),
          revenue: money(converted.get(journey)?.revenue ?? 0),
          groups: `${count(sentTo.size)} / ${count(heldOut.size)}`,
        },
      ];
    }),
  );
}

/** The figures each journey's row shows, by field. */
async function shownFigures(page: Page, journeys: readonly string[]) {
  const shown: Record<string, Record<string, string>> = {};
  for (const journey of journeys) {
    const row = page.locator(`#journeys tr[data-journey="${journey}"]:not(.step)`);
    shown[journey] = {};
    for (const field of ["sent", "handoffs", "segments", "smsCost", "converted", "revenue", "groups"]) {
      (shown[journey] as Record<string, string>)[field] = (
        await row.locator(`[data-field="${field}"]`).innerText()
      ).trim();
    }
  }
  return shown;
}

/**
 * Funnels count customers at every bar (never more reached than entered) and messages beside them; a
 * notice says it earns nothing instead of a "messaged bought" line.
 */
async function expectFunnels(page: Page, decisions: readonly DecisionRecord[], journeys: readonly string[]) {
  for (const journey of journeys) {
    const funnel = page.locator(`.funnel[data-journey="${journey}"]`);
    const sent = decisions.filter((d) => d.journey === journey && d.outcome === "sent");
    const reached = new Set(sent.map((d) => d.customerId)).size;
    expect(await funnel.locator(".messages").innerText()).toBe(
      `${sent.length} message(s) to ${reached} customer(s)`,
    );
    const entered = Number(await funnel.locator("svg text").nth(1).textContent());
    expect(reached).toBeLessThanOrEqual(entered);
    const notice = journeyModule(journey).attribution === "none";
    expect(await funnel.locator("p.notice").count(), journey).toBe(notice ? 1 : 0);
    expect((await funnel.innerText()).includes("messaged vs"), journey).toBe(!notice);
  }
}

/** Where each day label of the conversions chart starts and ends. */
function dayLabelSpans(page: Page): Promise<number[][]> {
  return page
    .locator("#days text")
    .evaluateAll((texts) =>
      texts
        .map((text) => (text as unknown as { getBBox(): { x: number; width: number } }).getBBox())
        .map((box) => [box.x, box.x + box.width]),
    );
}

/** The same page in Chinese, from the switch in the page. */
async function readInChinese(page: Page) {
  await page.selectOption("#locale", "zh-CN");
  await page.locator("h1", { hasText: "各旅程的效果" }).waitFor();
  return {
    lang: await page.getAttribute("html", "lang"),
    header: await page.locator("#journeys thead").innerText(),
    sent: await page
      .locator(`#journeys tr[data-journey="shipped"]:not(.step) [data-field="sent"]`)
      .innerText(),
    lift: await page
      .locator(`#journeys tr[data-journey="payment-reminder"]:not(.step) [data-field="lift"]`)
      .innerText(),
    notice: await page.locator('.funnel[data-journey="shipped"] p.notice').innerText(),
  };
}

/** A synthetic month (60 orders, holdouts on) simulated with `--report`: the page, the decisions, the events. */
async function simulateWithReport() {
  const dir = await mkdtemp(join(tmpdir(), "shopcare-report-"));
  const [events, decisionsFile, html, config] = [
    "events.jsonl",
    "decisions.jsonl",
    "report.html",
    "config.json",
  ].map((f) => join(dir, f)) as [string, string, string, string];
  await writeFile(config, JSON.stringify({ locale: "en", effect: { holdout: HOLDOUT } }));
  await run(process.execPath, [
    CLI,
    "generate",
    "--orders",
    "60",
    "--days",
    "30",
    "--seed",
    "7",
    "--out",
    events,
  ]);

  // The in-memory table: the page is what is under test. `simulate` on DynamoDB Local, the CLI's default,
  // runs in http.test.ts, and memory-table-decisions.test.ts holds the two tables' decisions equal.
  const { stderr } = await run(process.execPath, [
    CLI,
    "simulate",
    "--store",
    "memory",
    "--events",
    events,
    "--config",
    config,
    "--out",
    decisionsFile,
    "--report",
    html,
  ]);

  const decisions = (await readFile(decisionsFile, "utf8"))
    .trim()
    .split("\n")
    .map((line) => JSON.parse(line) as DecisionRecord);
  const stream = (await readFile(events, "utf8"))
    .trim()
    .split("\n")
    .map((line) => JSON.parse(line) as ShopEvent);
  return { html, decisions, stream, stderr };
}

/**
 * Two CLI runs (a month generated and simulated) and a browser: on a 2-core machine busy with the rest of the
 * suite this has taken 90–120 s, beside 40 s alone.
 */
const REPORT_TIMEOUT_MS = 300_000;

describe("simulate --report on a month of synthetic orders", () => {
  it(
    "writes an HTML report whose numbers match the decision records, with a holdout lift, that renders in headless Chromium",
    async () => {
      const { html, decisions, stream, stderr } = await simulateWithReport();

      expect(stderr).toContain("shopcare effect report");
      const expected = expectedFigures(decisions, stream);
      expect(Object.keys(expected)).toEqual(
        expect.arrayContaining([
          "payment-reminder",
          "shipped",
          "arrived",
          "review-care",
          "gift-30",
          "winback",
        ]),
      );
      expect(decisions.some((d) => d.reason === "holdout")).toBe(true);

      const browser = await launchChromium();

      try {
        const page = await browser.newPage();
        const errors: string[] = [];
        page.on("pageerror", (error) => errors.push(String(error)));
        page.on("console", (message) => message.type() === "error" && errors.push(message.text()));
        // Offline: any request beyond the file itself would fail the test.
        const requests: string[] = [];
        page.on("request", (request) => requests.push(request.url()));
        await page.goto(`file://${html}`);
        await page.waitForSelector("body[data-ready=true]");

        const shown = await shownFigures(page, Object.keys(expected));
        expect(shown).toEqual(expected);
        for (const journey of Object.keys(HOLDOUT)) {
          const lift = await page
            .locator(`#journeys tr[data-journey="${journey}"]:not(.step) [data-field="lift"]`)
            .innerText();
          expect(lift).toMatch(
            /^[+−]?\d+\.\d pp \([+−]?\d+\.\d to [+−]?\d+\.\d\), (significant|not yet significant( \(about [\d,]+ a group would tell\))?)$/,
          );
        }
        expect(await page.locator(".funnel svg").count()).toBe(Object.keys(expected).length);
        const hourBars = await page
          .locator("#hours rect")
          .evaluateAll((rects) => rects.map((r) => Number(r.getAttribute("data-value"))));
        expect(hourBars.reduce((a, b) => a + b, 0)).toBe(
          decisions.filter((d) => d.outcome === "sent").length,
        );
        expect(await page.locator("#days rect").count()).toBeGreaterThan(0);
        // Funnels count customers at every bar (never more reached than entered) and messages beside them;
        // a notice says it earns nothing instead of a "messaged bought" line.
        await expectFunnels(page, decisions, Object.keys(expected));
        // Day labels do not overlap.
        const labels = await dayLabelSpans(page);
        expect(labels.length).toBeGreaterThan(1);
        for (let index = 1; index < labels.length; index += 1)
          expect((labels[index] as number[])[0]).toBeGreaterThanOrEqual(
            (labels[index - 1] as number[])[1] as number,
          );
        expect(await page.locator("#aws-cost").innerText()).toMatch(/state transitions/);
        const english = {
          lang: await page.getAttribute("html", "lang"),
          title: await page.locator("h1").innerText(),
        };

        // The same file in Chinese, from the switch in the page.
        const chinese = await readInChinese(page);

        expect(english).toEqual({ lang: "en", title: "Shop: what each journey earns" });
        expect(chinese.lang).toBe("zh-CN");
        expect(chinese.header).toContain("短信费用");
        expect(chinese.sent).toBe(expected.shipped?.sent);
        expect(chinese.lift).toMatch(
          /^[+−]?\d+\.\d 个百分点（[+−]?\d+\.\d 至 [+−]?\d+\.\d），(显著|尚不显著)/,
        );
        expect(chinese.notice).toBe("通知类短信：不计入订单，因此没有转化与提升");
        expect(errors).toEqual([]);
        // Offline: the file and the modules it carries as data, nothing from the network.
        expect(requests.filter((url) => !url.startsWith("data:"))).toEqual([`file://${html}`]);
      } finally {
        await browser.close();
      }
    },
    REPORT_TIMEOUT_MS,
  );
});
