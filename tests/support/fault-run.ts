import { parseShopConfig } from "../../functions/core/config/config.js";
import { VirtualClock } from "../../functions/local/emulator/virtual-clock.js";
import { syntheticEvents } from "../../functions/local/simulator/synthetic.js";
import { type FaultFindings, readInvariants } from "./fault-invariants.js";
import { FaultInjector, FaultyProvider, FaultyTable } from "./fault-parts.js";
import { createFaultyShop, deliverWebhooks } from "./fault-shop.js";

/**
 * A fault-injection run: a synthetic month through the real webhook router, dispatch and the synthesized
 * state machines on the local engine (virtual clock, the in-memory table held to DynamoDB Local by its
 * parity tests), while faults are injected at random from one seed — then invariants are checked over
 * everything that happened. `npm run bench -- --only faults` runs it at full size; a smaller seed runs in
 * `npm test`; a failing seed reproduces with `--seed`.
 */

/** The faults and how often each is injected (per chance to inject it). */
export interface FaultRates {
  /** A DynamoDB request refused as throttled (after the SDK's own retries). */
  readonly dynamoThrottle: number;
  /** The provider answers 5xx / throttles: certainly not sent. */
  readonly provider5xx: number;
  readonly providerThrottle: number;
  /** The provider call times out after the request left: maybe sent. */
  readonly providerTimeout: number;
  /** The step dies before its claim is written. */
  readonly crashBeforeClaim: number;
  /** The step dies after its claim, before the provider call (its claim stays held). */
  readonly crashAfterClaim: number;
  /** Dispatch dies in the middle of a batch, before an execution start or stop. */
  readonly dispatchCrash: number;
  /** The step dies after the provider accepted, before the decision is written. */
  readonly crashAfterSend: number;
  /** A webhook delivered twice, one after the other / both at once. */
  readonly duplicateDelivery: number;
  readonly concurrentDelivery: number;
  /** Two webhooks delivered in the other order. */
  readonly reorder: number;
  /** Ingest's enqueue fails (the sender retries after a 5xx). */
  readonly enqueueFailure: number;
  /** SQS delivers a message twice. */
  readonly queueRedelivery: number;
  /** The number opts out while its marketing send waits for the coupon call. */
  readonly optOutDuringSend: number;
  /** The number opts out while its send waits for its provider rate slot. */
  readonly optOutDuringRateWait: number;
  /** A receipt arrives within minutes / days / never. */
  readonly receiptLate: number;
  readonly receiptNever: number;
  /** Kuaidi100 answers a subscription 500, or not at all. */
  readonly kuaidi100Failure: number;
}

export const DEFAULT_FAULT_RATES: FaultRates = {
  dynamoThrottle: 0.002,
  provider5xx: 0.03,
  providerThrottle: 0.03,
  providerTimeout: 0.03,
  crashBeforeClaim: 0.02,
  crashAfterClaim: 0.02,
  dispatchCrash: 0.01,
  crashAfterSend: 0.02,
  duplicateDelivery: 0.03,
  concurrentDelivery: 0.03,
  reorder: 0.03,
  enqueueFailure: 0.03,
  queueRedelivery: 0.03,
  optOutDuringSend: 0.05,
  optOutDuringRateWait: 0.03,
  receiptLate: 0.2,
  receiptNever: 0.2,
  kuaidi100Failure: 0.1,
};

/** What a run did and found (its findings: `fault-invariants.ts`). Every invariant count must be 0. */
export interface FaultRunReport extends FaultFindings {
  readonly seed: number;
  readonly orders: number;
  readonly webhooks: number;
  readonly decisions: number;
  readonly providerCalls: number;
  readonly faults: Record<string, number>;
  /**
   * The longest execution history of the run, as Step Functions would record it (every journey's, with the
   * faults' retries): an execution fails at 25,000 events.
   */
  readonly largestHistory: { readonly name: string; readonly events: number };
  /**
   * Every shipped order's Kuaidi100 subscription: shipped, settled (subscribed or handed off), and the
   * numbers Kuaidi100 took more than once (none may be) or that were never settled (none may be).
   */
  readonly parcels: {
    readonly shipped: number;
    readonly subscribed: number;
    readonly handedOff: number;
    readonly unsettled: number;
    readonly subscribedTwice: number;
    readonly calls: number;
  };
}

/** Tracked links in two journeys, each minted under the same faults as the send it rides on; coupons. */
const FAULT_RUN_CONFIG = {
  links: {
    baseUrl: "https://s.shop.cn",
    targets: { "payment-reminder": "https://shop.cn/pay/{orderId}", "gift-30": "https://shop.cn/gift" },
  },
  journeys: {
    paymentReminder: { templates: { first: "【{shop}】{name}您好，订单{orderId}还未付款：{link}" } },
    gift30: {
      coupon: { issueUrl: "https://coupons.invalid/issue" },
      template: "【{shop}】{name}，送您{couponAmount}元券{coupon}，{link} 回T退订",
    },
    gift100: { coupon: { issueUrl: "https://coupons.invalid/issue" } },
    winback: { coupon: { issueUrl: "https://coupons.invalid/issue" } },
  },
};

/** Runs one seeded fault-injection month. */
export async function runFaultInjection(options: {
  readonly orders: number;
  readonly days?: number;
  readonly seed: number;
  readonly rates?: Partial<FaultRates>;
}): Promise<FaultRunReport> {
  const injector = new FaultInjector(options.seed, { ...DEFAULT_FAULT_RATES, ...options.rates });
  const config = parseShopConfig(FAULT_RUN_CONFIG);
  const events = syntheticEvents({
    orders: options.orders,
    days: options.days ?? 30,
    seed: options.seed,
  }).sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
  const clock = new VirtualClock(new Date(events[0]?.at ?? "2026-06-01T00:00:00+08:00"));
  const table = new FaultyTable(injector);
  const provider = new FaultyProvider(injector, clock, table);
  const failures: string[] = [];
  const kuaidi100Calls: { number: string; returnCode: string }[] = [];
  const parts = { config, clock, injector, table, provider, failures, kuaidi100Calls };
  const shop = await createFaultyShop(parts);

  const { webhooks, accepted } = await deliverWebhooks(shop, parts, events);
  await clock.runUntilIdle();
  await shop.engine.drain();

  // The invariants, read without faults.
  table.injecting = false;
  const decisions = await shop.store.listDecisions();
  const findings = await readInvariants({ shop, table, provider, failures, accepted, decisions });
  const parcels = await parcelFindings(shop, parts.kuaidi100Calls);
  return {
    seed: options.seed,
    orders: options.orders,
    webhooks,
    decisions: decisions.length,
    providerCalls: provider.calls.length,
    faults: injector.faults,
    ...findings,
    largestHistory: shop.engine.largestHistory,
    parcels,
  };
}

/** Each shipped order's subscription as the run left it, and the numbers Kuaidi100 took twice. */
async function parcelFindings(
  shop: Awaited<ReturnType<typeof createFaultyShop>>,
  calls: readonly { readonly number: string; readonly returnCode: string }[],
): Promise<FaultRunReport["parcels"]> {
  const shipped = (await shop.store.listOrders()).filter((order) => order.trackingNo && order.shippedAt);
  const states = await Promise.all(
    shipped.map((order) => shop.store.getParcelSubscription(order.orderId, order.trackingNo as string)),
  );
  const taken = new Map<string, number>();
  for (const call of calls)
    if (call.returnCode === "200") taken.set(call.number, (taken.get(call.number) ?? 0) + 1);
  return {
    shipped: shipped.length,
    subscribed: states.filter((state) => state?.status === "subscribed").length,
    handedOff: states.filter((state) => state?.status === "handed-off").length,
    unsettled: states.filter((state) => state?.status !== "subscribed" && state?.status !== "handed-off")
      .length,
    subscribedTwice: [...taken.values()].filter((count) => count > 1).length,
    calls: calls.length,
  };
}
