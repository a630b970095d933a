import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { BULK_OVER, ShopifyAdmin } from "../../functions/adapters/shopify/admin.js";
import {
  eventsOfShopifyOrder,
  type ShopifyOrderNode,
} from "../../functions/core/intake/webhooks/shopify-orders.js";
import { FakeShopify } from "../support/fake-shopify.js";

/**
 * Issue 36: a shop with more than 10,000 orders is read with one bulk operation ("Perform bulk operations
 * with the GraphQL Admin API"): `ordersCount` first, `bulkOperationRunQuery`, its status polled by `node(id)`
 * until COMPLETED, its JSONL downloaded from the signed URL, each line item joined to its order by
 * `__parentId` — against the fake Admin API on a real HTTP server.
 */

const TOKEN = "shpat_bulk_test";

function orders(count: number): ShopifyOrderNode[] {
  return Array.from({ length: count }, (_, index) => ({
    id: `gid://shopify/Order/${9_000_000 + index}`,
    createdAt: new Date(Date.parse("2026-01-01T00:00:00Z") + index * 60_000).toISOString(),
    displayFinancialStatus: "PAID",
    totalPriceSet: { shopMoney: { amount: "88.00", currencyCode: "CNY" } },
    customer: { id: `gid://shopify/Customer/${700 + (index % 500)}`, phone: "+8613800138000" },
    lineItems: {
      nodes: [
        { sku: "TEA-1", title: "龙井", quantity: 1 },
        { sku: "CUP-2", title: "杯", quantity: 1 + (index % 2) },
      ],
    },
  }));
}

describe("Shopify orders in bulk", () => {
  let shopify: FakeShopify;
  const admin = () =>
    new ShopifyAdmin({
      shop: "acme.myshopify.com",
      accessToken: TOKEN,
      apiVersion: "2026-10",
      adminUrl: shopify.url,
      bulkPollMs: 5,
    });

  beforeEach(async () => {
    shopify = await new FakeShopify(TOKEN, "2026-10").start();
  });
  afterEach(() => shopify.stop());

  it("reads more than 10,000 orders with one bulk operation, line items joined to their orders", async () => {
    // Arrange
    shopify.orders = orders(BULK_OVER + 1);
    const statuses: string[] = [];

    // Act
    const read: ShopifyOrderNode[] = [];
    for await (const page of admin().ordersSince(new Date("2025-12-01T00:00:00Z"), (line) =>
      statuses.push(line),
    ))
      read.push(...page);

    // Assert
    expect(shopify.requests.map((request) => request.field)).toEqual([
      "ordersCount",
      "bulkOperationRunQuery",
      "node",
      "node",
    ]);
    expect(String(shopify.requests[1]?.variables.query)).toContain(
      'orders(query: "created_at:>=2025-12-01T00:00:00.000Z"',
    );
    expect(statuses).toEqual([
      "10001 orders: one bulk operation",
      "bulk operation running: 0 objects",
      "bulk operation completed: 30003 objects",
    ]);
    expect(read).toHaveLength(BULK_OVER + 1);
    expect(read[3]?.lineItems?.nodes).toEqual([
      { sku: "TEA-1", title: "龙井", quantity: 1 },
      { sku: "CUP-2", title: "杯", quantity: 2 },
    ]);
    const [created] = eventsOfShopifyOrder(read[3] as ShopifyOrderNode);
    expect(created).toMatchObject({
      type: "order.created",
      order: { id: "9000003", items: [{}, { quantity: 2 }] },
    });
  });

  it("reads 10,000 orders or fewer page by page, 250 at a time", async () => {
    // Arrange
    shopify.orders = orders(600);

    // Act
    let count = 0;
    for await (const page of admin().ordersSince(new Date("2025-12-01T00:00:00Z"))) count += page.length;

    // Assert
    expect(count).toBe(600);
    expect(shopify.requests.map((request) => request.field)).toEqual([
      "ordersCount",
      "orders",
      "orders",
      "orders",
    ]);
  });
});
