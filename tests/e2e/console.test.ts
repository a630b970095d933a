import { spawn } from "node:child_process";
import { describe, expect, inject, it } from "vitest";
import { JOURNEY_IDS } from "../../functions/core/journeys/index.js";
import { postToLocalShop } from "../../functions/local/cli/admin-client.js";
import { freePort } from "../../functions/local/emulator/dynamodb-local.js";
import { startHttpServer } from "../../functions/local/emulator/server.js";
import { launchChromium, watchedPage } from "../support/browser.js";
import { CLI } from "../support/cli.js";
import { searchCustomer, shopWithReminder } from "../support/console.js";
import { orderCreated, virtualShop } from "../support/local.js";

describe("the operators' console in headless Chromium", () => {
  it("loads, finds a customer's timeline, shows each journey as configured, and re-drives a dead letter with its replay button", async () => {
    const { shop, failures, http } = await shopWithReminder(
      { locale: "en" },
      { id: "k1", customerId: "c-console" },
    );
    // An event dispatch gave up on (say a bug since fixed): the payment of k1.
    await shop.store.putDeadLetter({
      id: "dl-1",
      at: "2026-06-18T11:20:00+08:00",
      body: JSON.stringify({ type: "order.paid", at: "2026-06-18T11:10:00+08:00", orderId: "k1" }),
      error: "simulated: dispatch failed",
    });
    // The customer answered the reminder.
    await fetch(`${http.url}/inbound/sms`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-shopcare-token": shop.token },
      body: JSON.stringify({
        from: "+8613800000000",
        text: "可以改地址吗？",
        at: "2026-06-18T11:25:00+08:00",
      }),
    });
    const browser = await launchChromium();
    try {
      const { page, errors, foreign } = await watchedPage(browser, http.url);

      await searchCustomer(page, http.url, "c-console");
      const timeline = await page.locator("#timeline li").allInnerTexts();
      await page.click("#dead-letters button.replay");
      // Locators, not waitForFunction: the page's CSP allows no eval, Playwright's string predicates included.
      await page.locator("#replay-status", { hasText: "replayed" }).waitFor();
      const status = await page.locator("#replay-status").innerText();
      const deadLettersShown = await page.locator("#dead-letters").innerText();
      await shop.queue.drain();

      expect(timeline[0]).toContain("order.created k1 (generic,");
      expect(timeline.some((line) => line.includes("payment-reminder.first · order k1 · sent"))).toBe(true);
      expect(timeline.some((line) => line.startsWith("pending"))).toBe(true);
      expect(await page.locator("figure.journey").count()).toBe(JOURNEY_IDS.length);
      expect(
        await page.locator('figure.journey[data-journey="payment-reminder"] svg text').allTextContents(),
      ).toEqual(
        expect.arrayContaining([
          "order.created",
          "payment-reminder",
          "payment-reminder.first · notice",
          "steps: first → second",
        ]),
      );
      expect(await page.locator("#decision-rows tr").count()).toBeGreaterThan(0);
      expect(status).toBe("dead letter dl-1: replayed 1");
      expect(deadLettersShown.trim()).toBe("none");
      expect(await shop.store.listDeadLetters()).toEqual([]);
      expect((await shop.store.getOrder("k1"))?.paidAt).toBe("2026-06-18T11:10:00+08:00");
      // The inbox shows the reply with what it answers; its thread is the customer's timeline.
      expect(await page.locator("#replies tr").first().innerText()).toContain("可以改地址吗？");
      expect(await page.locator("#replies tr").first().innerText()).toContain(
        "payment-reminder.first (order k1)",
      );
      await page.click("#replies button.thread");
      await page.waitForSelector('#timeline li[data-kind="reply"]');
      expect(await page.locator('#timeline li[data-kind="reply"]').innerText()).toContain("可以改地址吗？");
      await page.click("#report-form button");
      await page.locator("#report-view h1", { hasText: "what each journey earns" }).waitFor();
      expect(
        await page
          .locator(
            '#report-view #journeys tr[data-journey="payment-reminder"]:not(.step) [data-field="sent"]',
          )
          .innerText(),
      ).toBe("1");
      expect(errors).toEqual([]);
      expect(foreign).toEqual([]);
      expect(failures).toEqual([]);
    } finally {
      await browser.close();
      await http.close();
      shop.stop();
    }
  });

  it("lists each campaign with its control, run and counts, and pauses, resumes and cancels one from its buttons", async () => {
    // Arrange: two campaigns that have not started.
    const template = "【{shop}】{name}，新品上市。回T退订";
    const { shop } = await virtualShop("2026-06-18T10:00:00+08:00", {
      locale: "en",
      segments: { all: {} },
      campaigns: [
        { id: "spring", segment: "all", at: "2026-07-01T10:00:00+08:00", template },
        { id: "autumn", segment: "all", at: "2026-09-01T10:00:00+08:00", template },
      ],
    });
    const http = await startHttpServer(shop.routes);
    const browser = await launchChromium();
    try {
      const page = await browser.newPage();
      const errors: string[] = [];
      page.on("pageerror", (error) => errors.push(String(error)));
      page.on("dialog", (dialog) => void dialog.accept());
      await page.goto(`${http.url}/`);
      await page.waitForSelector("body[data-ready=true]");
      const row = (id: string) => page.locator(`#campaign-rows tr[data-campaign="${id}"]`);
      const before = await row("spring").innerText();

      // Act
      await row("spring").locator("button.campaign-pause").click();
      await page.locator("#campaign-status", { hasText: /^campaign spring: paused$/ }).waitFor();
      const paused = await row("spring").innerText();
      const controlWhilePaused = (await shop.store.getCampaignControl("spring"))?.status;
      await row("spring").locator("button.campaign-resume").click();
      await page.locator("#campaign-status", { hasText: /^campaign spring: running$/ }).waitFor();
      await row("autumn").locator("button.campaign-cancel").click();
      await page.locator("#campaign-status", { hasText: /^campaign autumn: cancelled$/ }).waitFor();

      // Assert
      // Times in the shop's time zone, formatted for English (ICU may put a narrow space before AM).
      expect(before).toMatch(/^spring\tall\tJul 1, 2026, 10:00:00\sAM\tJul 4, 2026, 10:00:00\sAM\t/);
      expect(before).toContain("running\tnot started\t0\t0\t—");
      expect(paused).toContain("paused");
      expect(controlWhilePaused).toBe("paused");
      expect((await shop.store.getCampaignControl("spring"))?.status).toBe("running");
      expect((await shop.store.getCampaignControl("autumn"))?.status).toBe("cancelled");
      // A cancelled campaign offers nothing more.
      expect(await row("autumn").locator("button").count()).toBe(0);
      expect(await row("spring").locator("button").allInnerTexts()).toEqual(["pause", "cancel"]);
      expect(errors).toEqual([]);
    } finally {
      await browser.close();
      await http.close();
      shop.stop();
    }
  });

  it("serves the same page on localhost against a deployed table (shopcare console --table)", async () => {
    const tableName = `console-${Date.now()}`;
    const { shop } = await virtualShop("2026-06-18T10:00:00+08:00", {}, { tableName });

    await shop.queue.enqueue(
      [orderCreated("2026-06-18T10:00:00+08:00", { id: "t1", customerId: "c-table" })],
      "test",
    );
    await shop.queue.drain();
    shop.stop();
    const port = await freePort();
    const child = spawn(process.execPath, [CLI, "console", "--table", tableName, "--port", String(port)], {
      env: {
        ...process.env,
        AWS_ENDPOINT_URL_DYNAMODB: inject("dynamoEndpoint"),
        AWS_REGION: "us-east-1",
        AWS_ACCESS_KEY_ID: "local",
        AWS_SECRET_ACCESS_KEY: "local",
      },
    });
    let output = "";
    child.stdout.on("data", (chunk) => {
      output += String(chunk);
    });
    try {
      await expect.poll(() => output, { timeout: 60_000, interval: 200 }).toContain("Ctrl-C stops it");
      const page = await fetch(`http://127.0.0.1:${port}/`);
      // As `shopcare explain --url` asks it: the token read from the page, then JSON with it.
      const explained = await postToLocalShop<{ kind: string }[]>(
        `http://127.0.0.1:${port}`,
        "/admin/explain",
        { subject: { customer: "c-table" } },
        "explain",
      );

      // Without the token (as a page of another site would post), refused.
      const refused = await fetch(`http://127.0.0.1:${port}/admin/explain`, {
        method: "POST",
        body: JSON.stringify({ subject: { customer: "c-table" } }),
      });
      expect(refused.status).toBe(403);
      expect(page.status).toBe(200);
      expect(await page.text()).toContain("<title>shopcare console</title>");
      expect(explained.map((entry: { kind: string }) => entry.kind)).toContain("pending");
    } finally {
      child.kill("SIGTERM");
    }
  });
});
