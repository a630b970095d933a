import { describe, expect, it } from "vitest";
import { Store } from "../../functions/adapters/dynamodb/store.js";
import { parseShopConfig, type ShopConfig } from "../../functions/core/config/config.js";
import { profileOf } from "../../functions/core/customers/profiles.js";
import { dispatchEvent, type JourneyStarter } from "../../functions/core/engine/dispatch.js";
import type { ShopEvent } from "../../functions/core/intake/events.js";
import type { CustomerRecord, Purchase } from "../../functions/core/shared/model.js";
import { MemoryTable } from "../../functions/local/emulator/memory-table.js";
import { VirtualClock } from "../../functions/local/emulator/virtual-clock.js";
import { dynamo, freshTable, orderCreated } from "../support/local.js";

/**
 * Issue 33: a customer item holds one attribute per paid order, so a reseller's ≈ 4,000 paid orders reached
 * DynamoDB's 400 KB item limit ("Service, account, and table quotas in Amazon DynamoDB": item size), after which
 * every event for them failed. The profile keeps the last `profiles.keepPurchases` whole and rolls the older
 * ones into totals every figure still counts.
 */

const noJourneys: JourneyStarter = { start: async () => {}, stop: async () => {} };
const CATEGORIES = ["tea", "cups", "snacks", "gifts"];

/** `orders` paid orders of one customer, a day apart from 2020, a few refunded, as events. */
function history(customerId: string, orders: number): ShopEvent[] {
  const events: ShopEvent[] = [];
  for (let index = 0; index < orders; index += 1) {
    const at = new Date(Date.UTC(2020, 0, 1) + index * 3_600_000 * 7).toISOString();
    const id = `${customerId}-o${index}`;
    const created = orderCreated(at, {
      id,
      customerId,
      amount: 50 + (index % 17),
      items: [{ category: CATEGORIES[index % CATEGORIES.length] as string }],
    });
    events.push(created, { type: "order.paid", at, orderId: id } as ShopEvent);
    // Every 97th order refunded, some in full (they stop counting), some in part.
    if (index % 97 === 3)
      events.push({
        type: "refund.completed",
        at: new Date(Date.parse(at) + 3_600_000).toISOString(),
        orderId: id,
        amount: index % 2 === 0 ? 50 + (index % 17) : 10,
      } as ShopEvent);
  }
  return events;
}

async function dispatchAll(store: Store, config: ShopConfig, events: readonly ShopEvent[]): Promise<void> {
  const clock = new VirtualClock(new Date(events[0]?.at ?? 0));
  for (const event of events) {
    if (Date.parse(event.at) > clock.now().getTime()) await clock.advanceTo(new Date(event.at));
    await dispatchEvent({ config, store, journeys: noJourneys, clock }, event);
  }
}

/** The same customer with every paid order kept whole: what the profile was before roll-ups. */
async function wholeHistory(store: Store, customer: CustomerRecord): Promise<CustomerRecord> {
  const orders = await store.listCustomerOrders(customer.customerId);
  const purchases: Purchase[] = orders
    .filter((order) => order.paidAt)
    .map((order) => ({
      orderId: order.orderId,
      paidAt: order.paidAt as string,
      amount: order.amount ?? 0,
      refunded: order.refundedAmount ?? 0,
      items: (order.items ?? []).reduce((sum, item) => sum + (Number(item.quantity) || 1), 0),
      categories: [...new Set((order.items ?? []).map((item) => item.category as string))],
    }))
    .sort((a, b) => Date.parse(a.paidAt) - Date.parse(b.paidAt));
  const { rolledUp: _totals, rolledUpTo: _to, ...rest } = customer;
  return { ...rest, purchases };
}

/** DynamoDB's item size, close enough: attribute names and values as UTF-8 (numbers count like their text). */
const itemBytes = (item: Record<string, unknown>) => Buffer.byteLength(JSON.stringify(item), "utf8");

describe("a customer's profile item stays bounded", () => {
  it("keeps 5,000 paid orders of one customer under 64 KB, applying every event, with the profile of the whole history", async () => {
    // Arrange: levels by spend and by orders, RFM cut points, so every figure is exercised.
    const config = parseShopConfig({
      members: {
        levels: [
          { name: "银卡", minSpend: 1000 },
          { name: "金卡", minOrders: 4000 },
        ],
      },
      rfm: {
        bounds: { r: ["7d", "30d", "90d", "180d"], f: [2, 5, 100, 1000], m: [100, 1000, 10000, 100000] },
      },
    });
    const table = new MemoryTable();
    const store = new Store(table, "bounded");
    const events = history("reseller", 5_000);

    // Act
    await dispatchAll(store, config, events);
    const item = (await store.scanAll()).find(
      (candidate) => candidate.pk === "CUSTOMER#reseller" && candidate.sk === "PROFILE",
    );
    const customer = (await store.getCustomer("reseller")) as CustomerRecord;
    const now = new Date(events.at(-1)?.at ?? 0);
    const rolled = profileOf(customer, config, now);
    const whole = profileOf(await wholeHistory(store, customer), config, now);

    // Assert
    expect(itemBytes(item as Record<string, unknown>)).toBeLessThan(64 * 1024);
    expect(customer.purchases).toHaveLength(config.profiles.keepPurchases);
    expect(customer.rolledUp?.orders).toBeGreaterThan(4_800);
    expect((await store.listCustomerOrders("reseller")).filter((order) => order.paidAt)).toHaveLength(5_000);
    expect({ ...rolled, spend: Math.round(rolled.spend * 100) }).toEqual({
      ...whole,
      spend: Math.round(whole.spend * 100),
    });
    expect(rolled.level).toBe("金卡");
  });

  it("rolls up on DynamoDB Local too, counting a replayed old purchase once, and keeps the smallest allowed whole", async () => {
    // Arrange: a real table, 5 kept whole.
    const config = parseShopConfig({ profiles: { keepPurchases: 5 } });
    const store = new Store(dynamo(), await freshTable("bounded"));
    const events = history("c-local", 40);
    await dispatchAll(store, config, events);
    const before = (await store.getCustomer("c-local")) as CustomerRecord;

    // Act: the archive replayed (every event again), as `shopcare replay` would.
    await dispatchAll(store, config, events);
    const after = (await store.getCustomer("c-local")) as CustomerRecord;
    const now = new Date(events.at(-1)?.at ?? 0);

    // Assert
    expect(before.purchases).toHaveLength(5);
    expect(after.rolledUp).toEqual(before.rolledUp);
    expect(profileOf(after, config, now)).toEqual(profileOf(await wholeHistory(store, after), config, now));
  });

  it("keeps the customer's earliest paid order as firstPaid, whatever order the payments arrive in, on DynamoDB Local", async () => {
    // Arrange: three orders paid on the 2nd, 1st and 3rd of June, dispatched in that order.
    const config = parseShopConfig({});
    const store = new Store(dynamo(), await freshTable("first-paid"));
    const paid = (id: string, day: string): ShopEvent[] => [
      orderCreated(`2026-06-0${day}T09:00:00+08:00`, { id, customerId: "c-first" }),
      { type: "order.paid", at: `2026-06-0${day}T10:00:00+08:00`, orderId: id } as ShopEvent,
    ];
    const firstPaid: (string | undefined)[] = [];

    // Act
    for (const [id, day] of [
      ["b", "2"],
      ["a", "1"],
      ["c", "3"],
    ] as const) {
      await dispatchAll(store, config, paid(id, day));
      firstPaid.push((await store.getCustomer("c-first"))?.firstPaid);
    }

    // Assert: the earliest so far, in the order paidOrders sorts them (payment time, then creation, then id).
    expect(firstPaid).toEqual([
      "2026-06-02T02:00:00.000Z|2026-06-02T01:00:00.000Z#b",
      "2026-06-01T02:00:00.000Z|2026-06-01T01:00:00.000Z#a",
      "2026-06-01T02:00:00.000Z|2026-06-01T01:00:00.000Z#a",
    ]);
  });
});
