import { readFile } from "node:fs/promises";
import { DynamoDBDocumentClient, PutCommand } from "@aws-sdk/lib-dynamodb";
import { describe, expect, it } from "vitest";
import { Store } from "../../functions/adapters/dynamodb/store.js";
import { parseShopConfig, type ShopConfig } from "../../functions/core/config/config.js";
import type { SmsMessage, SmsProvider } from "../../functions/core/config/messaging.js";
import {
  type CampaignDeps,
  type CampaignRunState,
  CampaignRunStateSchema,
  campaignExecution,
  controlCampaign,
  runCampaignTask,
} from "../../functions/core/customers/campaigns.js";
import { type CustomerConfig, profileOf } from "../../functions/core/customers/profiles.js";
import { backfillProfiles, previewSegment } from "../../functions/core/customers/segments.js";
import { dispatchEvent, type JourneyStarter } from "../../functions/core/engine/dispatch.js";
import { ReservedSendRate } from "../../functions/core/engine/rate.js";
import { buildReport } from "../../functions/core/insight/report.js";
import type { ShopEvent } from "../../functions/core/intake/events.js";
import type { DecisionRecord } from "../../functions/core/shared/model.js";
import { OutboxOperatorChannel, OutboxSmsProvider } from "../../functions/local/emulator/outbox.js";
import { VirtualClock } from "../../functions/local/emulator/virtual-clock.js";
import { parseEventLines } from "../../functions/local/simulator/simulate.js";
import { HttpCouponIssuer } from "../../functions/providers/coupons.js";
import { JOURNEYS_OFF } from "../support/config.js";
import { dynamo, freshTable, runSimulation } from "../support/local.js";
import { local as at } from "../support/time.js";

/**
 * Issue 24: customer profiles kept by dispatch, segments over them, and campaigns (群发) decided by the
 * journeys' own step, on DynamoDB Local.
 */

const TEXT = "【{shop}】{name}，新年快乐！{level}会员专享好礼。回T退订";
const phoneOf = (index: number) => `+86138${String(index).padStart(8, "0")}`;
const noJourneys: JourneyStarter = { start: async () => {}, stop: async () => {} };

/** A customer's paid order: `order.created` and `order.paid` five minutes later. */
function paidOrder(
  customer: number,
  orderId: string,
  when: string,
  options: {
    amount?: number;
    category?: string;
    quantity?: number;
    province?: string;
    phone?: string | null;
  } = {},
): ShopEvent[] {
  const createdAt = new Date(Date.parse(when));
  const paidAt = new Date(createdAt.getTime() + 5 * 60_000).toISOString();
  return [
    {
      type: "order.created",
      at: createdAt.toISOString(),
      order: {
        id: orderId,
        customer: {
          id: `c${customer}`,
          name: "王芳",
          ...(options.phone === null ? {} : { phone: options.phone ?? phoneOf(customer) }),
        },
        amount: options.amount ?? 100,
        currency: "CNY",
        paymentMethod: "online",
        gift: false,
        items: [{ category: options.category ?? "tea", quantity: options.quantity ?? 1 }],
        ...(options.province ? { address: { province: options.province, city: "杭州" } } : {}),
      },
    } as ShopEvent,
    { type: "order.paid", at: paidAt, orderId },
  ];
}

/** A store on a fresh DynamoDB Local table holding what dispatch keeps of `events` (no journey runs). */
async function storeWith(events: readonly ShopEvent[], config: ShopConfig): Promise<Store> {
  const store = new Store(dynamo(), await freshTable("crm"));
  const clock = new VirtualClock(new Date(events[0]?.at ?? 0));
  for (const event of [...events].sort((a, b) => Date.parse(a.at) - Date.parse(b.at))) {
    await clock.advanceTo(new Date(event.at));
    await dispatchEvent({ config, store, journeys: noJourneys, clock }, event);
  }
  return store;
}

/** What a campaign task runs with locally: the outbox, the shared send rate, one message at a time. */
function campaignDeps(
  store: Store,
  clock: VirtualClock,
  config: ShopConfig,
  overrides: Partial<CampaignDeps> = {},
): CampaignDeps {
  const sms = new OutboxSmsProvider(store, clock, () => {});
  return {
    config,
    store,
    clock,
    sms,
    operators: new OutboxOperatorChannel(store, clock, () => {}),
    rateLimiter: new ReservedSendRate(store, clock, sms.name, config.sms.ratePerSecond),
    coupons: new HttpCouponIssuer(),
    concurrency: 1,
    ...overrides,
  };
}

/** Runs one campaign task on the virtual clock (its rate waits pass as the clock moves). */
async function task(
  clock: VirtualClock,
  deps: CampaignDeps,
  state: CampaignRunState,
): Promise<CampaignRunState> {
  clock.begin();
  const running = runCampaignTask(deps, state).finally(() => clock.end());
  await clock.runUntilIdle(new Date(clock.now().getTime() + 86_400_000));
  return running;
}

/** Runs a campaign's execution to its end, task after task, as its state machine's loop does. */
async function runToEnd(clock: VirtualClock, deps: CampaignDeps, state: CampaignRunState) {
  let current = state;
  for (let tasks = 1; tasks <= 200; tasks += 1) {
    if (current.next.kind === "done") return { state: current, tasks };
    // A hand-over goes on in its successor, as the machine's HandOver state starts it.
    if (current.next.kind === "relay") current = CampaignRunStateSchema.parse(current.next.state);
    if (current.next.kind !== "wait") throw new Error(`unexpected ${current.next.kind}`);
    await clock.advanceTo(new Date(current.next.sendAt));
    current = await task(clock, deps, current);
  }
  throw new Error("the campaign did not end in 200 tasks");
}

const campaignConfig = (campaign: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
  parseShopConfig({
    members: { levels: [{ name: "银卡", minSpend: 150 }] },
    segments: { buyers: { minPaidOrders: 1 } },
    campaigns: [{ id: "newyear", segment: "buyers", template: TEXT, ...campaign }],
    ...extra,
  });

/** A journey's marketing message to customer `index` at 09:00 on 10 June, counted against the caps. */
const messagedAnHourBefore = (store: Store, index: number) =>
  store.reserveMarketingSend({
    customerId: `c${index}`,
    phone: phoneOf(index),
    key: `gift-30#c${index}#gift`,
    at: new Date(at("2026-06-10", "09:00")),
    perDay: 1,
    perWeek: 3,
  });

const campaignDecisions = async (store: Store) =>
  (await store.listDecisions()).filter((decision) => decision.journey === "campaign");

const sentTo = async (store: Store) =>
  (await store.listOutbox()).filter((entry) => entry.kind === "sms").map((entry) => entry.to);

describe("customer profiles (kept by dispatch, derived from the config)", () => {
  it("counts each paid order once whatever order and however often its events arrive, nets refunds and never lowers a level", async () => {
    const config = parseShopConfig({
      members: {
        levels: [
          { name: "银卡", minSpend: 300 },
          { name: "金卡", minSpend: 400, minOrders: 2 },
        ],
      },
      rfm: { bounds: { r: ["30d", "60d", "90d", "180d"], f: [1, 2, 3, 4], m: [100, 200, 300, 500] } },
    });
    const [created1, paid1] = paidOrder(1, "o1", at("2026-06-01", "10:00"), {
      amount: 100,
      quantity: 2,
      province: "浙江",
    });
    const [created2, paid2] = paidOrder(1, "o2", at("2026-06-20", "10:00"), {
      amount: 300,
      category: "teaware",
      province: "上海",
    });
    const refund = {
      type: "refund.completed",
      at: at("2026-06-25", "10:00"),
      orderId: "o2",
      amount: 50,
      refundId: "r1",
    };
    const events = [
      // The payment overtakes its order; the second order's payment and its refund are delivered twice.
      paid1,
      {
        ...(created1 as ShopEvent),
        order: {
          ...(created1 as Extract<ShopEvent, { type: "order.created" }>).order,
          customer: { id: "c1", phone: phoneOf(1), name: "王芳", birthday: "05-20" },
        },
      },
      created2,
      paid2,
      paid2,
      refund,
      refund,
      // Ordered, never paid: no purchase.
      paidOrder(1, "o3", at("2026-06-26", "10:00"))[0],
    ] as ShopEvent[];

    const store = await storeWith(events, config);
    const customer = await store.getCustomer("c1");
    const profile = profileOf(
      customer as NonNullable<typeof customer>,
      config as unknown as CustomerConfig,
      new Date(at("2026-07-01", "10:00")),
    );

    expect(profile).toMatchObject({
      paidOrders: 2,
      spend: 350,
      items: 3,
      categories: ["tea", "teaware"],
      province: "上海",
      city: "杭州",
      birthday: "05-20",
      stage: "returning",
      // 400 before the refund, 350 after: the level reached stays.
      level: "金卡",
      rfm: { r: 5, f: 2, m: 4 },
    });
    expect(
      customer?.purchases?.map((purchase) => [purchase.orderId, purchase.amount, purchase.refunded]),
    ).toEqual([
      ["o1", 100, 0],
      ["o2", 300, 50],
    ]);
  });

  it("derives prospect, new, returning, dormant (past the win-back's cycle) and churned (past stages.churnedAfter)", async () => {
    const config = parseShopConfig({
      stages: { churnedAfter: "120d" },
      journeys: { winback: { cycle: "60d" } },
    });
    const events = [
      paidOrder(1, "a", at("2026-06-25", "10:00"))[0],
      ...paidOrder(2, "b", at("2026-06-25", "10:00")),
      ...paidOrder(3, "c1", at("2026-06-01", "10:00")),
      ...paidOrder(3, "c2", at("2026-06-20", "10:00")),
      ...paidOrder(4, "d", at("2026-04-20", "10:00")),
      ...paidOrder(5, "e", at("2026-02-01", "10:00")),
    ] as ShopEvent[];
    const store = await storeWith(events, config);
    const now = new Date(at("2026-07-01", "10:00"));

    const stages = await Promise.all(
      [1, 2, 3, 4, 5].map(async (index) => {
        const customer = await store.getCustomer(`c${index}`);
        return profileOf(customer as NonNullable<typeof customer>, config as unknown as CustomerConfig, now)
          .stage;
      }),
    );

    expect(stages).toEqual(["prospect", "new", "returning", "dormant", "churned"]);
  });
});

describe("segments (shopcare segment)", () => {
  it("counts a segment's members by stage and level, most recent buyers first, numbers and names masked", async () => {
    const config = parseShopConfig({
      members: { levels: [{ name: "银卡", minSpend: 150 }] },
      segments: {
        "zhejiang-tea": {
          categories: ["tea"],
          provinces: ["浙江"],
          minItemsPerOrder: 2,
          birthdayMonth: [5, 6],
        },
      },
    });
    const birthday = (events: ShopEvent[], day: string) =>
      events.map((event) =>
        event.type === "order.created"
          ? ({
              ...event,
              order: { ...event.order, customer: { ...event.order.customer, birthday: day } },
            } as ShopEvent)
          : event,
      );
    const events = [
      ...birthday(paidOrder(1, "a", at("2026-06-01", "10:00"), { province: "浙江", quantity: 2 }), "05-01"),
      ...birthday(
        paidOrder(2, "b", at("2026-06-03", "10:00"), { province: "浙江", quantity: 3, amount: 200 }),
        "06-09",
      ),
      // Not in it: one item an order; another province; another category; born in another month.
      ...birthday(paidOrder(3, "c", at("2026-06-04", "10:00"), { province: "浙江", quantity: 1 }), "05-01"),
      ...birthday(paidOrder(4, "d", at("2026-06-05", "10:00"), { province: "上海", quantity: 2 }), "05-01"),
      ...birthday(
        paidOrder(5, "e", at("2026-06-06", "10:00"), { province: "浙江", quantity: 2, category: "snacks" }),
        "05-01",
      ),
      ...birthday(paidOrder(6, "f", at("2026-06-07", "10:00"), { province: "浙江", quantity: 2 }), "01-01"),
    ];
    const store = await storeWith(events, config);

    const preview = await previewSegment(store, config, "zhejiang-tea", new Date(at("2026-06-10", "10:00")));

    expect(preview).toMatchObject({
      customers: 6,
      members: 2,
      byStage: { new: 2 },
      byLevel: { 银卡: 1, "(none)": 1 },
    });
    expect(preview.sample.map(({ customerId, phone, name }) => ({ customerId, phone, name }))).toEqual([
      { customerId: "c2", phone: "+86138****0002", name: "王*" },
      { customerId: "c1", phone: "+86138****0001", name: "王*" },
    ]);
  });

  it("scores RFM by the shop's quintiles when no cut points are configured", async () => {
    const config = parseShopConfig({
      segments: { best: { rfm: { m: [5, 5] } }, worst: { rfm: { m: [1, 1] } } },
    });
    const events = Array.from({ length: 10 }, (_, index) =>
      paidOrder(index + 1, `o${index + 1}`, at("2026-06-01", "10:00"), { amount: 100 * (index + 1) }),
    ).flat();
    const store = await storeWith(events, config);
    const now = new Date(at("2026-06-10", "10:00"));

    const best = await previewSegment(store, config, "best", now);
    const worst = await previewSegment(store, config, "worst", now);

    // Ten customers spending 100 … 1,000: the top fifth scores m 5, the bottom fifth m 1.
    expect(best.bounds?.m).toEqual([200, 400, 600, 800]);
    expect(best.sample.map((member) => member.customerId).sort()).toEqual(["c10", "c9"]);
    expect(worst.sample.map((member) => member.customerId).sort()).toEqual(["c1", "c2"]);
  });
});

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

describe("docs/campaigns.md's holiday care (examples/crm.json)", () => {
  it("greets every buyer at the new year and warms the year's repeat buyers up for 618, most recent first, and credits their orders", async () => {
    const config = JSON.parse(await readFile("examples/crm.json", "utf8"));
    const events = parseEventLines(await readFile("examples/crm.jsonl", "utf8"));

    const decisions = await runSimulation(events, config);

    const campaign = (id: string) => decisions.filter((d) => d.journey === "campaign" && d.step === id);
    const newyear = campaign("newyear-2027");
    const warmup = campaign("warmup-618");
    // Twelve customers, eleven of whom paid; m5 paid last (14 December).
    expect(newyear).toHaveLength(11);
    expect(newyear.every((d) => d.outcome === "sent" && d.at.startsWith("2027-01-01T10:00"))).toBe(true);
    expect(newyear[0]?.customerId).toBe("m5");
    // Two paid orders or more, the last within a year of 10 June 2027.
    expect(warmup.map((d) => d.customerId).sort()).toEqual(["m1", "m11", "m2", "m3", "m5", "m7", "m9"]);
    expect(warmup.find((d) => d.customerId === "m5")?.text).toBe(
      "【茶小铺】陈静，618预热开始啦！金卡会员专享20元券618VIP。拒收请回复R",
    );
    const report = buildReport(parseShopConfig(config), decisions, (await ordersOf(events)) as never);
    expect(report.campaigns.map((c) => [c.campaign, c.sent, c.converted, c.revenue])).toEqual([
      ["newyear-2027", 11, 1, 199],
      ["warmup-618", 7, 1, 399],
    ]);
  });
});

/** The paid orders of an events file, as the report reads them. */
async function ordersOf(events: readonly ShopEvent[]) {
  const paid = new Map(
    events.filter((e) => e.type === "order.paid").map((e) => [(e as { orderId: string }).orderId, e.at]),
  );
  return events
    .filter((e): e is Extract<ShopEvent, { type: "order.created" }> => e.type === "order.created")
    .map((e) => ({
      orderId: e.order.id,
      customerId: e.order.customer.id,
      amount: e.order.amount,
      items: e.order.items,
      paidAt: paid.get(e.order.id),
    }));
}

describe("shopcare backfill (a table deployed before profiles were kept)", () => {
  it("puts each paid order of the table's orders on its customer's profile, once however often it runs", async () => {
    const config = parseShopConfig({ segments: { buyers: { minPaidOrders: 1 } } });
    const tableName = await freshTable("backfill");
    const doc = DynamoDBDocumentClient.from(dynamo());
    // What the table held before: orders and a profile, no purchases, no directory keys.
    const legacyOrder = (orderId: string, paidAt?: string) => ({
      pk: `ORDER#${orderId}`,
      sk: "ORDER",
      orderId,
      customerId: "old",
      createdAt: "2026-05-01T10:00:00+08:00",
      amount: 120,
      items: [{ category: "tea", quantity: 2 }],
      gsi1pk: "CUSTOMER#old",
      gsi1sk: `2026-05-01T02:00:00.000Z#${orderId}`,
      ...(paidAt ? { paidAt } : {}),
    });
    for (const item of [
      legacyOrder("L1", "2026-05-01T10:05:00+08:00"),
      legacyOrder("L2"),
      {
        pk: "CUSTOMER#old",
        sk: "PROFILE",
        customerId: "old",
        phone: phoneOf(9),
        contactAt: "2026-05-01T10:00:00+08:00",
      },
    ])
      await doc.send(new PutCommand({ TableName: tableName, Item: item }));
    const store = new Store(dynamo(), tableName);
    const now = new Date(at("2026-06-01", "10:00"));
    expect((await previewSegment(store, config, "buyers", now)).members).toBe(0);

    const first = await backfillProfiles(store);
    const again = await backfillProfiles(store);

    expect(first).toEqual({ orders: 2, kept: 1, customers: 1 });
    expect(again).toEqual(first);
    const preview = await previewSegment(store, config, "buyers", now);
    expect(preview.sample).toMatchObject([{ customerId: "old", paidOrders: 1, spend: 120 }]);
  });
});
