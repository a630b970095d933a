import { describe, expect, it } from "vitest";
import { Store } from "../../functions/adapters/dynamodb/store.js";
import {
  fileSubscription,
  subscribeParcel,
  type TrackingDeps,
  type TrackingTask,
  TryInFlightError,
} from "../../functions/core/parcels/subscriptions.js";
import { MemoryTable } from "../../functions/local/emulator/memory-table.js";

/**
 * Issue 37: a try of a parcel subscription whose worker failed after taking its lease (a store request
 * throttled, the function crashed) is neither lost nor made twice: delivered again while the lease is fresh
 * it answers "in flight" (the queue delivers it later), once the lease is stale it counts as failed and the
 * next try is queued — over the in-memory table, the store's real conditional writes.
 */
describe("parcel subscription tries after a failure", () => {
  it("answers in flight while the lease is fresh, then counts the try failed and subscribes with the next", async () => {
    // Arrange
    const store = new Store(new MemoryTable(), "tries");
    let now = new Date("2026-06-18T10:00:00Z");
    const queued: TrackingTask[] = [];
    let failNextRead = true;
    const calls: string[] = [];
    const deps: TrackingDeps = {
      store: {
        ...pick(store),
        getOrder: async (orderId) => {
          if (failNextRead) {
            failNextRead = false;
            throw new Error("ProvisionedThroughputExceededException (after the lease)");
          }
          return store.getOrder(orderId);
        },
      },
      queue: { enqueue: async (task) => void queued.push(task) },
      poll: {
        subscribe: async (form) => {
          calls.push(form.param);
          return { returnCode: "200", message: "提交成功" };
        },
      },
      operators: { notify: async () => {} },
      clock: { now: () => now, sleepUntil: async () => {} },
      subscribeRetries: 5,
      account: async () => ({ key: "k", customer: "c", salt: "s" }),
      callbackUrl: (orderId) => `https://shop.example.cn/webhooks/kuaidi100?orderId=${orderId}`,
    };
    await fileSubscription({ store, queue: deps.queue }, "o-1", "SF1", now.toISOString());
    const first = queued.shift() as TrackingTask;

    // Act
    const failed = await subscribeParcel(deps, first).catch((error: Error) => error.message);
    const redelivered = await subscribeParcel(deps, first).catch((error: unknown) => error);
    now = new Date(now.getTime() + 6 * 60_000);
    const late = await subscribeParcel(deps, first);
    const next = queued.shift() as TrackingTask;
    const subscribed = await subscribeParcel(deps, next);

    // Assert
    expect(failed).toContain("ProvisionedThroughputExceededException");
    expect(redelivered).toBeInstanceOf(TryInFlightError);
    expect(late).toBe("retry");
    expect(next).toMatchObject({ round: 0, attempt: 1 });
    expect(subscribed).toBe("subscribed");
    expect(calls).toHaveLength(1);
    expect(await store.getParcelSubscription("o-1", "SF1")).toMatchObject({
      status: "subscribed",
      attempts: 2,
    });
  });
});

/** The store's parcel-subscription and fact reads, bound (the store installs them on its prototype). */
function pick(store: Store): TrackingDeps["store"] {
  return {
    fileParcelSubscription: store.fileParcelSubscription.bind(store),
    getParcelSubscription: store.getParcelSubscription.bind(store),
    leaseSubscriptionTry: store.leaseSubscriptionTry.bind(store),
    openSubscriptionRound: store.openSubscriptionRound.bind(store),
    settleParcelSubscription: store.settleParcelSubscription.bind(store),
    getOrder: store.getOrder.bind(store),
    getCustomer: store.getCustomer.bind(store),
  };
}
