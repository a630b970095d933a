import { describe, expect, it } from "vitest";
import { type JourneyStarter, PacedJourneyStarter } from "../../functions/core/engine/dispatch.js";
import { SendRateLimitedError, StoreRateLimiter } from "../../functions/core/engine/rate.js";
import { requeueDelaySeconds } from "../../functions/handlers/dispatch.js";
import { VirtualClock } from "../../functions/local/emulator/virtual-clock.js";
import { orderCreated, virtualShop } from "../support/local.js";

/** An execution's input; the buffers do not look at it. */
const state = {
  journey: "payment-reminder" as const,
  customerId: "c",
  enteredAt: "2026-06-18T10:00:00+08:00",
};

describe("the StartExecution and StopExecution buffers", () => {
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

  it("paces stops under their own quota, beside starts, each one per 1/quota-second slot", async () => {
    const { shop } = await virtualShop("2026-06-18T10:00:00+08:00");
    const clock = new VirtualClock(new Date("2026-06-18T02:00:00.000Z"));
    const since = (at: number) => at - Date.parse("2026-06-18T02:00:00.000Z");
    const calls: string[] = [];
    const counting: JourneyStarter = {
      start: async (_, name) => void calls.push(`start ${name} ${since(clock.now().getTime())}`),
      stop: async (_, name) => void calls.push(`stop ${name} ${since(clock.now().getTime())}`),
    };
    const dispatcher = new PacedJourneyStarter(
      counting,
      new StoreRateLimiter(shop.store, clock, "StartExecution", 10, 5_000),
      new StoreRateLimiter(shop.store, clock, "StopExecution", 4, 5_000),
    );

    const work = Array.from({ length: 8 }, async (_, index) => {
      clock.begin();
      try {
        await dispatcher.stop("payment-reminder", `s${index}`);
        await dispatcher.start("payment-reminder", `n${index}`, state);
      } finally {
        clock.end();
      }
    });
    await clock.runUntilIdle();
    await Promise.all(work);

    // Stops at 4/s (one per 250 ms slot); each start follows its stop at once, since 10/s has room.
    const stops = calls.filter((call) => call.startsWith("stop")).map((call) => Number(call.split(" ")[2]));
    const starts = calls.filter((call) => call.startsWith("start")).map((call) => Number(call.split(" ")[2]));
    expect(stops.sort((a, b) => a - b)).toEqual([0, 250, 500, 750, 1000, 1250, 1500, 1750]);
    expect(starts.sort((a, b) => a - b)).toEqual([0, 250, 500, 750, 1000, 1250, 1500, 1750]);
  });
});

describe("a peak the start budget cannot take at once", () => {
  it("requeues a rate-limited event with a delay instead of counting it toward maxReceiveCount: dispatched later, never dead-lettered", async () => {
    // Eight deliveries in a row find no start slot (more than maxReceiveCount, 5), as in a peak hour.
    let limited = 8;
    let engine: JourneyStarter | undefined;
    const limitedStarts: JourneyStarter = {
      start: async (...args) => {
        if (limited > 0) {
          limited -= 1;
          throw new SendRateLimitedError("StartExecution", 10_000);
        }
        return engine?.start(...args);
      },
      stop: async (...args) => engine?.stop(...args),
    };
    const { shop, clock, failures } = await virtualShop(
      "2026-06-18T10:00:00+08:00",
      {},
      { journeys: limitedStarts },
    );
    engine = shop.engine;
    await shop.queue.enqueue([orderCreated("2026-06-18T10:00:00+08:00", { id: "peak1" })], "peak");
    await shop.queue.drain();
    await clock.runUntilIdle();
    expect(failures).toEqual([]);
    expect(limited).toBe(0);
    expect(await shop.store.listDeadLetters()).toEqual([]);
    const first = (await shop.store.listDecisions()).find((d) => d.orderId === "peak1" && d.step === "first");
    // Sent after the requeues' delays (30 s doubling, jittered: minutes, not a dead letter).
    expect(first?.outcome).toBe("sent");
  });

  it("spaces requeues 30 s doubling, jittered by half, at most 900 s (SQS's longest delay)", () => {
    expect(requeueDelaySeconds(0, () => 0)).toBe(15);
    expect(requeueDelaySeconds(0, () => 1)).toBe(30);
    expect(requeueDelaySeconds(3, () => 1)).toBe(240);
    expect(requeueDelaySeconds(10, () => 1)).toBe(900);
  });
});
