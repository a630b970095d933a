import { Store } from "../../functions/adapters/dynamodb/store.js";
import { parseShopConfig } from "../../functions/core/config/config.js";
import { dispatchEvent } from "../../functions/core/engine/dispatch.js";
import type { DispatchDeps } from "../../functions/core/engine/dispatch-starts.js";
import { parseShopEvent, type ShopEvent } from "../../functions/core/intake/events.js";
import {
  fileSubscription,
  type PollAnswer,
  subscribeParcel,
  type TrackingTask,
} from "../../functions/core/parcels/subscriptions.js";
import { MemoryTable } from "../../functions/local/emulator/memory-table.js";
import { seededRandom } from "../../functions/local/simulator/synthetic.js";
import { num, record, round } from "../harness.js";
import { sideBySide } from "./side-by-side.js";

/** A peak day's shipped orders, each with its customer. */
function shippedDay(orders: number): ShopEvent[] {
  const events: ShopEvent[] = [];
  for (let index = 0; index < orders; index += 1) {
    const minute = Math.floor((index * 1440) / orders);
    const at = new Date(Date.parse("2026-11-11T00:00:00+08:00") + minute * 60_000).toISOString();
    const created = {
      type: "order.created",
      at,
      order: { id: `p${index}`, customer: { id: `c${index}` }, amount: 99 },
    };
    events.push(parseShopEvent(created));
    events.push(
      parseShopEvent({
        type: "order.shipped",
        at,
        orderId: `p${index}`,
        carrier: "顺丰",
        trackingNo: `SF${index}`,
      }),
    );
  }
  return events;
}

/**
 * Issue 37's figures: Kuaidi100 subscription calls per shipped order on a peak day with 2% of calls
 * failing (each try through `subscribeParcel`, retries included, over the in-memory table), the table
 * requests filing adds to dispatch, and the CPU subscribing adds to a simulated month (side by side).
 */
export async function tracking() {
  const orders = num("peak-orders");
  const config = parseShopConfig({ kuaidi100: { subscribe: true } });
  const events = shippedDay(orders);
  const noJourneys = { start: async () => {}, stop: async () => {} };
  const clock = { now: () => new Date("2026-11-12T00:00:00+08:00"), sleepUntil: async () => {} };

  // Dispatch with and without filing, the same events (each order created, then shipped): the table
  // requests a shipped order adds to dispatch, with its journeys' starts answered at once.
  const dispatchRequests = async (withParcels: boolean): Promise<number> => {
    const table = new MemoryTable();
    const store = new Store(table, "bench");
    const parcels = withParcels ? { enqueue: async () => {} } : undefined;
    const deps: DispatchDeps = { config, store, journeys: noJourneys, clock, parcels };
    for (const event of events) await dispatchEvent(deps, event);
    return table.requests.reads + table.requests.writes;
  };
  const requests = { without: await dispatchRequests(false), with: await dispatchRequests(true) };
  record({
    figure: "tracking: table requests added to a shipped order's dispatch",
    value: round((requests.with - requests.without) / orders, 2),
    unit: "",
    detail: `${requests.without} requests without filing, ${requests.with} with, for ${orders} orders created and shipped (a conditional Put and the day tally's ADD a shipped order)`,
  });

  // The CPU subscribing adds to the whole pipeline: the same synthetic month simulated twice side by side
  // (both at once, so this machine's drift hits both), once with every shipped parcel filed, queued, tried
  // against a Kuaidi100 answering 200 and settled — the decisions must not change.
  const simulated = num("redesign-orders");
  const subscribing = { kuaidi100: { subscribe: true } };
  const { ratio, detail, decisions } = await sideBySide({
    before: { dir: ".", config: subscribing },
    after: { dir: ".", config: subscribing, env: { SHOPCARE_BENCH_KUAIDI100: "1" } },
    orders: simulated,
    rounds: num("redesign-rounds"),
  });
  if (decisions.some(([without, withParcels]) => without !== withParcels))
    throw new Error(`subscribing parcels changed the simulation's decisions: ${JSON.stringify(decisions)}`);
  const added = ratio - 1;
  record({
    figure: "tracking: CPU subscribing every shipped parcel adds to the simulation",
    value: round(added * 100, 1),
    unit: "%",
    target: "≤ 5",
    met: added <= 0.05,
    detail: `${simulated} orders over 30 days (seed 21), one thread, in-memory table, each shipped parcel subscribed (filed, queued, one try, settled and tallied) against none; ${detail}`,
  });

  // Every try of every subscription, 2% of calls failing (500), retries queued and made.
  const store = new Store(new MemoryTable(), "bench");
  for (const event of events)
    if (event.type === "order.created") await store.recordOrderCreated(event.order, event.at);
  const queue: TrackingTask[] = [];
  const taskQueue = { enqueue: async (task: TrackingTask) => void queue.push(task) };
  for (const event of events)
    if (event.type === "order.shipped")
      await fileSubscription({ store, queue: taskQueue }, event.orderId, event.trackingNo, event.at);
  const failing = seededRandom(37);
  let calls = 0;
  const poll = {
    subscribe: async (): Promise<PollAnswer> => {
      calls += 1;
      return failing() < 0.02
        ? { returnCode: "500", message: "服务器错误" }
        : { returnCode: "200", message: "提交成功" };
    },
  };
  const operators = { notify: async () => {} };
  const deps = {
    store,
    queue: taskQueue,
    poll,
    operators,
    clock,
    subscribeRetries: config.kuaidi100.subscribeRetries,
    account: async () => ({ key: "k", customer: "c", salt: "s" }),
    callbackUrl: (orderId: string) => `https://shop.example.cn/webhooks/kuaidi100?orderId=${orderId}`,
  };
  for (let next = queue.shift(); next; next = queue.shift()) await subscribeParcel(deps, next);
  const perOrder = calls / orders;
  record({
    figure: "tracking: Kuaidi100 calls per shipped order, 2% failing",
    value: round(perOrder, 3),
    unit: "",
    target: "≤ 1.05",
    met: perOrder <= 1.05,
    detail: `${orders} shipped orders, ${calls} subscription calls (seeded 2% answered 500, each retried); each order and number subscribed once`,
  });
}
