import { readFile } from "node:fs/promises";
import { DynamoDBDocumentClient, PutCommand } from "@aws-sdk/lib-dynamodb";
import { describe, expect, it } from "vitest";
import { Store } from "../../functions/adapters/dynamodb/store.js";
import { parseShopConfig } from "../../functions/core/config/config.js";
import { backfillProfiles, previewSegment } from "../../functions/core/customers/segments.js";
import { buildReport } from "../../functions/core/insight/report.js";
import type { ShopEvent } from "../../functions/core/intake/events.js";
import { parseEventLines } from "../../functions/local/simulator/simulate.js";
import { phoneOf } from "../support/campaigns.js";
import { dynamo, freshTable, runSimulation } from "../support/local.js";
import { local as at } from "../support/time.js";

/**
 * docs/campaigns.md's holiday care as an operator runs it, and `shopcare backfill` for a table deployed before
 * profiles were kept.
 */

describe("docs/campaigns.md's holiday care (examples/crm.json)", () => {
  it("greets every buyer at the new year and warms the year's repeat buyers up for 618, most recent first, and credits their orders", async () => {
    const config = JSON.parse(await readFile("examples/crm.json", "utf8"));
    const events = parseEventLines(await readFile("examples/crm.jsonl", "utf8"));

    const decisions = await runSimulation(events, config);

    const campaign = (id: string) => decisions.filter((d) => d.journey === "campaign" && d.step === id);
    const newyear = campaign("newyear-2027");
    const warmup = campaign("warmup-618");
    // Twelve customers, eleven of whom paid; m5 paid last (14 December).
    expect(newyear).toHaveLength(11);
    expect(newyear.every((d) => d.outcome === "sent" && d.at.startsWith("2027-01-01T10:00"))).toBe(true);
    expect(newyear[0]?.customerId).toBe("m5");
    // Two paid orders or more, the last within a year of 10 June 2027.
    expect(warmup.map((d) => d.customerId).sort()).toEqual(["m1", "m11", "m2", "m3", "m5", "m7", "m9"]);
    expect(warmup.find((d) => d.customerId === "m5")?.text).toBe(
      "【茶小铺】陈静，618预热开始啦！金卡会员专享20元券618VIP。拒收请回复R",
    );
    const report = buildReport(parseShopConfig(config), decisions, (await ordersOf(events)) as never);
    expect(report.campaigns.map((c) => [c.campaign, c.sent, c.converted, c.revenue])).toEqual([
      ["newyear-2027", 11, 1, 199],
      ["warmup-618", 7, 1, 399],
    ]);
  });
});

/** The paid orders of an events file, as the report reads them. */
async function ordersOf(events: readonly ShopEvent[]) {
  const paid = new Map(
    events.filter((e) => e.type === "order.paid").map((e) => [(e as { orderId: string }).orderId, e.at]),
  );
  return events
    .filter((e): e is Extract<ShopEvent, { type: "order.created" }> => e.type === "order.created")
    .map((e) => ({
      orderId: e.order.id,
      customerId: e.order.customer.id,
      amount: e.order.amount,
      items: e.order.items,
      paidAt: paid.get(e.order.id),
    }));
}

describe("shopcare backfill (a table deployed before profiles were kept)", () => {
  it("puts each paid order of the table's orders on its customer's profile, once however often it runs", async () => {
    const config = parseShopConfig({ segments: { buyers: { minPaidOrders: 1 } } });
    const tableName = await freshTable("backfill");
    const doc = DynamoDBDocumentClient.from(dynamo());
    // What the table held before: orders and a profile, no purchases, no directory keys.
    const legacyOrder = (orderId: string, paidAt?: string) => ({
      pk: `ORDER#${orderId}`,
      sk: "ORDER",
      orderId,
      customerId: "old",
      createdAt: "2026-05-01T10:00:00+08:00",
      amount: 120,
      items: [{ category: "tea", quantity: 2 }],
      gsi1pk: "CUSTOMER#old",
      gsi1sk: `2026-05-01T02:00:00.000Z#${orderId}`,
      ...(paidAt ? { paidAt } : {}),
    });
    for (const item of [
      legacyOrder("L1", "2026-05-01T10:05:00+08:00"),
      legacyOrder("L2"),
      {
        pk: "CUSTOMER#old",
        sk: "PROFILE",
        customerId: "old",
        phone: phoneOf(9),
        contactAt: "2026-05-01T10:00:00+08:00",
      },
    ])
      await doc.send(new PutCommand({ TableName: tableName, Item: item }));
    const store = new Store(dynamo(), tableName);
    const now = new Date(at("2026-06-01", "10:00"));
    expect((await previewSegment(store, config, "buyers", now)).members).toBe(0);

    const first = await backfillProfiles(store);
    const again = await backfillProfiles(store);

    expect(first).toEqual({ orders: 2, kept: 1, customers: 1 });
    expect(again).toEqual(first);
    const preview = await previewSegment(store, config, "buyers", now);
    expect(preview.sample).toMatchObject([{ customerId: "old", paidOrders: 1, spend: 120 }]);
  });
});
