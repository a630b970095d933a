import { describe, expect, it } from "vitest";
import { systemClock } from "../../functions/core/clock.js";
import { type JourneyStarter, PacedJourneyStarter } from "../../functions/core/dispatch.js";
import { StoreRateLimiter } from "../../functions/core/rate-limit.js";
import { virtualShop } from "../support/local.js";

describe("the StartExecution buffer", () => {
  it("keeps starts under the quota in every second, shared through DynamoDB, and hands overflow back for redelivery", async () => {
    const { shop } = await virtualShop("2026-06-18T10:00:00+08:00");
    const quota = 10;
    const startedAt: number[] = [];
    const counting: JourneyStarter = {
      start: async () => void startedAt.push(Date.now()),
      stop: async () => {},
    };
    // Two dispatchers, as two Lambda instances would be, sharing one budget in the table.
    const dispatchers = [1, 2].map(
      () =>
        new PacedJourneyStarter(
          counting,
          new StoreRateLimiter(shop.store, systemClock, "StartExecution", quota, 1_000),
        ),
    );
    const state = {
      journey: "payment-reminder" as const,
      customerId: "c",
      enteredAt: "2026-06-18T10:00:00+08:00",
    };

    const outcomes = await Promise.allSettled(
      Array.from({ length: 30 }, (_, index) =>
        dispatchers[index % 2]?.start("payment-reminder", `n${index}`, state),
      ),
    );

    const refused = outcomes.filter((outcome) => outcome.status === "rejected");
    expect(
      refused.every((outcome) => (outcome as PromiseRejectedResult).reason.name === "SendRateLimitedError"),
    ).toBe(true);
    expect(startedAt.length + refused.length).toBe(30);
    expect(startedAt.length).toBeGreaterThanOrEqual(quota);
    const sorted = [...startedAt].sort((a, b) => a - b);
    let busiestSecond = 0;
    for (let i = 0, j = 0; i < sorted.length; i += 1) {
      while ((sorted[i] as number) - (sorted[j] as number) >= 1000) j += 1;
      busiestSecond = Math.max(busiestSecond, i - j + 1);
    }
    // One start per 1/quota-second slot: a sliding second can straddle one extra slot's start (a start late
    // in its slot and one early in the slot a second later), never more.
    expect(busiestSecond).toBeLessThanOrEqual(quota + 1);
  });
});
