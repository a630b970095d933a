import { describe, expect, it } from "vitest";
import { environmentSecrets } from "../../functions/handlers/ingest.js";
import { LOCAL_WEBHOOK_SECRET } from "../../functions/local/emulator/runtime.js";
import { startHttpServer } from "../../functions/local/emulator/server.js";
import { launchChromium } from "../support/browser.js";
import { cli } from "../support/cli.js";
import { orderCreated, virtualShop } from "../support/local.js";
import { genericHeaders, shopifyHeaders } from "../support/webhooks.js";

/**
 * Issue 32 §5–§8: replies as a phone keyboard types them, opt-outs that leave a trace, nothing raw on a
 * terminal, numbers in replies masked, local secrets refused one source at a time.
 */

const ESCAPE = "\u001b]0;pwned\u0007";

describe("replies as customers type them, through /inbound/sms", () => {
  it("opts out full-width and zero-width replies, hands questions to a person, and shows each opt-out with its reply in explain and the console", async () => {
    // Arrange: three customers who got a reminder; one types Ｔ in full width, one T with a zero-width space.
    const printed: string[] = [];
    const { shop, clock, failures } = await virtualShop(
      "2026-06-18T10:00:00+08:00",
      {},
      {
        print: (line) => printed.push(line),
      },
    );
    const http = await startHttpServer(shop.routes);
    const phones = { wide: "+8613800000101", zeroWidth: "+8613800000102", asker: "+8613800000103" };
    const reply = (from: string, text: string, at: string) =>
      fetch(`${http.url}/inbound/sms`, {
        method: "POST",
        headers: { "content-type": "application/json", "x-shopcare-token": shop.token },
        body: JSON.stringify({ from, text, at }),
      }).then((response) => response.json() as Promise<{ outcomes: string[] }>);
    const browser = await launchChromium();
    try {
      await shop.queue.enqueue(
        Object.entries(phones).map(([who, phone]) =>
          orderCreated("2026-06-18T10:00:00+08:00", { id: `r-${who}`, customerId: `c-${who}`, phone }),
        ),
        "test",
      );
      await shop.queue.drain();
      await clock.advanceTo(new Date("2026-06-18T11:30:00+08:00"));

      // Act
      const outcomes = [
        await reply(phones.wide, "Ｔ", "2026-06-18T11:20:00+08:00"),
        await reply(phones.zeroWidth, "T\u200b", "2026-06-18T11:21:00+08:00"),
        await reply(phones.asker, "Tea", "2026-06-18T11:22:00+08:00"),
        await reply(phones.asker, "退订单号是多少", "2026-06-18T11:23:00+08:00"),
        await reply(phones.asker, `改地址，打我13912345678 ${ESCAPE}`, "2026-06-18T11:24:00+08:00"),
      ];
      const explained = await cli(["explain", "--customer", "c-wide", "--url", http.url]);
      const byPhone = await cli(["explain", "--phone", phones.zeroWidth, "--url", http.url]);
      const asker = await cli(["explain", "--customer", "c-asker", "--url", http.url]);
      const page = await browser.newPage();
      await page.goto(`${http.url}/`);
      await page.waitForSelector("body[data-ready=true]");
      await page.fill("#search-value", "c-wide");
      await page.click("#search-form button");
      await page.waitForSelector('#timeline li[data-kind="opt-out"]');
      const consoleOptOut = await page.locator('#timeline li[data-kind="opt-out"]').innerText();

      // Assert: the opt-outs hold and leave a trace, with the reply that made each one.
      expect(outcomes.map((outcome) => outcome.outcomes[0])).toEqual([
        "opted-out",
        "opted-out",
        "handed-off",
        "handed-off",
        "handed-off",
      ]);
      expect(await shop.store.getPhoneOptOut(phones.wide)).toBe("2026-06-18T11:20:00+08:00");
      expect(explained.stdout).toMatch(
        /2026-06-18 11:20:00 {2}opt-out {3}\+86138\*\*\*\*0101 out of marketing by reply "Ｔ" \(local\)/,
      );
      expect(byPhone.stdout).toContain('out of marketing by reply "T\u200b" (local)');
      // The console speaks the shop's language (a shop in China: Chinese); ids and what was typed stay as they are.
      expect(consoleOptOut).toContain("回复“Ｔ”退订营销短信（local）");
      // Nothing raw reaches a terminal: the outbox line and explain show the escape as U+FFFD.
      const handoff = printed.find((line) => line.includes("改地址"));
      expect(handoff).toContain("\uFFFD]0;pwned\uFFFD");
      expect(printed.join("\n")).not.toContain("\u001b");
      expect(asker.stdout).not.toContain("\u001b");
      expect(asker.stdout).toContain("\uFFFD]0;pwned\uFFFD");
      // The number the customer wrote into the reply is masked, as the server was not started with it shown.
      expect(asker.stdout).toContain("打我139****5678");
      expect(asker.stdout).not.toContain("13912345678");
      expect(failures).toEqual([]);
    } finally {
      await browser.close();
      await http.close();
      shop.stop();
    }
  });

  it("shows numbers, names and reply texts in clear only when the server was started with them shown", async () => {
    // Arrange: the same shop twice, once with --show-phone.
    const masked = await virtualShop("2026-06-18T10:00:00+08:00");
    const shown = await virtualShop("2026-06-18T10:00:00+08:00", {}, { showPhone: true });
    const servers = await Promise.all([
      startHttpServer(masked.shop.routes),
      startHttpServer(shown.shop.routes),
    ]);
    try {
      for (const { shop, clock } of [masked, shown]) {
        await shop.queue.enqueue(
          [orderCreated("2026-06-18T10:00:00+08:00", { id: "p1", customerId: "c-p" })],
          "t",
        );
        await shop.queue.drain();
        await clock.advanceTo(new Date("2026-06-18T11:30:00+08:00"));
      }

      // Act: a request asking for numbers cannot turn them on.
      const ask = (index: number) =>
        fetch(`${servers[index]?.url}/admin/explain`, {
          method: "POST",
          headers: {
            "content-type": "application/json",
            "x-shopcare-token": (index === 0 ? masked : shown).shop.token,
          },
          body: JSON.stringify({ subject: { customer: "c-p" }, showPhone: true }),
        }).then((response) => response.text());
      const [maskedAnswer, shownAnswer] = [await ask(0), await ask(1)];

      // Assert
      expect(maskedAnswer).not.toContain("+8613800000000");
      expect(maskedAnswer).toContain("+86138****0000");
      expect(shownAnswer).toContain("+8613800000000");
    } finally {
      for (const server of servers) await server.close();
      masked.shop.stop();
      shown.shop.stop();
    }
  });
});

describe("local secrets are chosen together", () => {
  it("refuses a source without its own secret once another is set (401 naming it), and takes the one that has one", async () => {
    // Arrange: only the generic secret is set, as an operator who set one variable would.
    const env = { SHOPCARE_GENERIC_SECRET: "generic-only" };
    const { shop, clock } = await virtualShop(
      "2026-06-18T10:00:00+08:00",
      {},
      {
        secrets: environmentSecrets(env, LOCAL_WEBHOOK_SECRET),
      },
    );
    const http = await startHttpServer(shop.routes);
    const body = JSON.stringify(orderCreated("2026-06-18T10:00:00+08:00", { id: "s1" }));
    try {
      // Act: each signed with what would have worked before (the well-known local secret).
      const shopify = await fetch(`${http.url}/webhooks/shopify`, {
        method: "POST",
        body,
        headers: shopifyHeaders(body, "orders/create", "wh-s1", LOCAL_WEBHOOK_SECRET),
      });
      const kuaidi100 = await fetch(`${http.url}/webhooks/kuaidi100`, {
        method: "POST",
        body: "param=%7B%7D&sign=X",
        headers: { "content-type": "application/x-www-form-urlencoded" },
      });
      const generic = await fetch(`${http.url}/webhooks/generic`, {
        method: "POST",
        body,
        headers: genericHeaders(body, clock.now(), "generic-only"),
      });

      // Assert
      expect([shopify.status, kuaidi100.status, generic.status]).toEqual([401, 401, 202]);
      expect(await shopify.json()).toMatchObject({ error: "no secret set for shopify" });
      expect(await kuaidi100.json()).toMatchObject({ error: "no secret set for kuaidi100" });
    } finally {
      await http.close();
      shop.stop();
    }
  });
});
