import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { parseShopConfig } from "../../functions/core/config/config.js";
import type { DecisionRecord } from "../../functions/core/shared/model.js";
import { parseEventLines, simulate } from "../../functions/local/simulator/simulate.js";
import { syntheticEvents } from "../../functions/local/simulator/synthetic.js";
import { dynamo, templateFor } from "../support/local.js";

/**
 * Decisions in a stable order, timed to the second: sends due at the same instant are paced into
 * sub-second slots in whichever order their executions reach the rate limiter, which is timing, not
 * semantics.
 */
function comparable(decisions: readonly DecisionRecord[]): DecisionRecord[] {
  return decisions
    .map((decision) => ({ ...decision, at: decision.at.replace(/\.\d+/, "") }))
    .sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
}

/** Runs the same events on DynamoDB Local and on the in-memory table. */
async function onBoth(events: Parameters<typeof simulate>[0]["events"], rawConfig: unknown = {}) {
  const config = parseShopConfig(rawConfig);
  const template = templateFor(config);
  const local = await simulate({ config, events, dynamo: dynamo(), template });
  const memory = await simulate({ config, events, dynamo: "memory", template });
  return { local, memory };
}

describe("the in-memory table decides as DynamoDB Local does (simulate --store memory)", () => {
  it("decides the example stream exactly as DynamoDB Local does", async () => {
    const events = parseEventLines(await readFile("examples/order-care.jsonl", "utf8"));

    const { local, memory } = await onBoth(events);

    expect(local.decisions.length).toBeGreaterThan(10);
    expect(comparable(memory.decisions)).toEqual(comparable(local.decisions));
    // A Scan returns items in hash order, which is DynamoDB's own business.
    const byId = (orders: typeof local.orders) =>
      [...orders].sort((a, b) => a.orderId.localeCompare(b.orderId));
    expect(byId(memory.orders)).toEqual(byId(local.orders));
  });

  it("decides a synthetic half-year with every journey, caps and holdouts exactly as DynamoDB Local does", async () => {
    const events = syntheticEvents({ orders: 60, days: 60, seed: 5 });
    const config = { effect: { holdout: { "gift-30": 0.3 } }, caps: { marketingPerDay: 1 } };

    const { local, memory } = await onBoth(events, config);

    const outcomes = new Set(local.decisions.map((decision) => `${decision.journey}:${decision.outcome}`));
    expect(outcomes.size).toBeGreaterThan(8);
    expect(comparable(memory.decisions)).toEqual(comparable(local.decisions));
    expect(memory.transitions).toBe(local.transitions);
    // The same requests, so the cost model bills the same work.
    expect(memory.workload).toEqual(local.workload);
  });

  it("decides the same in two worker threads as in one, to the second (simulate workers)", async () => {
    const events = syntheticEvents({ orders: 80, days: 60, seed: 6 });
    const config = parseShopConfig({ caps: { marketingPerDay: 1 } });
    const template = templateFor(config);

    const one = await simulate({ config, events, dynamo: "memory", template });
    const two = await simulate({ config, events, dynamo: "memory", template, workers: 2 });

    expect(one.decisions.length).toBeGreaterThan(100);
    // Each worker has half the send rate, so sends due at one instant take other sub-second slots.
    expect(comparable(two.decisions)).toEqual(comparable(one.decisions));
    const byId = (orders: typeof one.orders) =>
      [...orders].sort((a, b) => a.orderId.localeCompare(b.orderId));
    expect(byId(two.orders)).toEqual(byId(one.orders));
    expect(two.byJourney).toEqual(one.byJourney);
    expect(two.transitions).toBe(one.transitions);
  });
});
