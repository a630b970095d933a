import { describe, expect, it } from "vitest";
import type { ShopEvent } from "../../functions/core/intake/events.js";
import { shardEvents } from "../../functions/local/simulator/shards.js";
import { syntheticEvents } from "../../functions/local/simulator/synthetic.js";

const created = (orderId: string, customerId: string, phone: string): ShopEvent => ({
  type: "order.created",
  at: "2026-06-18T10:00:00+08:00",
  order: {
    id: orderId,
    customer: { id: customerId, phone, name: "王芳" },
    amount: 129,
    currency: "CNY",
    paymentMethod: "online",
    gift: false,
    items: [],
  },
});

describe("sharding a stream for parallel simulation", () => {
  it("keeps a customer's orders, their events and everyone sharing a phone number in one shard", () => {
    const events: ShopEvent[] = [
      created("o1", "alice", "+8613800000001"),
      created("o2", "bob", "+8613800000002"),
      created("o3", "carol", "+8613800000001"), // carol uses alice's phone
      { type: "order.paid", at: "2026-06-18T10:05:00+08:00", orderId: "o2" },
      { type: "customer.opted_out", at: "2026-06-18T11:00:00+08:00", phone: "+8613800000001" },
      { type: "order.paid", at: "2026-06-18T10:06:00+08:00", orderId: "o3" },
    ];

    const shards = shardEvents(events, 2);

    const shardOf = (predicate: (event: ShopEvent) => boolean) =>
      shards.findIndex((shard) => shard.some(predicate));
    const aliceShard = shardOf((e) => e.type === "order.created" && e.order.id === "o1");
    expect(shardOf((e) => e.type === "order.created" && e.order.id === "o3")).toBe(aliceShard);
    expect(shardOf((e) => e.type === "customer.opted_out")).toBe(aliceShard);
    expect(shardOf((e) => e.type === "order.paid" && e.orderId === "o3")).toBe(aliceShard);
    const bobShard = shardOf((e) => e.type === "order.created" && e.order.id === "o2");
    expect(bobShard).not.toBe(aliceShard);
    expect(shardOf((e) => e.type === "order.paid" && e.orderId === "o2")).toBe(bobShard);
  });

  it("loses and repeats nothing, keeps each shard in stream order and balances the shards", () => {
    const events = syntheticEvents({ orders: 400, days: 60, seed: 9 });

    const shards = shardEvents(events, 2);

    expect(shards.flat()).toHaveLength(events.length);
    expect(new Set(shards.flat())).toEqual(new Set(events));
    for (const shard of shards) {
      const positions = shard.map((event) => events.indexOf(event));
      expect(positions).toEqual([...positions].sort((a, b) => a - b));
    }
    const [first, second] = shards.map((shard) => shard.length);
    expect(Math.abs((first ?? 0) - (second ?? 0))).toBeLessThan(events.length * 0.1);
  });
});
