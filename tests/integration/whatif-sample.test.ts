import { beforeAll, describe, expect, it } from "vitest";
import { parseShopConfig } from "../../functions/core/config/config.js";
import { sampleEvents } from "../../functions/local/simulator/sample.js";
import { syntheticEvents } from "../../functions/local/simulator/synthetic.js";
import { type WhatIfResult, whatIf } from "../../functions/local/simulator/whatif.js";
import { templateFor } from "../support/local.js";

/**
 * Issue 38: a what-if on a sample of the customers estimates what the full comparison finds — the same
 * month, the same candidate, through the real state machines on the in-memory table.
 */

const events = syntheticEvents({ orders: 300, days: 30, seed: 11 });
const base = parseShopConfig({});
const candidate = parseShopConfig({ journeys: { paymentReminder: { firstAfter: "5m" } } });
const template = () => templateFor(base);

describe("whatif on a sample of the history", () => {
  let full: WhatIfResult;
  beforeAll(async () => {
    full = await whatIf({ events, base, candidate, template: template() });
  });

  it("holds the full run's changed decisions and each step's change in sends inside its 95% intervals", async () => {
    // Arrange
    const sample = sampleEvents(events, 0.5, 3);

    // Act
    const estimate = (await whatIf({ events: sample.events, sample, base, candidate, template: template() }))
      .sample;

    // Assert
    const changed = full.changes.length;
    expect(changed).toBeGreaterThan(50);
    expect(estimate?.changes.low).toBeLessThanOrEqual(changed);
    expect(estimate?.changes.high).toBeGreaterThanOrEqual(changed);
    const sent = (result: WhatIfResult["base"]) =>
      result.journeys
        .find((journey) => journey.journey === "payment-reminder")
        ?.steps.find((s) => s.step === "first")?.sent ?? 0;
    const fullDifference = sent(full.candidate) - sent(full.base);
    const sampled = estimate?.figures.find((f) => f.step === "payment-reminder.first" && f.figure === "sent");
    expect(fullDifference).toBeGreaterThan(0);
    expect(sampled?.difference.low).toBeLessThanOrEqual(fullDifference);
    expect(sampled?.difference.high).toBeGreaterThanOrEqual(fullDifference);
  });

  it("is the full comparison, with zero-width intervals, when every customer is drawn", async () => {
    const sample = sampleEvents(events, 1, 3);

    const result = await whatIf({ events: sample.events, sample, base, candidate, template: template() });

    expect(result.changes).toEqual(full.changes);
    expect(result.sample?.changes).toEqual({
      value: full.changes.length,
      low: full.changes.length,
      high: full.changes.length,
    });
  });
});
