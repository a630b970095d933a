import type { APIGatewayProxyEventV2 } from "aws-lambda";
import type { ShopConfig } from "../../functions/core/config/config.js";
import type { JourneyStarter } from "../../functions/core/engine/dispatch.js";
import { ReservedSendRate } from "../../functions/core/engine/rate.js";
import type { ShopEvent } from "../../functions/core/intake/events.js";
import { createWebhookRouter, type EventQueue } from "../../functions/handlers/ingest.js";
import { createLocalShop, type LocalShop } from "../../functions/local/emulator/runtime.js";
import { synthesizeTemplate } from "../../functions/local/emulator/synth.js";
import type { VirtualClock } from "../../functions/local/emulator/virtual-clock.js";
import {
  type FaultInjector,
  type FaultyProvider,
  type FaultyTable,
  stepMarker as stepMarkerOf,
} from "./fault-parts.js";
import { genericHeaders } from "./webhooks.js";

/** The shop of a fault-injection run, and the webhooks a sender delivers to it, under faults. */

const SECRET = "fault-run-secret";

/** What a faulty shop is made of. */
export interface FaultyShopParts {
  readonly config: ShopConfig;
  readonly clock: VirtualClock;
  readonly injector: FaultInjector;
  readonly table: FaultyTable;
  readonly provider: FaultyProvider;
  /** Executions that failed, as `name: error`. */
  readonly failures: string[];
  /** Every Kuaidi100 subscription call, with its number and what it was answered. */
  readonly kuaidi100Calls: { number: string; returnCode: string }[];
}

/**
 * The local shop on the faulty table and provider, with dispatch dying mid-batch, numbers opting out while
 * their send waits (for its rate slot, for its coupon) and steps dying after their claim.
 */
export async function createFaultyShop(parts: FaultyShopParts): Promise<LocalShop> {
  const { config, clock, table, provider } = parts;
  const { chance } = parts.injector;
  let shopRef: LocalShop | undefined;
  let rate: ReservedSendRate | undefined;
  // Dispatch dying mid-batch, just before it starts or stops an execution: the record is redelivered.
  const journeys: JourneyStarter = {
    start: async (journey, name, input) => {
      if (chance("dispatchCrash", `start ${name}`)) throw new Error("dispatch crashed (injected)");
      return shopRef?.engine.start(journey, name, input);
    },
    stop: async (journey, name) => {
      if (chance("dispatchCrash", `stop ${name}`)) throw new Error("dispatch crashed (injected)");
      return shopRef?.engine.stop(journey, name);
    },
  };
  const shop = await createLocalShop({
    config,
    clock,
    activity: clock,
    journeys,
    dynamo: table,
    template: synthesizeTemplate(config),
    retryIntervalMs: 0,
    sms: provider,
    onExecutionFailed: (name, error) => parts.failures.push(`${name}: ${String(error)}`),
    rateLimiter: {
      acquire: async (forSend) => {
        const shop = shopRef as LocalShop;
        rate ??= new ReservedSendRate(shop.store, clock, provider.name, config.sms.ratePerSecond);
        const granted = await rate.acquire();
        // The number replies TD while its send waits for the slot: recorded as the wait ends, just before
        // the send would go out.
        if (forSend && chance("optOutDuringRateWait", forSend.reference))
          await shop.store.recordPhoneOptOut(forSend.to, clock.now().toISOString(), "sms-two-way");
        return granted;
      },
    },
    // Kuaidi100 failing now and then (500, or no answer), already subscribed numbers answered 501.
    kuaidi100: {
      account: { key: "fault-key", customer: "fault-customer", salt: SECRET },
      poll: {
        subscribe: async (form) => {
          const number = String(JSON.parse(form.param).number);
          const polling = parts.kuaidi100Calls.some(
            (call) => call.number === number && call.returnCode === "200",
          );
          const failing = chance("kuaidi100Failure", `${number}#${parts.kuaidi100Calls.length}`);
          const returnCode = failing ? "500" : polling ? "501" : "200";
          parts.kuaidi100Calls.push({ number, returnCode });
          if (failing && parts.kuaidi100Calls.length % 2 === 0)
            throw new Error("Kuaidi100 did not answer (injected)");
          return { returnCode, message: returnCode === "500" ? "服务器错误" : "提交成功" };
        },
      },
    },
    coupons: {
      issue: async ({ customerId, idempotencyKey }) => {
        const shop = shopRef as LocalShop;
        // The customer's number replies TD while the coupon call is in flight.
        if (chance("optOutDuringSend", idempotencyKey)) {
          const customer = await shop.store.getCustomer(customerId);
          if (customer?.phone)
            await shop.store.recordPhoneOptOut(customer.phone, clock.now().toISOString(), "sms-two-way");
        }
        // The step dies after its claim, before the provider call: its claim stays held.
        if (chance("crashAfterClaim", idempotencyKey)) {
          table.crashing.add(stepMarkerOf(idempotencyKey));
          throw new Error("crashed after the claim (injected)");
        }
        return `C-${customerId}`;
      },
    },
  });
  shopRef = shop;
  provider.shop = shop;
  return shop;
}

/**
 * Delivers the month's events as a sender would, through ingest as on AWS (the router, with an enqueue that
 * sometimes fails and an SQS that sometimes delivers a message twice): sometimes in the other order, twice,
 * or twice at once, retrying a 5xx.
 * @returns how many webhooks were posted, and the events ingest accepted
 */
export async function deliverWebhooks(
  shop: LocalShop,
  parts: Pick<FaultyShopParts, "config" | "clock" | "injector">,
  events: readonly ShopEvent[],
): Promise<{ webhooks: number; accepted: ShopEvent[] }> {
  const { config, clock } = parts;
  const { chance } = parts.injector;
  const queue: EventQueue = {
    enqueue: async (batch, webhookId) => {
      if (chance("enqueueFailure", webhookId)) throw new Error("SQS unavailable (injected)");
      await shop.queue.enqueue(batch, webhookId);
      if (chance("queueRedelivery", webhookId)) await shop.queue.enqueue(batch, webhookId);
    },
  };
  const router = createWebhookRouter({
    config,
    store: shop.store,
    clock,
    queue,
    secrets: { get: async () => SECRET },
  });
  const post = async (event: ShopEvent) => {
    const body = JSON.stringify(event);
    const request = {
      rawPath: "/webhooks/generic",
      headers: genericHeaders(body, clock.now(), SECRET),
      body,
      isBase64Encoded: false,
    };
    // The sender retries a 5xx (Shopify: up to 19 times over 48 hours).
    for (let attempt = 0; attempt < 19; attempt += 1) {
      try {
        const answer = await router(request as unknown as APIGatewayProxyEventV2);
        if ((answer.statusCode ?? 500) < 500) return answer.statusCode;
      } catch {
        // a 5xx: the sender tries again
      }
    }
    return 500;
  };

  const accepted: ShopEvent[] = [];
  const ordered = [...events];
  for (let index = 0; index + 1 < ordered.length; index += 1) {
    if (chance("reorder", String(index)))
      [ordered[index], ordered[index + 1]] = [ordered[index + 1] as ShopEvent, ordered[index] as ShopEvent];
  }
  let webhooks = 0;
  for (const event of ordered) {
    if (Date.parse(event.at) > clock.now().getTime()) await clock.advanceTo(new Date(event.at));
    const eventKey = JSON.stringify(event);
    const copies = chance("concurrentDelivery", eventKey) ? 2 : 1;
    const statuses = await Promise.all(Array.from({ length: copies }, () => post(event)));
    if (chance("duplicateDelivery", eventKey)) statuses.push(await post(event));
    webhooks += statuses.length;
    if (statuses.some((status) => status === 202)) accepted.push(event);
    await shop.queue.drain();
  }
  return { webhooks, accepted };
}
