import { describe, expect, it } from "vitest";
import { runFaultInjection } from "../support/fault-run.js";

describe("a fault-injection month (seeded; `npm run bench -- --only faults` runs it at full size)", () => {
  it("loses nothing, sends nothing twice or after an opt-out, settles every ambiguous send whose receipt came, leaves no step undecided", async () => {
    const report = await runFaultInjection({ orders: 300, days: 30, seed: 20 });
    // Every kind of fault happened at least once, or the run proves nothing about it.
    for (const kind of [
      "dynamoThrottle",
      "provider5xx",
      "providerThrottle",
      "providerTimeout",
      "crashBeforeClaim",
      "crashAfterClaim",
      "dispatchCrash",
      "crashAfterSend",
      "duplicateDelivery",
      "concurrentDelivery",
      "reorder",
      "enqueueFailure",
      "queueRedelivery",
      "optOutDuringSend",
      "optOutDuringRateWait",
      "kuaidi100Failure",
    ])
      expect(report.faults[kind], kind).toBeGreaterThan(0);
    expect(report.details).toEqual([]);
    expect(report).toMatchObject({
      lost: 0,
      duplicated: 0,
      sentAfterOptOut: 0,
      unsettled: 0,
      undecided: 0,
      deadLinks: 0,
    });
    expect(report.linked).toBeGreaterThan(100);
    // Every shipped parcel subscribed once or handed to the operators, whatever Kuaidi100 and the table did.
    expect(report.parcels).toMatchObject({ unsettled: 0, subscribedTwice: 0 });
    expect(report.parcels.subscribed).toBeGreaterThan(100);
    expect(report.parcels.calls).toBeGreaterThan(report.parcels.shipped);
    // Journeys loop a few steps, each held at most to its window, its caps (`caps.maxHold`) and a rate slot,
    // with its retries: far from the 25,000 history events that fail an execution.
    expect(report.largestHistory.events).toBeGreaterThan(20);
    expect(report.largestHistory.events).toBeLessThan(20_000);
    expect(report.decisions).toBeGreaterThan(300);
  });
});
