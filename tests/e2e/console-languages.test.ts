import { describe, expect, it } from "vitest";
import { launchChromium, watchedPage } from "../support/browser.js";
import { searchCustomer, shopWithReminder } from "../support/console.js";

describe("the console in the operator's language", () => {
  it("speaks Chinese to a shop in China, with dates and counts for zh-CN, and switches to English for this browser", async () => {
    // Arrange: a shop in China (the default country) whose reminder went out, with a campaign to come.
    const { shop, http } = await shopWithReminder(
      {
        name: "小店",
        segments: { all: {} },
        campaigns: [
          {
            id: "spring",
            segment: "all",
            at: "2026-07-01T10:00:00+08:00",
            template: "【{shop}】{name}，新品上市。拒收请回复R",
          },
        ],
      },
      { id: "z1", customerId: "c-zh" },
    );
    const browser = await launchChromium();
    try {
      const { page, errors, foreign } = await watchedPage(browser, http.url);

      // Act: the page as it opens, a search, and the report.
      await searchCustomer(page, http.url, "c-zh");
      await page.click("#report-form button");
      await page.locator("#report-view h1").waitFor();
      const chinese = {
        lang: await page.getAttribute("html", "lang"),
        title: await page.title(),
        heading: await page.locator("#search h2").innerText(),
        status: await page.locator("#search-status").innerText(),
        timeline: await page.locator("#timeline li").allInnerTexts(),
        outcome: await page.locator("#decision-rows td[data-outcome=sent]").first().innerText(),
        campaign: await page.locator('#campaign-rows tr[data-campaign="spring"]').innerText(),
        buttons: await page.locator('#campaign-rows tr[data-campaign="spring"] button').allInnerTexts(),
        report: await page.locator("#report-view h1").innerText(),
      };
      await page.selectOption("#locale", "en");
      await page.locator("#search h2", { hasText: "Why did" }).waitFor();
      const switched = { lang: await page.getAttribute("html", "lang"), title: await page.title() };
      await page.reload();
      await page.waitForSelector("body[data-ready=true]");
      const reloaded = await page.locator("#search h2").innerText();

      // Assert
      expect(chinese.lang).toBe("zh-CN");
      expect(chinese.title).toBe("shopcare 控制台");
      expect(chinese.heading).toBe("为什么收到（或没收到）短信？");
      expect(chinese.status).toMatch(/^客户 c-zh 共 \d+ 条记录$/);
      expect(chinese.timeline[0]).toMatch(/^事件\s*2026年6月18日 10:00:00 · order\.created z1 \(generic, /);
      expect(
        chinese.timeline.some((line) => line.includes("payment-reminder.first · 订单 z1 · 已发送")),
      ).toBe(true);
      expect(chinese.outcome).toBe("已发送");
      expect(chinese.campaign).toMatch(
        /^spring\tall\t2026年7月1日 10:00:00\t2026年7月4日 10:00:00\t进行中\t未开始\t0\t0\t—/,
      );
      expect(chinese.buttons).toEqual(["暂停", "取消"]);
      expect(chinese.report).toBe("小店：各旅程的效果");
      expect(switched).toEqual({ lang: "en", title: "shopcare console" });
      // The choice is this browser's: it stays on reload; the shop's locale is only the default.
      expect(reloaded).toBe("Why did (or didn't) they get a message?");
      expect(errors).toEqual([]);
      expect(foreign).toEqual([]);
    } finally {
      await browser.close();
      await http.close();
      shop.stop();
    }
  });
});
