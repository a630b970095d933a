import { Store } from "../../functions/adapters/dynamodb/store.js";
import { parseShopConfig, type ShopConfig } from "../../functions/core/config/config.js";
import {
  type CampaignDeps,
  type CampaignRunState,
  CampaignRunStateSchema,
  runCampaignTask,
} from "../../functions/core/customers/campaigns.js";
import { dispatchEvent, type JourneyStarter } from "../../functions/core/engine/dispatch.js";
import { ReservedSendRate } from "../../functions/core/engine/rate.js";
import type { ShopEvent } from "../../functions/core/intake/events.js";
import { OutboxOperatorChannel, OutboxSmsProvider } from "../../functions/local/emulator/outbox.js";
import { VirtualClock } from "../../functions/local/emulator/virtual-clock.js";
import { HttpCouponIssuer } from "../../functions/providers/coupons.js";
import { dynamo, freshTable } from "./local.js";
import { local as at } from "./time.js";

/** What the customer, segment and campaign suites share: paid orders, a store built from events, a campaign task on a virtual clock. */

export const TEXT = "【{shop}】{name}，新年快乐！{level}会员专享好礼。回T退订";
export const phoneOf = (index: number) => `+86138${String(index).padStart(8, "0")}`;
export const noJourneys: JourneyStarter = { start: async () => {}, stop: async () => {} };

/** A customer's paid order: `order.created` and `order.paid` five minutes later. */
export function paidOrder(
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
export async function storeWith(events: readonly ShopEvent[], config: ShopConfig): Promise<Store> {
  const store = new Store(dynamo(), await freshTable("crm"));
  const clock = new VirtualClock(new Date(events[0]?.at ?? 0));
  for (const event of [...events].sort((a, b) => Date.parse(a.at) - Date.parse(b.at))) {
    await clock.advanceTo(new Date(event.at));
    await dispatchEvent({ config, store, journeys: noJourneys, clock }, event);
  }
  return store;
}

/** What a campaign task runs with locally: the outbox, the shared send rate, one message at a time. */
export function campaignDeps(
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
export async function task(
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
export async function runToEnd(clock: VirtualClock, deps: CampaignDeps, state: CampaignRunState) {
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

export const campaignConfig = (campaign: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
  parseShopConfig({
    members: { levels: [{ name: "银卡", minSpend: 150 }] },
    segments: { buyers: { minPaidOrders: 1 } },
    campaigns: [{ id: "newyear", segment: "buyers", template: TEXT, ...campaign }],
    ...extra,
  });

/** A journey's marketing message to customer `index` at 09:00 on 10 June, counted against the caps. */
export const messagedAnHourBefore = (store: Store, index: number) =>
  store.reserveMarketingSend({
    customerId: `c${index}`,
    phone: phoneOf(index),
    key: `gift-30#c${index}#gift`,
    at: new Date(at("2026-06-10", "09:00")),
    perDay: 1,
    perWeek: 3,
  });

export const campaignDecisions = async (store: Store) =>
  (await store.listDecisions()).filter((decision) => decision.journey === "campaign");

export const sentTo = async (store: Store) =>
  (await store.listOutbox()).filter((entry) => entry.kind === "sms").map((entry) => entry.to);
