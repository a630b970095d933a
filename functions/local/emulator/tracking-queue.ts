import type { TrackingDeps, TrackingQueue, TrackingTask } from "../../core/parcels/subscriptions.js";
import { subscribeParcel } from "../../core/parcels/subscriptions.js";
import type { Clock } from "../../core/shared/clock.js";
import type { ActivityTracker } from "./engine.js";
import { drained } from "./queue.js";

/** Deliveries of one task before it is reported (the tracking queue's `maxReceiveCount`). */
const MAX_RECEIVES = 5;
/** The wait before a failed delivery is made again (the tracking queue's visibility timeout: 180 s). */
const VISIBILITY_TIMEOUT_SECONDS = 180;

/**
 * The local stand-in for the tracking queue and function: each try runs once its delay has passed on the
 * shop's clock (a virtual clock waits for it), one at a time, through the same `subscribeParcel` as on AWS.
 */
export class LocalTrackingQueue implements TrackingQueue {
  private pending: Promise<void> = Promise.resolve();
  private deps: TrackingDeps | undefined;

  constructor(
    private readonly clock: Clock,
    private readonly activity?: ActivityTracker,
    /** Told of each try that threw (the store failed): kept as the engine keeps failures. */
    private readonly onError?: (task: TrackingTask, error: unknown) => void,
  ) {}

  /** What the tries run with (the queue is made before the deps that name it). */
  serve(deps: Omit<TrackingDeps, "queue">): void {
    this.deps = { ...deps, queue: this };
  }

  async enqueue(task: TrackingTask, delaySeconds: number, receive = 1): Promise<void> {
    // Counted as activity until it has run: a virtual clock does not move on while a try is under way.
    this.activity?.begin();
    const run = () => {
      this.pending = this.pending.then(() => this.run(task, receive));
      return this.pending;
    };
    const due = new Date(this.clock.now().getTime() + delaySeconds * 1000);
    void (delaySeconds <= 0 ? run() : this.clock.sleepUntil(due).then(run)).finally(() =>
      this.activity?.end(),
    );
  }

  /** Resolves when every try queued without delay has run. */
  drain(): Promise<void> {
    return drained(() => this.pending);
  }

  /**
   * One delivery of a try. One that throws (a store request failed, or its try is still under way) is
   * delivered again after SQS's visibility timeout, as the event source would, and after
   * {@link MAX_RECEIVES} deliveries reported (on AWS: the dead-letter queue).
   */
  private async run(task: TrackingTask, receive: number): Promise<void> {
    if (!this.deps) return;
    try {
      await subscribeParcel(this.deps, task);
    } catch (error) {
      if (receive >= MAX_RECEIVES) this.onError?.(task, error);
      else void this.enqueue(task, VISIBILITY_TIMEOUT_SECONDS, receive + 1);
    }
  }
}
