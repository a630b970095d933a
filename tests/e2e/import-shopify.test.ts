import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { ShopifyOrderNode } from "../../functions/core/intake/webhooks/shopify-orders.js";
import { MemoryTable } from "../../functions/local/emulator/memory-table.js";
import { startHttpServer } from "../../functions/local/emulator/server.js";
import { cli } from "../support/cli.js";
import { FakeShopify } from "../support/fake-shopify.js";
import { virtualShop } from "../support/local.js";

/**
 * Issue 36: `shopcare import --shopify` as an operator runs it — a child process reading a year of a shop's
 * orders through a protocol-level fake of the GraphQL Admin API (`orders`, cursor pagination, at most 250
 * a page), applying them to a running shop (`--url`).
 */

const TOKEN = "shpat_import_test";
const DAY = 86_400_000;
const ORDERS = 2500;

/** 2,500 orders of 900 customers over the last 360 days, oldest first; every 10th unpaid, every 25th shipped. */
function shopOrders(now: number): ShopifyOrderNode[] {
  return Array.from({ length: ORDERS }, (_, index) => {
    const createdAt = new Date(now - (360 - (index * 359) / ORDERS) * DAY).toISOString();
    // The last 100 orders are new customers' first: their gifts are still ahead.
    const customer = index >= ORDERS - 100 ? 2000 + index - (ORDERS - 100) : 1000 + ((index * 7) % 800);
    const paid = index % 10 !== 9;
    return {
      id: `gid://shopify/Order/${5_000_000 + index}`,
      createdAt,
      processedAt: createdAt,
      displayFinancialStatus: paid ? "PAID" : "PENDING",
      totalPriceSet: { shopMoney: { amount: `${50 + (index % 9) * 40}.00`, currencyCode: "CNY" } },
      customer: {
        id: `gid://shopify/Customer/${customer}`,
        firstName: "芳",
        phone: `+86138${String(customer).padStart(8, "0")}`,
      },
      shippingAddress: { city: "杭州", province: "浙江", provinceCode: "ZJ", countryCodeV2: "CN" },
      lineItems: { nodes: [{ sku: "TEA-1", title: "龙井", quantity: 1 + (index % 3) }] },
      fulfillments:
        paid && index % 25 === 0
          ? [{ createdAt, trackingInfo: [{ number: `SF${index}`, company: "顺丰速运" }] }]
          : [],
      refunds: [],
    };
  });
}

describe("shopcare import --shopify", () => {
  let shopify: FakeShopify;

  beforeEach(async () => {
    shopify = await new FakeShopify(TOKEN, "2026-10").start();
  });
  afterEach(() => shopify.stop());

  it("imports 2,500 orders page by page, starts only what is still ahead, and changes nothing the second time", async () => {
    // Arrange
    const now = Date.now();
    shopify.orders = shopOrders(now);
    const { shop, failures } = await virtualShop(
      new Date(now).toISOString(),
      {},
      { dynamo: new MemoryTable() },
    );
    const http = await startHttpServer(shop.routes);
    const env = { SHOPCARE_SHOPIFY_ADMIN_URL: shopify.url, SHOPCARE_TOKEN: shop.token };
    const args = ["import", "--shopify", "--shop", "acme.myshopify.com", "--token", TOKEN, "--url", http.url];

    try {
      // Act
      const first = await cli(args, env);
      const afterFirst = await sortedItems(shop.store.scanAll());
      const second = await cli(args, env);
      const afterSecond = await sortedItems(shop.store.scanAll());

      // Assert
      expect(first.code, first.stderr).toBe(0);
      expect(first.stdout).toMatch(
        /^import: \d+ events applied; \d+ step\(s\) still ahead started; \d+ recorded skipped before-import\n$/,
      );
      const pages = shopify.requests.filter((request) => request.field === "orders");
      expect(pages).toHaveLength(2 * Math.ceil(ORDERS / 250));
      expect(pages[0]?.variables).toMatchObject({
        first: 250,
        query: expect.stringMatching(/^created_at:>=/),
      });
      expect(await shop.store.listOrders()).toHaveLength(ORDERS);
      // The first paid order of customer 1000 was 360 days ago: its 30-day gift fell due before the import.
      const decisions = await shop.store.listDecisions();
      expect(decisions).toContainEqual(
        expect.objectContaining({
          journey: "gift-30",
          customerId: "1000",
          outcome: "skipped",
          reason: "before-import",
        }),
      );
      expect(decisions.filter((decision) => decision.outcome !== "skipped")).toEqual([]);
      // A new customer's gifts are still ahead (first paid a day ago): their executions run.
      const ahead = (await shop.store.listExecutions("2098")).filter((entry) => entry.action === "started");
      expect(ahead.map((entry) => entry.journey)).toContain("gift-30");
      // Nothing of the past was started: customer 1000's gift is a decision, not an execution.
      const past = (await shop.store.listExecutions("1000")).map((entry) => entry.journey);
      expect(past).not.toContain("gift-30");
      expect((await shop.store.getCustomer("1000"))?.purchases?.length).toBeGreaterThan(0);
      expect(second.code, second.stderr).toBe(0);
      expect(changed(afterFirst, afterSecond)).toEqual([]);
      expect(failures).toEqual([]);
    } finally {
      shop.stop();
      await http.close();
    }
  }, 120_000);
});

/** Every item of the table, in a stable order. */
async function sortedItems(items: Promise<Record<string, unknown>[]>) {
  return (await items)
    .map((item) => JSON.stringify(item, (_, value) => (value instanceof Set ? [...value].sort() : value)))
    .sort();
}

/** The items only one of two table images holds (at most five of each), to show what changed. */
function changed(before: string[], after: string[]): string[] {
  const was = new Set(before);
  const is = new Set(after);
  return [
    ...before
      .filter((item) => !is.has(item))
      .slice(0, 5)
      .map((item) => `- ${item}`),
    ...after
      .filter((item) => !was.has(item))
      .slice(0, 5)
      .map((item) => `+ ${item}`),
  ];
}
