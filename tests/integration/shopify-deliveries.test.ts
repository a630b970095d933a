import { describe, expect, it } from "vitest";
import { Store } from "../../functions/adapters/dynamodb/store.js";
import { shopifyDeliveriesCheck } from "../../functions/local/aws/doctor-shopify.js";
import { dynamo, freshTable } from "../support/local.js";

/** Issue 36: doctor asks whether Shopify's deliveries arrive, from the kept webhooks (DynamoDB Local). */

const NOW = new Date("2026-06-20T12:00:00Z");
const minutesAgo = (minutes: number) => new Date(NOW.getTime() - minutes * 60_000).toISOString();

/** A kept delivery from `source` received `minutes` before NOW. */
const delivery = (source: string, id: string, minutes: number) => ({
  id: `${source}-${id}`,
  source,
  receivedAt: minutesAgo(minutes),
  body: "{}",
  status: "accepted" as const,
});

describe("doctor's shopify-deliveries check", () => {
  it("finds the newest Shopify delivery under two thousand newer ones from Kuaidi100, page by page", async () => {
    // Arrange: a Shopify delivery 3 hours ago, an older one, and 2,000 Kuaidi100 pushes since (over 100 a shard).
    const store = new Store(dynamo(), await freshTable("shopify-deliveries"));
    await store.archiveWebhook(delivery("shopify", "old", 3 * 24 * 60));
    await store.archiveWebhook(delivery("shopify", "latest", 180));
    for (let n = 0; n < 2000; n += 1)
      await store.archiveWebhook(delivery("kuaidi100", String(n), 170 - n / 20));

    // Act
    const latest = await store.archive.latestWebhookFrom("shopify", new Date(NOW.getTime() - 7 * 86_400_000));
    const check = await shopifyDeliveriesCheck(store.archive, NOW);

    // Assert
    expect(latest).toBe(minutesAgo(180));
    expect(check).toMatchObject({ status: "ok", summary: `the last Shopify delivery ${minutesAgo(180)}` });
  }, 120_000);

  it("warns when the last Shopify delivery is more than a day old, and when there is none in a week", async () => {
    // Arrange
    const stale = new Store(dynamo(), await freshTable("shopify-deliveries-stale"));
    await stale.archiveWebhook(delivery("shopify", "two-days", 2 * 24 * 60));
    await stale.archiveWebhook(delivery("generic", "recent", 5));
    const none = new Store(dynamo(), await freshTable("shopify-deliveries-none"));
    await none.archiveWebhook(delivery("shopify", "ten-days", 10 * 24 * 60));

    // Act
    const staleCheck = await shopifyDeliveriesCheck(stale.archive, NOW);
    const noneCheck = await shopifyDeliveriesCheck(none.archive, NOW);

    // Assert
    expect(staleCheck).toMatchObject({
      status: "warn",
      summary: `no Shopify delivery in a day (the last ${minutesAgo(2 * 24 * 60)})`,
    });
    expect(noneCheck).toMatchObject({ status: "warn", summary: "no Shopify delivery in 7 days" });
  });
});
