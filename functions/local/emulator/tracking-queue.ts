import type { TrackingDeps, TrackingQueue, TrackingTask } from "../../core/parcels/subscriptions.js";
import { subscribeParcel } from "../../core/parcels/subscriptions.js";
import type { Clock } from "../../core/shared/clock.js";
import type { ActivityTracker } from "./engine.js";

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

  async enqueue(task: TrackingTask, delaySeconds: number): Promise<void> {
    // Counted as activity until it has run: a virtual clock does not move on while a try is under way.
    this.activity?.begin();
    const run = () => {
      this.pending = this.pending.then(() => this.run(task));
      return this.pending;
    };
    const due = new Date(this.clock.now().getTime() + delaySeconds * 1000);
    void (delaySeconds <= 0 ? run() : this.clock.sleepUntil(due).then(run)).finally(() =>
      this.activity?.end(),
    );
  }

  /** Resolves when every try queued without delay has run. */
  async drain(): Promise<void> {
    let seen: Promise<void>;
    do {
      seen = this.pending;
      await seen;
    } while (seen !== this.pending);
  }

  private async run(task: TrackingTask): Promise<void> {
    if (!this.deps) return;
    await subscribeParcel(this.deps, task).catch((error: unknown) => this.onError?.(task, error));
  }
}
