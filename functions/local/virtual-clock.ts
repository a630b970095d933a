import type { Clock } from "../core/clock.js";

interface Sleeper {
  readonly at: number;
  readonly seq: number;
  readonly wake: () => void;
}

/**
 * A discrete-event clock for `simulate` and tests. Time moves only when the driver advances it, and only
 * once every tracked activity (a running execution) is blocked in {@link sleepUntil} or finished, so a
 * year of virtual time costs only the work done in it.
 */
export class VirtualClock implements Clock {
  private current: number;
  private sleepers: Sleeper[] = [];
  private seq = 0;
  private active = 0;
  private idleWaiters: (() => void)[] = [];

  constructor(start: Date) {
    this.current = start.getTime();
  }

  now(): Date {
    return new Date(this.current);
  }

  /** Marks the start of an activity the clock must wait for before moving (e.g. an execution). */
  begin(): void {
    this.active += 1;
  }

  /** Marks the end of an activity begun with {@link begin}. */
  end(): void {
    this.active -= 1;
    if (this.active < 0) throw new Error("VirtualClock: end() without begin()");
    if (this.active === 0) for (const resolve of this.idleWaiters.splice(0)) resolve();
  }

  /** Blocks the calling activity until the virtual time reaches `until`; it counts as idle meanwhile. */
  sleepUntil(until: Date, signal?: AbortSignal): Promise<void> {
    const at = until.getTime();
    if (at <= this.current || signal?.aborted) return Promise.resolve();
    return new Promise<void>((resolve) => {
      let woken = false;
      const sleeper: Sleeper = {
        at,
        seq: this.seq++,
        wake: () => {
          if (woken) return;
          woken = true;
          this.begin();
          resolve();
        },
      };
      this.insert(sleeper);
      signal?.addEventListener(
        "abort",
        () => {
          this.remove(sleeper);
          sleeper.wake();
        },
        { once: true },
      );
      this.end();
    });
  }

  /** The earliest instant a sleeper waits for, if any. */
  nextWakeAt(): Date | undefined {
    const first = this.sleepers[0];
    return first ? new Date(first.at) : undefined;
  }

  /** Resolves once no activity is running (all are asleep or done). */
  async settle(): Promise<void> {
    for (;;) {
      if (this.active > 0) await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
      // Let promise chains that are about to begin() run before declaring the system idle.
      await new Promise<void>((resolve) => setImmediate(resolve));
      if (this.active === 0) return;
    }
  }

  /** Moves time forward to `target`, waking sleepers in time order and letting each wave settle. */
  async advanceTo(target: Date): Promise<void> {
    const targetMs = target.getTime();
    await this.settle();
    for (let next = this.sleepers[0]; next && next.at <= targetMs; next = this.sleepers[0]) {
      this.current = Math.max(this.current, next.at);
      while (this.sleepers[0] && this.sleepers[0].at <= this.current) this.sleepers.shift()?.wake();
      await this.settle();
    }
    this.current = Math.max(this.current, targetMs);
  }

  /** Runs until nobody sleeps any more (every execution finished), or until `horizon` if given. */
  async runUntilIdle(horizon?: Date): Promise<void> {
    await this.settle();
    for (let next = this.nextWakeAt(); next && (!horizon || next <= horizon); next = this.nextWakeAt()) {
      await this.advanceTo(next);
    }
  }

  /** Where `sleeper` is, or would be, in the queue ordered by (at, seq). */
  private position(sleeper: Sleeper): number {
    let low = 0;
    let high = this.sleepers.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      const other = this.sleepers[mid] as Sleeper;
      if (other.at < sleeper.at || (other.at === sleeper.at && other.seq < sleeper.seq)) low = mid + 1;
      else high = mid;
    }
    return low;
  }

  private insert(sleeper: Sleeper): void {
    this.sleepers.splice(this.position(sleeper), 0, sleeper);
  }

  /** Takes a stopped sleeper out of the queue (a binary search: a simulated year stops thousands). */
  private remove(sleeper: Sleeper): void {
    const index = this.position(sleeper);
    if (this.sleepers[index] === sleeper) this.sleepers.splice(index, 1);
  }
}
