import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { ShopEvent } from "../../functions/core/intake/events.js";
import {
  estimateTotal,
  parseSampleFraction,
  sampleEventFile,
  sampleEvents,
} from "../../functions/local/simulator/sample.js";
import { groupEvents, keysOf } from "../../functions/local/simulator/shards.js";
import { syntheticEvents } from "../../functions/local/simulator/synthetic.js";

/** Issue 38: a what-if on a sample of the history's customer groups. */

const month = () => syntheticEvents({ orders: 2_000, days: 30, seed: 5 });

/** Each event's group, by the events' identity. */
function groupsOf(events: readonly ShopEvent[]): Map<ShopEvent, string> {
  const groups = groupEvents(events);
  return new Map(events.map((event, index) => [event, groups[index] as string]));
}

describe("whatif --sample", () => {
  it("reads a share as 0.05 or 5%, and names --sample for anything not above 0 and at most 1", () => {
    expect(parseSampleFraction("5%")).toBe(0.05);
    expect(parseSampleFraction("0.2")).toBe(0.2);
    expect(parseSampleFraction("100%")).toBe(1);
    // Full-width digits and percent signs, as a Chinese keyboard types them, are refused by name too.
    for (const bad of ["0", "0%", "150%", "1.5", "-0.1", "five", "", "５%", "5％", "0x1", "1e-2"])
      expect(() => parseSampleFraction(bad), bad).toThrow(/--sample is a share above 0 and at most 1/);
  });

  it("keeps whole customer groups: every event of a drawn group, none of the others, about the share drawn", () => {
    // Arrange
    const events = month();
    const groupOf = groupsOf(events);

    // Act
    const sample = sampleEvents(events, 0.25, 7);

    // Assert: each group is all in or all out.
    const kept = new Set(sample.events.map((event) => groupOf.get(event)));
    const keptEvents = new Set(sample.events);
    const misplaced = events.filter((event) => keptEvents.has(event) !== kept.has(groupOf.get(event)));
    expect(misplaced).toEqual([]);
    expect(sample.sampledGroups).toBe(kept.size);
    expect(sample.groups).toBe(new Set(groupOf.values()).size);
    expect(sample.sampledGroups / sample.groups).toBeGreaterThan(0.2);
    expect(sample.sampledGroups / sample.groups).toBeLessThan(0.3);
    expect(sample.totalEvents).toBe(events.length);
  });

  it("draws the same customers for the same seed, others for another, and everyone at 100%", () => {
    const events = month();

    const [first, again, other, all] = [
      sampleEvents(events, 0.1, 1),
      sampleEvents(events, 0.1, 1),
      sampleEvents(events, 0.1, 2),
      sampleEvents(events, 1, 1),
    ];

    expect(again.events).toEqual(first.events);
    expect(other.events).not.toEqual(first.events);
    expect(all.events).toHaveLength(events.length);
  });

  it("keeps customers joined by a shared phone number together (an opt-out by number reaches both)", () => {
    // Arrange: two customers on one number; the opt-out names only the number.
    const order = (id: string, customerId: string) =>
      ({
        type: "order.created",
        at: "2026-06-01T10:00:00+08:00",
        order: { id, customer: { id: customerId, phone: "+8613800000001" }, amount: 10 },
      }) as ShopEvent;
    const events = [
      order("o1", "c1"),
      order("o2", "c2"),
      { type: "customer.opted_out", at: "2026-06-02T10:00:00+08:00", phone: "+8613800000001" } as ShopEvent,
    ];

    // Act: across seeds, the three go together.
    const sizes = new Set(
      Array.from({ length: 20 }, (_, seed) => sampleEvents(events, 0.5, seed).events.length),
    );

    // Assert
    expect([...sizes].sort()).toEqual([0, 3]);
    expect(keysOf(events[2] as ShopEvent)).toEqual(["phone:+8613800000001"]);
  });

  it("reads an events file as a stream into the same sample, and names a bad line and field", async () => {
    // Arrange
    const events = month();
    const dir = await mkdtemp(join(tmpdir(), "shopcare-sample-"));
    const file = join(dir, "events.jsonl");
    await writeFile(file, `# a month\n${events.map((event) => JSON.stringify(event)).join("\n")}\n`);
    const bad = join(dir, "bad.jsonl");
    await writeFile(bad, `${JSON.stringify(events[0])}\n{"type":"order.paid","at":"soon","orderId":"x"}\n`);

    // Act
    const fromFile = await sampleEventFile(file, 0.3, 4);
    const failure = await sampleEventFile(bad, 0.3, 4).catch((error: Error) => error);

    // Assert
    expect(fromFile.events).toEqual(sampleEvents(events, 0.3, 4).events);
    expect(fromFile.totalEvents).toBe(events.length);
    expect(String(failure)).toContain("line 2: at:");
  });

  it("estimates a total as Σy/p with a 95% interval, exact at 100%", () => {
    expect(estimateTotal([1, 2, 3], 1)).toEqual({ value: 6, low: 6, high: 6 });
    const half = 1.96 * Math.sqrt(((1 - 0.5) / 0.25) * (1 + 4 + 9));
    expect(estimateTotal([1, 2, 3], 0.5)).toEqual({ value: 12, low: 12 - half, high: 12 + half });
    expect(estimateTotal([], 0.1)).toEqual({ value: 0, low: 0, high: 0 });
  });
});
