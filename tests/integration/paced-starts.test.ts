import { describe, expect, it } from "vitest";
import { type JourneyStarter, PacedJourneyStarter } from "../../functions/core/dispatch.js";
import { StoreRateLimiter } from "../../functions/core/rate-limit.js";
import { VirtualClock } from "../../functions/local/virtual-clock.js";
import { virtualShop } from "../support/local.js";

describe("the StartExecution buffer", () => {
  it("spaces starts one per 1/quota-second slot, shared through DynamoDB, and hands overflow back for redelivery", async () => {
    const { shop } = await virtualShop("2026-06-18T10:00:00+08:00");
    // Virtual time: the spacing is the limiter's, not the machine's (DynamoDB calls take no virtual time).
    const clock = new VirtualClock(new Date("2026-06-18T02:00:00.000Z"));
    const quota = 10;
    const startedAt: number[] = [];
    const counting: JourneyStarter = {
      start: async () => void startedAt.push(clock.now().getTime() - Date.parse("2026-06-18T02:00:00.000Z")),
      stop: async () => {},
    };
    // Two dispatchers, as two Lambda instances would be, sharing one budget in the table; each waits at
    // most a second for a slot before handing the record back to SQS.
    const dispatchers = [1, 2].map(
      () =>
        new PacedJourneyStarter(
          counting,
          new StoreRateLimiter(shop.store, clock, "StartExecution", quota, 1_000),
        ),
    );
    const state = {
      journey: "payment-reminder" as const,
      customerId: "c",
      enteredAt: "2026-06-18T10:00:00+08:00",
    };

    const calls = Array.from({ length: 30 }, async (_, index) => {
      clock.begin();
      try {
        await dispatchers[index % 2]?.start("payment-reminder", `n${index}`, state);
        return "started";
      } catch (error) {
        return (error as Error).name;
      } finally {
        clock.end();
      }
    });
    await clock.runUntilIdle();
    const outcomes = await Promise.all(calls);

    // Two seconds' worth went out, one per 100 ms slot; the rest were handed back for redelivery.
    expect(startedAt.sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, slot) => slot * 100));
    expect(outcomes.filter((outcome) => outcome === "SendRateLimitedError")).toHaveLength(10);
  });
});
