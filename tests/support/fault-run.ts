import { ProvisionedThroughputExceededException } from "@aws-sdk/client-dynamodb";
import type { APIGatewayProxyEventV2 } from "aws-lambda";
import { parseShopConfig } from "../../functions/core/config/config.js";
import { type SmsMessage, type SmsProvider, SmsSendError } from "../../functions/core/config/messaging.js";
import type { JourneyStarter } from "../../functions/core/engine/dispatch.js";
import { ReservedSendRate } from "../../functions/core/engine/rate.js";
import type { ShopEvent } from "../../functions/core/intake/events.js";
import { applyInbound } from "../../functions/core/intake/replies.js";
import { createWebhookRouter, type EventQueue } from "../../functions/handlers/ingest.js";
import { MemoryTable } from "../../functions/local/emulator/memory-table.js";
import { createLocalShop } from "../../functions/local/emulator/runtime.js";
import { synthesizeTemplate } from "../../functions/local/emulator/synth.js";
import { VirtualClock } from "../../functions/local/emulator/virtual-clock.js";
import { syntheticEvents } from "../../functions/local/simulator/synthetic.js";
import { genericHeaders } from "./webhooks.js";

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
};

/** What a run did and found. Every invariant count must be 0. */
export interface FaultRunReport {
  readonly seed: number;
  readonly orders: number;
  readonly webhooks: number;
  readonly decisions: number;
  readonly providerCalls: number;
  readonly faults: Record<string, number>;
  /** Accepted events whose facts never reached the store, plus dead letters. */
  readonly lost: number;
  /** Ledger keys with two provider calls that could both have delivered. */
  readonly duplicated: number;
  /** Marketing provider calls made after the number's or customer's opt-out was recorded. */
  readonly sentAfterOptOut: number;
  /** Ambiguous sends whose receipt arrived and whose decision still says `delivery: unknown`. */
  readonly unsettled: number;
  /** Ledger entries still claimed (pending) at the end, and executions that failed. */
  readonly undecided: number;
  /** Sent messages that carried a tracked link, and those whose code did not redirect. */
  readonly linked: number;
  readonly deadLinks: number;
  /**
   * The longest execution history of the run, as Step Functions would record it (every journey's, with the
   * faults' retries): an execution fails at 25,000 events.
   */
  readonly largestHistory: { readonly name: string; readonly events: number };
  readonly details: readonly string[];
}

/** A text's place in [0, 1): FNV-1a, then a murmur finaliser for the low bits. */
function unitHash(text: string): number {
  let hash = 2166136261;
  for (let i = 0; i < text.length; i += 1) hash = Math.imul(hash ^ text.charCodeAt(i), 16777619);
  hash ^= hash >>> 16;
  hash = Math.imul(hash, 0x85ebca6b);
  hash ^= hash >>> 13;
  hash = Math.imul(hash, 0xc2b2ae35);
  hash ^= hash >>> 16;
  return (hash >>> 0) / 4294967296;
}

/** The texts a step's writes carry, to crash that step (and no other) at its next write. */
function stepMarker(ledgerKey: string): string {
  const parts = ledgerKey.split(":");
  const journey = parts[0] as string;
  const subject = parts.slice(1, -1).join(":");
  return `JOURNEY#${journey}#${subject}"|"subjectId":"${subject}"`;
}

const SECRET = "fault-run-secret";

/** The in-memory table, refusing requests as throttled at random and failing armed writes ("crashes"). */
class FaultyTable extends MemoryTable {
  /**
   * Steps that die at their next write, by the text that write carries (`JOURNEY#<journey>#<subject>` or
   * `"subjectId":"<subject>"`): the process died before or while making it.
   */
  readonly crashing = new Set<string>();
  /** Off once the run is over: the invariants read the table without faults. */
  injecting = true;
  /** Opt-outs recorded (by key), numbered in the order they succeeded. */
  readonly optOuts: { key: string; seq: number }[] = [];
  /** Ledger entries claimed and not (yet) decided or released: `pk|sk`. */
  readonly pendingClaims = new Set<string>();

  constructor(
    private readonly chance: (kind: keyof FaultRates, key: string) => boolean,
    private readonly sequence: () => number,
  ) {
    super();
  }

  override async send(command: object): Promise<unknown> {
    const request = command as {
      kind?: string;
      input?: { Key?: Record<string, unknown>; Item?: Record<string, unknown> };
    };
    const write = request.kind !== "Get" && request.kind !== "Query" && request.kind !== "Scan";
    const text = JSON.stringify(command);
    if (write && this.injecting) {
      for (const marker of this.crashing) {
        if (!marker.split("|").some((part) => text.includes(part))) continue;
        this.crashing.delete(marker);
        throw new Error("crashed: the step's process died here");
      }
    }
    const item = request.input?.Item;
    if (
      this.injecting &&
      request.kind === "Put" &&
      item?.status === "pending" &&
      this.chance("crashBeforeClaim", text)
    )
      throw new Error("crashed before the claim (injected)");
    if (this.injecting && this.chance("dynamoThrottle", text))
      throw new ProvisionedThroughputExceededException({ message: "throttled (injected)", $metadata: {} });
    const answer = await super.send(command);
    if (request.kind === "Put" && item && String(item.sk).startsWith("STEP#")) {
      const claim = `${item.pk}|${item.sk}`;
      if (item.status === "pending") this.pendingClaims.add(claim);
      else this.pendingClaims.delete(claim);
    }
    const key = request.input?.Key;
    if (request.kind === "Delete" && key) this.pendingClaims.delete(`${key.pk}|${key.sk}`);
    if (write && key && JSON.stringify(request.input).includes("optedOutAt")) {
      const pk = String(key.pk);
      if (pk.startsWith("OPTOUT#") || pk.startsWith("CUSTOMER#"))
        this.optOuts.push({ key: pk, seq: this.sequence() });
    }
    return answer;
  }
}

/** Runs one seeded fault-injection month. */
export async function runFaultInjection(options: {
  readonly orders: number;
  readonly days?: number;
  readonly seed: number;
  readonly rates?: Partial<FaultRates>;
}): Promise<FaultRunReport> {
  const rates = { ...DEFAULT_FAULT_RATES, ...options.rates };
  const faults: Record<string, number> = {};
  const attempts = new Map<string, number>();
  // Each decision is keyed by what it is about (and how often it was asked), not by the order in which
  // concurrent work asks: the same seed injects the same faults whatever the interleaving.
  const chance = (kind: keyof FaultRates, key: string) => {
    const id = `${kind}|${key}`;
    const attempt = (attempts.get(id) ?? 0) + 1;
    attempts.set(id, attempt);
    const hit = unitHash(`${options.seed}|${id}|${attempt}`) < rates[kind];
    if (hit) faults[kind] = (faults[kind] ?? 0) + 1;
    return hit;
  };
  let seq = 0;
  const sequence = () => {
    seq += 1;
    return seq;
  };
  const config = parseShopConfig({
    // Tracked links in two journeys: each minted under the same faults as the send it rides on.
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
  });
  const events = syntheticEvents({
    orders: options.orders,
    days: options.days ?? 30,
    seed: options.seed,
  }).sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
  const clock = new VirtualClock(new Date(events[0]?.at ?? "2026-06-01T00:00:00+08:00"));
  const table = new FaultyTable(chance, sequence);
  const failures: string[] = [];

  /** Every provider call: whether it could have delivered, and to whom. */
  const calls: { reference: string; to: string; marketing: boolean; couldDeliver: boolean; seq: number }[] =
    [];
  /** Receipts that arrived for sends the provider did not answer (ambiguous, or answered then crashed). */
  const receiptsArrived = new Set<string>();
  let messageSeq = 0;
  let shopRef: Awaited<ReturnType<typeof createLocalShop>> | undefined;
  let rate: ReservedSendRate | undefined;

  const deliverReceipt = (reference: string, messageId: string, afterMs: number) => {
    clock.begin();
    void clock
      .sleepUntil(new Date(clock.now().getTime() + afterMs))
      .then(async () => {
        const shop = shopRef as NonNullable<typeof shopRef>;
        // A push that fails (throttled, or too early: its send not decided yet) is pushed again later, as
        // Aliyun does (1, 5, 10 minutes) and SNS → Lambda's async retries do — here every 10 minutes.
        for (let attempt = 0; attempt < 10; attempt += 1) {
          if (attempt > 0) await clock.sleepUntil(new Date(clock.now().getTime() + 10 * 60_000));
          try {
            await applyInbound(shop, {
              kind: "receipt",
              provider: "faulty",
              messageId,
              reference,
              delivery: "delivered",
              at: clock.now().toISOString(),
            });
            receiptsArrived.add(reference);
            return;
          } catch {
            // tried again
          }
        }
      })
      .finally(() => clock.end());
  };

  const sms: SmsProvider = {
    name: "faulty",
    send: async (message: SmsMessage) => {
      const call = {
        reference: message.reference,
        to: message.to,
        marketing: message.messageClass === "marketing",
        couldDeliver: false,
        seq: sequence(),
      };
      calls.push(call);
      const key = message.reference;
      if (chance("provider5xx", key)) throw new SmsSendError("retryable", "InternalError", "injected 5xx");
      if (chance("providerThrottle", key))
        throw new SmsSendError("retryable", "Throttling", "injected throttle");
      messageSeq += 1;
      const messageId = `m${messageSeq}`;
      call.couldDeliver = true;
      const receipt = () => {
        if (chance("receiptNever", key)) return;
        deliverReceipt(
          message.reference,
          messageId,
          chance("receiptLate", key) ? 2 * 86_400_000 : 5 * 60_000,
        );
      };
      if (chance("providerTimeout", key)) {
        receipt();
        throw new SmsSendError("ambiguous", "TimeoutError", "injected timeout after the request left");
      }
      receipt();
      // The provider accepted; the step dies before its decision (and message ref) are written.
      if (chance("crashAfterSend", key)) table.crashing.add(stepMarker(key));
      return { provider: "faulty", messageId };
    },
  };

  // Dispatch dying mid-batch, just before it starts or stops an execution: the record is redelivered.
  let engine: JourneyStarter | undefined;
  const journeys: JourneyStarter = {
    start: async (journey, name, input) => {
      if (chance("dispatchCrash", `start ${name}`)) throw new Error("dispatch crashed (injected)");
      return engine?.start(journey, name, input);
    },
    stop: async (journey, name) => {
      if (chance("dispatchCrash", `stop ${name}`)) throw new Error("dispatch crashed (injected)");
      return engine?.stop(journey, name);
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
    sms,
    onExecutionFailed: (name, error) => failures.push(`${name}: ${String(error)}`),
    rateLimiter: {
      acquire: async (forSend) => {
        const shop = shopRef as NonNullable<typeof shopRef>;
        rate ??= new ReservedSendRate(shop.store, clock, sms.name, config.sms.ratePerSecond);
        const granted = await rate.acquire();
        // The number replies TD while its send waits for the slot: recorded as the wait ends, just before
        // the send would go out.
        if (forSend && chance("optOutDuringRateWait", forSend.reference))
          await shop.store.recordPhoneOptOut(forSend.to, clock.now().toISOString(), "sms-two-way");
        return granted;
      },
    },
    coupons: {
      issue: async ({ customerId, idempotencyKey }) => {
        // The customer's number replies TD while the coupon call is in flight.
        if (chance("optOutDuringSend", idempotencyKey)) {
          const customer = await shop.store.getCustomer(customerId);
          if (customer?.phone)
            await shop.store.recordPhoneOptOut(customer.phone, clock.now().toISOString(), "sms-two-way");
        }
        // The step dies after its claim, before the provider call: its claim stays held.
        if (chance("crashAfterClaim", idempotencyKey)) {
          table.crashing.add(stepMarker(idempotencyKey));
          throw new Error("crashed after the claim (injected)");
        }
        return `C-${customerId}`;
      },
    },
  });
  shopRef = shop;
  engine = shop.engine;

  // Ingest as on AWS: the router, with an enqueue that sometimes fails and an SQS that sometimes
  // delivers a message twice.
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
  await clock.runUntilIdle();
  await shop.engine.drain();

  // The invariants, read without faults.
  table.injecting = false;
  const details: string[] = [];
  const deadLetters = await shop.store.listDeadLetters();
  let lost = deadLetters.length;
  for (const letter of deadLetters) details.push(`dead letter: ${letter.error}`);
  for (const event of accepted) {
    if (event.type === "order.created" && !(await shop.store.getOrder(event.order.id))) {
      lost += 1;
      details.push(`lost: order.created ${event.order.id}`);
    }
    if (event.type === "order.paid" && !(await shop.store.getOrder(event.orderId))?.paidAt) {
      lost += 1;
      details.push(`lost: order.paid ${event.orderId}`);
    }
  }
  const delivering = new Map<string, number>();
  for (const call of calls)
    if (call.couldDeliver) delivering.set(call.reference, (delivering.get(call.reference) ?? 0) + 1);
  const duplicated = [...delivering.values()].filter((count) => count > 1).length;
  for (const [reference, count] of delivering)
    if (count > 1) details.push(`duplicated: ${reference} × ${count}`);

  // Opt-outs by number, with the sequence number at which each was recorded.
  const optedOutAt = new Map<string, number>();
  for (const optOut of table.optOuts) {
    let phone: string | undefined;
    if (optOut.key.startsWith("OPTOUT#")) phone = optOut.key.slice("OPTOUT#".length);
    else phone = (await shop.store.getCustomer(optOut.key.slice("CUSTOMER#".length)))?.phone;
    if (phone && !optedOutAt.has(phone)) optedOutAt.set(phone, optOut.seq);
  }
  const afterOptOut = calls.filter(
    (call) => call.marketing && (optedOutAt.get(call.to) ?? Number.POSITIVE_INFINITY) < call.seq,
  );
  for (const call of afterOptOut) details.push(`sent after opt-out: ${call.reference}`);

  const decisions = await shop.store.listDecisions();
  // A receipt that arrived must have settled its send: the reference is the ledger key, journey:subject:step.
  const unsettledKeys: string[] = [];
  for (const reference of receiptsArrived) {
    const parts = reference.split(":");
    const [journey, step] = [parts[0] as string, parts.at(-1) as string];
    const subject = parts.slice(1, -1).join(":");
    const entry = (await shop.store.listLedger(journey as never, subject)).get(step);
    if (entry?.status === "final" && entry.outcome === "sent" && entry.delivery === "unknown")
      unsettledKeys.push(reference);
  }
  for (const key of unsettledKeys) details.push(`unsettled: ${key}`);
  // Every message that went out with a link carries a code that redirects to its target.
  const linked = decisions.filter((decision) => decision.outcome === "sent" && decision.link !== undefined);
  let deadLinks = 0;
  for (const decision of linked) {
    const link = await shop.store.getLink(decision.link as string, new Date(decision.at));
    if (!link || !decision.text?.includes(`/l/${decision.link}`)) {
      deadLinks += 1;
      details.push(`dead link: ${decision.journey}.${decision.step} ${decision.link}`);
    }
  }
  // Claims still held in the table (read back: the tracking above only narrows the search).
  const held: string[] = [];
  for (const claim of table.pendingClaims) {
    const [pk, sk] = claim.split("|") as [string, string];
    const [, journey, ...subject] = pk.split("#");
    const entry = (await shop.store.listLedger(journey as never, subject.join("#"))).get(
      sk.slice("STEP#".length),
    );
    if (entry?.status === "pending") held.push(`${claim} ${JSON.stringify(entry)}`);
  }
  const undecided = failures.length + held.length;
  for (const claim of held) details.push(`still claimed: ${claim}`);
  for (const failure of failures) details.push(`execution failed: ${failure}`);

  return {
    seed: options.seed,
    orders: options.orders,
    webhooks,
    decisions: decisions.length,
    providerCalls: calls.length,
    faults,
    lost,
    duplicated,
    sentAfterOptOut: afterOptOut.length,
    unsettled: unsettledKeys.length,
    undecided,
    linked: linked.length,
    deadLinks,
    largestHistory: shop.engine.largestHistory,
    details,
  };
}
