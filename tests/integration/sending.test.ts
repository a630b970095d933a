import { SNSClient } from "@aws-sdk/client-sns";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { deliverStep, StepInFlightError } from "../../functions/core/engine/decide.js";
import { ReservedSendRate } from "../../functions/core/engine/rate.js";
import { systemClock } from "../../functions/core/shared/clock.js";
import type { ExecutionState } from "../../functions/core/shared/model.js";
import { OutboxOperatorChannel } from "../../functions/local/emulator/outbox.js";
import { startHttpServer } from "../../functions/local/emulator/server.js";
import { VirtualClock } from "../../functions/local/emulator/virtual-clock.js";
import { SnsSmsProvider } from "../../functions/providers/sns.js";
import { STEP_RETRIES } from "../../workflows/journey-loop.js";
import { FakeSmsApis } from "../support/fake-providers.js";
import { orderCreated, virtualShop } from "../support/local.js";

const fake = new FakeSmsApis();
beforeAll(() => fake.start());
afterAll(() => fake.stop());

const snsAt = (maxAttempts = 3) =>
  new SnsSmsProvider(
    new SNSClient({
      endpoint: fake.url,
      region: "ap-southeast-1",
      credentials: { accessKeyId: "AKIDTEST", secretAccessKey: "secret" },
      maxAttempts,
    }),
  );

/** Reminders due at once and any hour: what a promotion-day burst looks like to the send step. */
const BURST_CONFIG = {
  windows: { notice: { start: "00:00", end: "24:00" } },
  journeys: { paymentReminder: { firstAfter: "0s" } },
};

describe("exactly once, at the provider's rate", () => {
  it("sends once when the same send step runs three times concurrently", async () => {
    fake.requests.length = 0;
    fake.behaviour = {};
    const { shop } = await virtualShop("2026-06-18T11:00:00+08:00");
    const created = orderCreated("2026-06-18T10:00:00+08:00", { id: "tri" });
    if (created.type !== "order.created") throw new Error("unreachable");
    await shop.store.recordOrderCreated(created.order, created.at);
    const deps = {
      config: shop.config,
      clock: systemClock,
      store: shop.store,
      sms: snsAt(),
      operators: new OutboxOperatorChannel(shop.store, systemClock, undefined),
      rateLimiter: new ReservedSendRate(shop.store, systemClock, "sns", 20),
      coupons: { issue: async () => "unused" },
    };
    const state = {
      journey: "payment-reminder" as const,
      orderId: "tri",
      customerId: "c-tri",
      enteredAt: created.at,
      next: { kind: "send" as const, step: "first" },
    };

    const results = await Promise.allSettled([1, 2, 3].map(() => deliverStep(deps, state)));
    const again = await deliverStep(deps, state);

    expect(fake.accepted).toHaveLength(1);
    expect(fake.requests).toHaveLength(1);
    for (const result of results) {
      if (result.status === "fulfilled")
        expect(result.value.next).toEqual({ kind: "delivered", step: "first", outcome: "sent" });
      else expect(result.reason).toBeInstanceOf(StepInFlightError);
    }
    expect(results.filter((result) => result.status === "fulfilled").length).toBeGreaterThanOrEqual(1);
    expect(again.next).toEqual({ kind: "delivered", step: "first", outcome: "sent" });
    const [decision] = (await shop.store.listDecisions()).filter((d) => d.orderId === "tri");
    expect(decision).toMatchObject({ outcome: "sent", step: "first", to: "+8613800000000" });
  });

  it.each([
    ["paced to the provider's limit: never throttled", 4, 4],
    ["paced above the provider's limit: throttled, retried, still once each", 12, 4],
  ])("a burst %s", async (_title, ratePerSecond, providerPerSecond) => {
    // One virtual clock paces the sends and meters them at the fake's token bucket, so the outcome does not
    // depend on how fast or loaded the machine is. Each send runs as the state machine would run it: a hold
    // waits for its slot and sends in it; a throttled try is retried a (virtual) second later.
    const clock = new VirtualClock(new Date("2026-06-18T03:00:00.000Z"));
    const { shop } = await virtualShop("2026-06-18T11:00:00+08:00", {
      ...BURST_CONFIG,
      sms: { ratePerSecond },
    });
    fake.requests.length = 0;
    fake.resetMeter();
    fake.behaviour = { perSecond: providerPerSecond, now: () => clock.now().getTime() };
    const deps = {
      config: shop.config,
      clock,
      store: shop.store,
      sms: snsAt(),
      operators: new OutboxOperatorChannel(shop.store, clock, undefined),
      rateLimiter: new ReservedSendRate(shop.store, clock, "sns", ratePerSecond),
      coupons: { issue: async () => "unused" },
    };
    const ids = Array.from({ length: 12 }, (_, i) => `burst${i}`);
    for (const id of ids) {
      const created = orderCreated("2026-06-18T10:00:00+08:00", { id });
      if (created.type !== "order.created") throw new Error("unreachable");
      await shop.store.recordOrderCreated(created.order, created.at);
    }
    let retried = 0;
    const sends = ids.map(async (id) => {
      clock.begin();
      try {
        let state: ExecutionState = {
          journey: "payment-reminder",
          orderId: id,
          customerId: `c-${id}`,
          enteredAt: "2026-06-18T10:00:00+08:00",
          next: { kind: "send", step: "first" },
        };
        for (;;) {
          try {
            const result = await deliverStep(deps, state);
            if (result.next?.kind !== "hold") return;
            await clock.sleepUntil(new Date(result.next.sendAt));
            state = { ...state, next: { kind: "send", step: "first", rateSlot: result.next.rateSlot } };
          } catch {
            retried += 1;
            await clock.sleepUntil(new Date(clock.now().getTime() + 1000));
          }
        }
      } finally {
        clock.end();
      }
    });
    await clock.runUntilIdle();
    await Promise.all(sends);
    fake.behaviour = {};

    const orderIds = fake.accepted.map(
      (request) => String(request.params.Message).match(/订单(burst\d+)/)?.[1],
    );
    expect(new Set(orderIds).size).toBe(ids.length);
    expect(fake.accepted).toHaveLength(ids.length);
    // The fake meters like the real APIs (a token bucket): no throttling means we kept to its rate.
    const throttled = fake.requests.filter((request) => request.outcome === "throttled").length;
    if (ratePerSecond <= providerPerSecond) {
      expect(throttled).toBe(0);
      expect(retried).toBe(0);
    } else expect(throttled).toBeGreaterThan(0);
  });
});

describe("a provider that keeps failing", () => {
  it("is retried with backoff, then the step is skipped provider-failed and the journey goes on", async () => {
    fake.requests.length = 0;
    fake.behaviour = { failNext: 1_000 };
    const { shop, clock, failures } = await virtualShop("2026-06-18T10:00:00+08:00", {}, { sms: snsAt(1) });

    await shop.queue.enqueue([orderCreated("2026-06-18T10:00:00+08:00", { id: "down" })], "test");
    await shop.queue.drain();
    await clock.runUntilIdle();
    fake.behaviour = {};

    expect(failures).toEqual([]);
    const decisions = (await shop.store.listDecisions()).filter((d) => d.orderId === "down");
    expect(decisions.map((d) => [d.step, d.outcome, d.reason])).toEqual([
      ["first", "skipped", "provider-failed"],
    ]);
    // The first try and the Step task's States.ALL retries, each one request: nothing beyond.
    expect(fake.requests.filter((request) => request.outcome === "failed")).toHaveLength(1 + STEP_RETRIES);
  });
});

describe("opt-out", () => {
  it("a reply 退订 to the local runtime stops a 30-day gift already waiting; notices still go out", async () => {
    const { shop, clock, failures } = await virtualShop("2026-06-18T10:00:00+08:00");
    const http = await startHttpServer(shop.routes);
    try {
      await shop.queue.enqueue(
        [
          orderCreated("2026-06-18T10:00:00+08:00", { id: "g1", customerId: "quitter" }),
          { type: "order.paid", at: "2026-06-18T10:05:00+08:00", orderId: "g1" },
        ],
        "test",
      );
      await shop.queue.drain();
      await clock.advanceTo(new Date("2026-06-25T12:00:00+08:00"));
      const reply = await fetch(`${http.url}/inbound/sms`, {
        method: "POST",
        headers: { "content-type": "application/json", "x-shopcare-token": shop.token },
        body: JSON.stringify({ from: "+8613800000000", text: " 退订 ", at: "2026-06-25T12:00:00+08:00" }),
      });
      expect(reply.status).toBe(200);
      expect(await reply.json()).toEqual({ outcomes: ["opted-out"] });
      // The same customer orders again and leaves it unpaid: the reminder is a notice and still goes out.
      await shop.queue.enqueue(
        [orderCreated("2026-06-26T10:00:00+08:00", { id: "g2", customerId: "quitter" })],
        "test",
      );
      await shop.queue.drain();
      await clock.runUntilIdle();
    } finally {
      await http.close();
    }
    expect(failures).toEqual([]);
    const decisions = await shop.store.listDecisions();
    const of = (journey: string) =>
      decisions.filter((d) => d.journey === journey).map((d) => [d.step, d.outcome, d.reason]);
    expect(of("gift-30")).toEqual([["gift", "skipped", "opted-out"]]);
    expect(decisions.find((d) => d.journey === "gift-30")?.at).toBe("2026-07-18T17:00:00.000+08:00");
    expect(of("gift-100")).toEqual([["gift", "skipped", "opted-out"]]);
    expect(of("winback")).toEqual([
      ["first", "skipped", "opted-out"],
      ["second", "skipped", "opted-out"],
    ]);
    expect(
      decisions.filter((d) => d.orderId === "g2" && d.journey === "payment-reminder").map((d) => d.outcome),
    ).toEqual(["sent", "sent"]);
    const marketing = (await shop.store.listOutbox()).filter((entry) => entry.messageClass === "marketing");
    expect(marketing).toEqual([]);
  });
});
