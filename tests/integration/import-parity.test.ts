import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parseShopConfig } from "../../functions/core/config/config.js";
import { type CustomerConfig, profileOf } from "../../functions/core/customers/profiles.js";
import { everyCustomer, previewSegment } from "../../functions/core/customers/segments.js";
import { CUSTOMER_SHARDS } from "../../functions/core/shared/customer-ports.js";
import type { Repositories } from "../../functions/core/shared/ports.js";
import { MemoryTable } from "../../functions/local/emulator/memory-table.js";
import { startHttpServer } from "../../functions/local/emulator/server.js";
import { syntheticEvents } from "../../functions/local/simulator/synthetic.js";
import { cli } from "../support/cli.js";
import { virtualShop } from "../support/local.js";

/**
 * Issue 36: a year of a shop's history imported (`shopcare import --events … --url …`, the CLI as a child
 * process) gives the same profiles, levels, RFM and segments as the same year received live, event by
 * event, on a virtual clock — the CRM example's config (member levels, five segments).
 */

const CONFIG = (() => {
  const { campaigns: _campaigns, ...crm } = JSON.parse(
    readFileSync(new URL("../../examples/crm.json", import.meta.url), "utf8"),
  );
  return crm;
})();
const EVENTS = syntheticEvents({ orders: 400, days: 365, start: "2025-12-01", seed: 36 });
const END = "2026-12-01T12:00:00+08:00";

/** Every customer's profile at `END`, and each segment's members by stage and level. */
async function customersOf(store: Repositories) {
  const config = parseShopConfig(CONFIG);
  const now = new Date(END);
  const profiles: Record<string, unknown> = {};
  for await (const { customer } of everyCustomer(store, CUSTOMER_SHARDS))
    profiles[customer.customerId] = profileOf(customer, config as unknown as CustomerConfig, now);
  const segments: Record<string, unknown> = {};
  for (const name of Object.keys(config.segments)) {
    const { members, byStage, byLevel, customers } = await previewSegment(store, config, name, now);
    segments[name] = { members, byStage, byLevel, customers };
  }
  return { profiles, segments };
}

describe("history imported, as if received live", () => {
  it("gives every customer the same profile, and every segment the same members, as the year received live", async () => {
    // Arrange: the year live, each event at its time.
    const live = await virtualShop(EVENTS[0]?.at ?? END, CONFIG, { dynamo: new MemoryTable() });
    for (const event of EVENTS) {
      await live.clock.advanceTo(new Date(event.at));
      await live.shop.queue.enqueue([event], "live");
      await live.shop.queue.drain();
    }
    await live.clock.advanceTo(new Date(END));
    const imported = await virtualShop(END, CONFIG, { dynamo: new MemoryTable() });
    const http = await startHttpServer(imported.shop.routes);
    const file = `${process.env.TMPDIR ?? "/tmp"}/shopcare-import-${process.pid}.jsonl`;
    const { writeFileSync } = await import("node:fs");
    writeFileSync(file, EVENTS.map((event) => JSON.stringify(event)).join("\n"));

    try {
      // Act
      const run = await cli(["import", "--events", file, "--url", http.url], {
        SHOPCARE_TOKEN: imported.shop.token,
      });
      const expected = await customersOf(live.shop.store);
      const actual = await customersOf(imported.shop.store);

      // Assert
      expect(run.code, run.stderr).toBe(0);
      expect(Object.keys(expected.profiles).length).toBeGreaterThan(200);
      expect(actual.profiles).toEqual(expected.profiles);
      expect(actual.segments).toEqual(expected.segments);
      expect(
        Object.values(expected.segments).some((segment) => (segment as { members: number }).members > 0),
      ).toBe(true);
    } finally {
      live.shop.stop();
      imported.shop.stop();
      await http.close();
    }
  }, 180_000);
});
