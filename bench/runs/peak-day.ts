import { Store } from "../../functions/adapters/dynamodb/store.js";
import { parseShopConfig, type ShopConfig } from "../../functions/core/config/config.js";
import { dispatchEvent, PacedJourneyStarter } from "../../functions/core/engine/dispatch.js";
import { StoreRateLimiter } from "../../functions/core/engine/rate.js";
import type { ShopEvent } from "../../functions/core/intake/events.js";
import { isRateLimited, requeueDelaySeconds } from "../../functions/handlers/dispatch.js";
import { createWebhookRouter } from "../../functions/handlers/ingest.js";
import { MemoryTable } from "../../functions/local/emulator/memory-table.js";
import { VirtualClock } from "../../functions/local/emulator/virtual-clock.js";
import { syntheticEvents } from "../../functions/local/simulator/synthetic.js";
import { DISPATCH_CONCURRENCY } from "../../infra/shopcare-stack.js";
import { genericHeaders } from "../../tests/support/webhooks.js";
import { num, record, round, SECRET } from "../harness.js";

export async function peakDay(_dynamo?: unknown) {
  const orders = num("peak-orders");
  const quota = num("start-quota");
  const stopQuota = num("stop-quota");
  const dispatchers = DISPATCH_CONCURRENCY;
  const config = parseShopConfig({
    quotas: { startExecutionPerSecond: quota, stopExecutionPerSecond: stopQuota },
  });
  const events = syntheticEvents({ orders, days: 1, seed: 5, repeatShare: 0.1 }).filter(
    (e) => e.type === "order.created" || e.type === "order.paid",
  );
  // A virtual day on the in-memory table: the figure is about the buffer's pacing, counted in virtual
  // seconds, so 100,000 orders take minutes here instead of the hour the quota would make them take.
  const clock = new VirtualClock(new Date(events[0]?.at ?? "2026-11-11T00:00:00+08:00"));
  const store = new Store(new MemoryTable(), "shopcare");
  const started = performance.now();

  const { queued, refused, redeliveredWebhooks } = await ingestDay(config, clock, store, events);
  const ingestSeconds = (performance.now() - started) / 1000;

  const day = await dispatchDay({ config, clock, store, quota, stopQuota, dispatchers }, queued);
  const { starts, startTimes, stopTimes, dayStart, dispatched, redelivered, requeued, deadLettered } = day;
  const seconds = (performance.now() - started) / 1000;
  const virtualSeconds = (clock.now().getTime() - dayStart) / 1000;
  const peak = peakPerSecond(startTimes);
  const stopPeak = peakPerSecond(stopTimes);
  const expectedNames = new Set<string>();
  for (const event of events)
    if (event.type === "order.created") expectedNames.add(`payment-reminder-${event.order.id}`);
  const lostReminders = [...expectedNames].filter((name) => !starts.has(name)).length;
  const lostEvents = Math.max(0, events.length - refused - dispatched);
  // A redelivered webhook's events are queued again by design (ingest never trusts a first attempt that
  // may still be queueing); dispatch is idempotent, so these copies change nothing.
  const queuedTwice = Math.max(0, dispatched - events.length);
  record({
    figure: "peak day: StartExecution peak per second / quota",
    value: round(peak / quota),
    unit: "",
    target:
      "≤ 1.1 (one start per 1/quota-second slot; a sliding second may straddle one more), nothing lost; the same for stops",
    met:
      peak <= quota * 1.1 &&
      stopPeak <= stopQuota * 1.1 &&
      lostReminders === 0 &&
      lostEvents === 0 &&
      deadLettered === 0 &&
      refused === 0,
    detail: `${events.length} order events (${orders} orders in one virtual day, all at once, ${redeliveredWebhooks} webhooks delivered twice) through ingest (${round(ingestSeconds, 1)} s) and ${dispatchers} dispatchers: ${dispatched} dispatched, ${refused} refused, ${lostEvents} lost, ${queuedTwice} queued twice (copies of redelivered webhooks, idempotent); ${starts.size} executions started over ${round(virtualSeconds, 0)} virtual seconds, peak ${peak}/s against a quota of ${quota}/s; ${stopTimes.length} stops, peak ${stopPeak}/s against a quota of ${stopQuota}/s; ${requeued} requeued with a delay for want of a start or stop slot, ${redelivered} redelivered after the visibility timeout, ${deadLettered} dead letters (maxReceiveCount ${MAX_RECEIVES}), ${lostReminders} payment reminders lost; ${round(seconds, 1)} s in all. A repeated start of one name is a no-op on Step Functions`,
  });
}

/**
 * Ingest: every event is a signed generic webhook through the real router (signature, parse, archive,
 * enqueue); the queue is the buffer (SQS on AWS), all of the day's burst at once.
 */
async function ingestDay(
  config: ShopConfig,
  clock: VirtualClock,
  store: Store,
  events: readonly ShopEvent[],
) {
  const queued: ShopEvent[] = [];
  const router = createWebhookRouter({
    config,
    store,
    clock,
    queue: { enqueue: async (batch) => void queued.push(...batch) },
    secrets: { get: async () => SECRET },
  });
  let refused = 0;
  let redeliveredWebhooks = 0;
  for (const [index, event] of events.entries()) {
    const body = JSON.stringify(event);
    const headers = genericHeaders(body, clock.now(), SECRET);
    // Every 50th webhook is delivered twice, as platforms do when an answer is slow.
    for (let delivery = 0; delivery < (index % 50 === 0 ? 2 : 1); delivery += 1) {
      const response = await router({
        rawPath: "/webhooks/generic",
        headers,
        body,
        isBase64Encoded: false,
      } as never);
      if (response.statusCode !== 202) refused += 1;
      if (delivery > 0) redeliveredWebhooks += 1;
    }
  }
  return { queued, refused, redeliveredWebhooks };
}

/** What the day's dispatchers work with: the config, the clock, the store, the quotas and how many. */
interface DispatchDay {
  readonly config: ShopConfig;
  readonly clock: VirtualClock;
  readonly store: Store;
  readonly quota: number;
  readonly stopQuota: number;
  readonly dispatchers: number;
}

/**
 * Dispatch: concurrent dispatchers drain the buffer through the StartExecution and StopExecution budgets
 * (each payment stops its order's reminder). Starts and stops are counted, not run: this figure is about
 * dispatch and the buffer in front of Step Functions.
 */
async function dispatchDay(
  { config, clock, store, quota, stopQuota, dispatchers }: DispatchDay,
  queued: readonly ShopEvent[],
) {
  const starts = new Map<string, number>();
  const startTimes: number[] = [];
  const stopTimes: number[] = [];
  const counting = {
    start: async (_journey: string, name: string) => {
      starts.set(name, (starts.get(name) ?? 0) + 1);
      startTimes.push(clock.now().getTime());
    },
    stop: async () => void stopTimes.push(clock.now().getTime()),
  };
  const journeys = new PacedJourneyStarter(
    counting as never,
    new StoreRateLimiter(store, clock, "StartExecution", quota, 2_000),
    new StoreRateLimiter(store, clock, "StopExecution", stopQuota, 2_000),
  );
  const deps = { config, store, clock, journeys };
  const dayStart = clock.now().getTime();
  let next = 0;
  let dispatched = 0;
  let redelivered = 0;
  // SQS as the event source sees it: at most DISPATCH_CONCURRENCY dispatchers; a record whose start or
  // stop found no slot is requeued with a delay as a new message (dispatch's requeue), not counted as a
  // receive; any other failure is redelivered after the visibility timeout and dead-lettered after
  // maxReceiveCount receives.
  const delayed = new MinHeap<{ at: number; event: ShopEvent; requeues: number; receives: number }>(
    (a, b) => a.at - b.at,
  );
  let requeued = 0;
  let deadLettered = 0;
  let jitter = 1;
  const nextRandom = () => {
    jitter = (jitter * 48271) % 2147483647;
    return jitter / 2147483647;
  };
  const workers = Array.from({ length: dispatchers }, async () => {
    clock.begin();
    try {
      for (;;) {
        let message: { event: ShopEvent; requeues: number; receives: number } | undefined;
        if (next < queued.length) message = { event: queued[next++] as ShopEvent, requeues: 0, receives: 0 };
        else if (delayed.size > 0) {
          const head = delayed.peek() as { at: number };
          if (head.at > clock.now().getTime()) {
            // Another dispatcher may take it first: look again after waking.
            await clock.sleepUntil(new Date(head.at));
            continue;
          }
          message = delayed.pop();
        }
        if (!message) {
          if (delayed.size === 0 && next >= queued.length) break;
          continue;
        }
        const receives = message.receives + 1;
        try {
          await dispatchEvent(deps as never, message.event);
          dispatched += 1;
        } catch (error) {
          if (isRateLimited(error)) {
            requeued += 1;
            const delay = requeueDelaySeconds(message.requeues, nextRandom) * 1000;
            delayed.push({
              at: clock.now().getTime() + delay,
              event: message.event,
              requeues: message.requeues + 1,
              receives: 0,
            });
          } else if (receives >= MAX_RECEIVES) {
            deadLettered += 1;
          } else {
            redelivered += 1;
            delayed.push({
              at: clock.now().getTime() + VISIBILITY_TIMEOUT_MS,
              event: message.event,
              requeues: message.requeues,
              receives,
            });
          }
        }
      }
    } finally {
      clock.end();
    }
  });
  await clock.runUntilIdle();
  await Promise.all(workers);
  return { starts, startTimes, stopTimes, dayStart, dispatched, redelivered, requeued, deadLettered };
}

/** SQS's redrive settings as the stack sets them (infra/shopcare-stack.ts). */
const MAX_RECEIVES = 5;
const VISIBILITY_TIMEOUT_MS = 360_000;

/** A binary min-heap (the delayed messages of the peak day's queue). */
class MinHeap<T> {
  private readonly items: T[] = [];
  constructor(private readonly before: (a: T, b: T) => number) {}
  get size(): number {
    return this.items.length;
  }
  peek(): T | undefined {
    return this.items[0];
  }
  push(item: T): void {
    const items = this.items;
    items.push(item);
    let index = items.length - 1;
    while (index > 0) {
      const parent = (index - 1) >> 1;
      if (this.before(items[index] as T, items[parent] as T) >= 0) break;
      [items[index], items[parent]] = [items[parent] as T, items[index] as T];
      index = parent;
    }
  }
  pop(): T | undefined {
    const items = this.items;
    const first = items[0];
    const last = items.pop();
    if (items.length > 0 && last !== undefined) {
      items[0] = last;
      let index = 0;
      for (;;) {
        const left = 2 * index + 1;
        const right = left + 1;
        let smallest = index;
        if (left < items.length && this.before(items[left] as T, items[smallest] as T) < 0) smallest = left;
        if (right < items.length && this.before(items[right] as T, items[smallest] as T) < 0)
          smallest = right;
        if (smallest === index) break;
        [items[index], items[smallest]] = [items[smallest] as T, items[index] as T];
        index = smallest;
      }
    }
    return first;
  }
}

/** The most events in any sliding second, of times in the order the virtual clock gave them (ascending). */
function peakPerSecond(times: readonly number[]): number {
  let peak = 0;
  for (let i = 0, j = 0; i < times.length; i += 1) {
    while ((times[i] as number) - (times[j] as number) >= 1000) j += 1;
    peak = Math.max(peak, i - j + 1);
  }
  return peak;
}
