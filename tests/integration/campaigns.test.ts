import { describe, expect, it } from "vitest";
import type { SmsMessage, SmsProvider } from "../../functions/core/config/messaging.js";
import {
  campaignExecution,
  controlCampaign,
  runCampaignTask,
} from "../../functions/core/customers/campaigns.js";
import type { ShopEvent } from "../../functions/core/intake/events.js";
import type { DecisionRecord } from "../../functions/core/shared/model.js";
import { OutboxSmsProvider } from "../../functions/local/emulator/outbox.js";
import { VirtualClock } from "../../functions/local/emulator/virtual-clock.js";
import {
  campaignConfig,
  campaignDecisions,
  campaignDeps,
  messagedAnHourBefore,
  paidOrder,
  phoneOf,
  runToEnd,
  sentTo,
  storeWith,
  TEXT,
  task,
} from "../support/campaigns.js";
import { JOURNEYS_OFF } from "../support/config.js";
import { runSimulation } from "../support/local.js";
import { local as at } from "../support/time.js";

/**
 * Issue 24: campaigns (群发) decided by the journeys' own step, and what a crash, a redeploy, a pause or a
 * cancel does to one, on DynamoDB Local.
 */

describe("campaigns (群发) through the journeys' sending rules", () => {
  it("messages every member once, most recent buyers first, with the journeys' opt-out, holdout and {level}", async () => {
    const events = [
      ...paidOrder(1, "a", at("2026-06-01", "10:00")),
      ...paidOrder(2, "b", at("2026-06-05", "10:00"), { amount: 200 }),
      ...paidOrder(3, "c", at("2026-06-03", "10:00")),
      ...paidOrder(4, "d", at("2026-06-04", "10:00"), { phone: null }),
      ...paidOrder(5, "e", at("2026-06-02", "10:00")),
      { type: "customer.opted_out", at: at("2026-06-06", "10:00"), phone: phoneOf(5) },
      // Ordered, never paid: not a buyer.
      paidOrder(6, "f", at("2026-06-06", "10:00"))[0],
    ] as ShopEvent[];

    const decisions = await runSimulation(events, {
      members: { levels: [{ name: "银卡", minSpend: 150 }] },
      segments: { buyers: { minPaidOrders: 1 } },
      campaigns: [
        { id: "newyear", segment: "buyers", at: at("2026-06-10", "10:00"), template: TEXT, holdout: 0.146 },
      ],
      // Only the campaign: the journeys' own messages would share its caps.
      journeys: JOURNEYS_OFF,
    });

    const campaign = decisions.filter((decision) => decision.journey === "campaign");
    const byCustomer = [...campaign].sort((x, y) => (x.customerId ?? "").localeCompare(y.customerId ?? ""));
    const sent = (customer: number, text: string) => ({
      journey: "campaign",
      step: "newyear",
      customerId: `c${customer}`,
      to: phoneOf(customer),
      outcome: "sent",
      template: "campaign.newyear",
      text,
      segments: 1,
    });
    const skipped = (customer: number, reason: string, to?: string) => ({
      journey: "campaign",
      step: "newyear",
      customerId: `c${customer}`,
      ...(to ? { to } : {}),
      outcome: "skipped",
      reason,
      template: "campaign.newyear",
    });
    expect(byCustomer.map(({ at: _at, configVersion: _version, ...rest }) => rest)).toEqual([
      sent(1, "【Shop】王芳，新年快乐！会员专享好礼。回T退订"),
      sent(2, "【Shop】王芳，新年快乐！银卡会员专享好礼。回T退订"),
      // Drawn by campaign and customer: c3's hash is 0.145, under the 0.146 share.
      skipped(3, "holdout", phoneOf(3)),
      skipped(4, "no-phone"),
      skipped(5, "opted-out", phoneOf(5)),
    ]);
    // The most recent buyer first (c2 paid on the 5th, c1 on the 1st).
    expect(campaign.filter((d) => d.outcome === "sent").map((d) => d.customerId)).toEqual(["c2", "c1"]);
    expect(campaign.every((decision: DecisionRecord) => decision.orderId === undefined)).toBe(true);
  });

  it("holds what the closing marketing window leaves to the next slot, and skips what is still held at until as campaign-ended", async () => {
    const events = Array.from({ length: 6 }, (_, index) =>
      paidOrder(index + 1, `o${index + 1}`, at("2026-06-01", `1${index}:00`)),
    ).flat();

    const lateCampaign = (until?: string) => ({
      sms: { ratePerSecond: 1 },
      segments: { buyers: { minPaidOrders: 1 } },
      campaigns: [{ id: "late", segment: "buyers", at: "2026-06-10T20:59:57+08:00", until, template: TEXT }],
      journeys: JOURNEYS_OFF,
    });

    // One message a second from 20:59:57: four go by 21:00, the rest wait for 10:00 the next day…
    const held = await runSimulation(events, lateCampaign());
    // …unless the campaign ends before then.
    const ended = await runSimulation(events, lateCampaign(at("2026-06-11", "09:00")));

    const times = (decisions: DecisionRecord[]) =>
      decisions
        .filter((decision) => decision.journey === "campaign")
        .map(
          (decision) =>
            `${decision.at.slice(0, 19)} ${decision.customerId} ${decision.outcome}${decision.reason ? ` ${decision.reason}` : ""}`,
        )
        // Decided in the same second: in no set order.
        .sort();
    // c3 was judged at 20:59:59, inside the window, and went in its send slot at 21:00:00 (as a journey's
    // send does); c1 and c2 were judged after 21:00.
    expect(times(held)).toEqual([
      "2026-06-10T20:59:57 c6 sent",
      "2026-06-10T20:59:58 c5 sent",
      "2026-06-10T20:59:59 c4 sent",
      "2026-06-10T21:00:00 c3 sent",
      "2026-06-11T10:00:00 c1 sent",
      "2026-06-11T10:00:01 c2 sent",
    ]);
    expect(times(ended)).toEqual([
      "2026-06-10T20:59:57 c6 sent",
      "2026-06-10T20:59:58 c5 sent",
      "2026-06-10T20:59:59 c4 sent",
      "2026-06-10T21:00:00 c1 skipped campaign-ended",
      "2026-06-10T21:00:00 c2 skipped campaign-ended",
      "2026-06-10T21:00:00 c3 sent",
    ]);
  });

  it("holds a member the journeys already messaged today (the daily cap) to the next slot, not twice in a day", async () => {
    const config = campaignConfig({ at: at("2026-06-10", "10:00") }, { caps: { marketingPerDay: 1 } });
    const store = await storeWith(
      [...paidOrder(1, "a", at("2026-06-01", "10:00")), ...paidOrder(2, "b", at("2026-06-02", "10:00"))],
      config,
    );
    // c1 had a marketing message an hour before.
    await messagedAnHourBefore(store, 1);
    const clock = new VirtualClock(new Date(at("2026-06-10", "10:00")));

    const { state } = await runToEnd(
      clock,
      campaignDeps(store, clock, config),
      campaignExecution(config.campaigns[0] as never).input,
    );

    const decisions = (await campaignDecisions(store)).map(
      (d) => `${d.at.slice(0, 16)} ${d.customerId} ${d.outcome}`,
    );
    expect(decisions.sort()).toEqual(["2026-06-10T10:00 c2 sent", "2026-06-11T10:00 c1 sent"]);
    expect(state).toMatchObject({ customers: 2, members: 2, next: { kind: "done" } });
  });
});

describe("a campaign that crashes, is redeployed, paused or cancelled mid-run", () => {
  const members = (count: number) =>
    Array.from({ length: count }, (_, index) =>
      paidOrder(index + 1, `o${index + 1}`, at("2026-06-01", "10:00")),
    ).flat();

  it("sends nothing twice when a task dies mid-page and is retried with the same input; the message in flight is settled as sent, delivery unknown", async () => {
    const config = campaignConfig({ at: at("2026-06-10", "10:00") });
    const store = await storeWith(members(8), config);
    const clock = new VirtualClock(new Date(at("2026-06-10", "10:00")));
    const { input } = campaignExecution(config.campaigns[0] as never);
    // The first try's Lambda is killed during its fourth provider call: it never returns.
    const outbox = new OutboxSmsProvider(store, clock, () => {});
    let calls = 0;
    const dying: SmsProvider = {
      name: "outbox",
      send: async (message: SmsMessage) => {
        calls += 1;
        if (calls === 4) {
          await outbox.send(message);
          await clock.sleepUntil(new Date("2030-01-01T00:00:00Z"));
        }
        return outbox.send(message);
      },
    };
    clock.begin();
    void runCampaignTask(campaignDeps(store, clock, config, { sms: dying }), input).finally(() =>
      clock.end(),
    );
    await clock.advanceTo(new Date(at("2026-06-10", "10:01")));

    // Step Functions retries the task with the same input (after its timeout, here a minute later).
    const { state } = await runToEnd(clock, campaignDeps(store, clock, config), input);

    const phones = await sentTo(store);
    expect(phones.sort()).toEqual(Array.from({ length: 8 }, (_, index) => phoneOf(index + 1)).sort());
    const decisions = await campaignDecisions(store);
    expect(decisions).toHaveLength(8);
    expect(decisions.filter((decision) => decision.delivery === "unknown").map((d) => d.outcome)).toEqual([
      "sent",
    ]);
    expect(state.next).toEqual({ kind: "done" });
  });

  it("carries on from its cursor after a redeploy mid-run: every member once, the new text from then on", async () => {
    const before = campaignConfig({ at: at("2026-06-10", "10:00") }, { sms: { ratePerSecond: 1 } });
    const after = campaignConfig(
      { at: at("2026-06-10", "10:00"), template: "【{shop}】{name}，新春快乐！回T退订" },
      { sms: { ratePerSecond: 1 } },
    );
    const store = await storeWith(members(12), before);
    const clock = new VirtualClock(new Date(at("2026-06-10", "10:00")));

    // The first task stops after a few seconds of pages (its budget), as a task hands back its cursor.
    const first = await task(
      clock,
      campaignDeps(store, clock, before, { taskBudgetMs: 3_000, directoryPage: 1 }),
      campaignExecution(before.campaigns[0] as never).input,
    );
    expect(first.next.kind).toBe("wait");
    const sentBefore = (await sentTo(store)).length;
    await runToEnd(clock, campaignDeps(store, clock, after), first);

    const outbox = (await store.listOutbox()).filter((entry) => entry.kind === "sms");
    expect(outbox.map((entry) => entry.to).sort()).toEqual(
      Array.from({ length: 12 }, (_, index) => phoneOf(index + 1)).sort(),
    );
    expect(sentBefore).toBeGreaterThan(0);
    expect(sentBefore).toBeLessThan(12);
    expect(outbox.filter((entry) => entry.text.includes("新春")).length).toBe(12 - sentBefore);
  });

  it("backs off while paused (5 minutes doubling to half an hour) and ends at until: 30 days paused stay far under Step Functions' 25,000 history events", async () => {
    // Arrange: a campaign paused before its time, left paused past its until (31 days after at).
    const config = campaignConfig({ at: at("2026-06-10", "10:00"), until: "2026-07-11T10:00:00+08:00" });
    const store = await storeWith(members(3), config);
    const clock = new VirtualClock(new Date(at("2026-06-10", "10:00")));
    const deps = campaignDeps(store, clock, config);
    let state = campaignExecution(config.campaigns[0] as never).input;
    await controlCampaign(store, config, "newyear", "pause", clock.now());

    // Act: the execution's loop, one task per wake, until it is done.
    const waits: number[] = [];
    let loops = 0;
    while (state.next.kind === "wait") {
      await clock.advanceTo(new Date(state.next.sendAt));
      const before = clock.now().getTime();
      state = await task(clock, deps, state);
      loops += 1;
      if (state.next.kind === "wait") waits.push((Date.parse(state.next.sendAt) - before) / 60_000);
      expect(loops).toBeLessThan(2_000);
    }

    // Assert: each loop of the campaigns' machine is about 9 history events (Wait, Task, Choice: entered and
    // exited, the task scheduled, started and succeeded).
    expect(waits.slice(0, 6)).toEqual([5, 10, 20, 30, 30, 30]);
    expect(loops * 9).toBeLessThan(20_000);
    expect(loops).toBeGreaterThan(1_400);
    const decided = (await store.listDecisions()).filter((decision) => decision.journey === "campaign");
    expect(decided.map((decision) => [decision.outcome, decision.reason])).toEqual([
      ["skipped", "campaign-ended"],
      ["skipped", "campaign-ended"],
      ["skipped", "campaign-ended"],
    ]);
    expect(await sentTo(store)).toEqual([]);
  });

  it("sends nothing while paused, carries on when resumed, and ends with its held messages unsent when cancelled", async () => {
    const config = campaignConfig({ at: at("2026-06-10", "10:00") }, { caps: { marketingPerDay: 1 } });
    const store = await storeWith(members(3), config);
    await messagedAnHourBefore(store, 1);
    const clock = new VirtualClock(new Date(at("2026-06-10", "10:00")));
    const deps = campaignDeps(store, clock, config);
    const { input } = campaignExecution(config.campaigns[0] as never);

    await controlCampaign(store, config, "newyear", "pause", clock.now());
    const paused = await task(clock, deps, input);
    expect(paused.next).toEqual({ kind: "wait", step: "newyear", sendAt: "2026-06-10T02:05:00.000Z" });
    expect(await sentTo(store)).toEqual([]);

    await controlCampaign(store, config, "newyear", "resume", clock.now());
    await clock.advanceTo(new Date("2026-06-10T02:05:00.000Z"));
    const resumed = await task(clock, deps, paused);
    // c2 and c3 sent; c1 (capped today) held to the next slot, 17:00.
    expect((await sentTo(store)).sort()).toEqual([phoneOf(2), phoneOf(3)]);
    expect(resumed.next).toMatchObject({ kind: "wait", sendAt: "2026-06-10T09:00:00.000Z" });

    expect(await controlCampaign(store, config, "newyear", "cancel", clock.now())).toEqual({
      id: "newyear",
      status: "cancelled",
      changed: true,
    });
    await clock.advanceTo(new Date("2026-06-10T09:00:00.000Z"));
    const cancelled = await task(clock, deps, resumed);
    expect(cancelled.next).toEqual({ kind: "done" });
    expect((await sentTo(store)).sort()).toEqual([phoneOf(2), phoneOf(3)]);
    expect((await store.getCampaignProgress("newyear"))?.phase).toBe("cancelled");
    // A cancelled campaign is not resumed.
    expect(await controlCampaign(store, config, "newyear", "resume", clock.now())).toEqual({
      id: "newyear",
      status: "cancelled",
      changed: false,
    });
  });
});
