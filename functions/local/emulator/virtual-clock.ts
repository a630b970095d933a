import type { Clock } from "../../core/shared/clock.js";

interface Sleeper {
  readonly at: number;
  readonly seq: number;
  /** Set once woken (by time or by a stop), so a stopped sleeper still in the queue is passed over. */
  woken: boolean;
  readonly wake: () => void;
}

function earlier(a: Sleeper, b: Sleeper): boolean {
  return a.at < b.at || (a.at === b.at && a.seq < b.seq);
}

/**
 * Sleepers by (time, arrival): a binary heap, since a simulated year keeps tens of thousands of executions
 * asleep at once and a sorted array paid a copy of all of them for every insertion.
 */
class SleeperQueue {
  private readonly heap: Sleeper[] = [];

  push(sleeper: Sleeper): void {
    const heap = this.heap;
    heap.push(sleeper);
    let index = heap.length - 1;
    while (index > 0) {
      const parent = (index - 1) >>> 1;
      if (!earlier(sleeper, heap[parent] as Sleeper)) break;
      heap[index] = heap[parent] as Sleeper;
      index = parent;
    }
    heap[index] = sleeper;
  }

  /** The earliest sleeper still waiting; stopped ones at the front are dropped on the way. */
  peek(): Sleeper | undefined {
    while (this.heap[0]?.woken) this.pop();
    return this.heap[0];
  }

  pop(): Sleeper | undefined {
    const heap = this.heap;
    const first = heap[0];
    const last = heap.pop();
    if (heap.length === 0 || last === undefined) return first;
    let index = 0;
    for (;;) {
      const left = 2 * index + 1;
      if (left >= heap.length) break;
      const right = left + 1;
      const child =
        right < heap.length && earlier(heap[right] as Sleeper, heap[left] as Sleeper) ? right : left;
      if (!earlier(heap[child] as Sleeper, last)) break;
      heap[index] = heap[child] as Sleeper;
      index = child;
    }
    heap[index] = last;
    return first;
  }
}

/**
 * A discrete-event clock for `simulate` and tests. Time moves only when the driver advances it, and only
 * once every tracked activity (a running execution) is blocked in {@link sleepUntil} or finished, so a
 * year of virtual time costs only the work done in it.
 */
export class VirtualClock implements Clock {
  private current: number;
  private readonly sleepers = new SleeperQueue();
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
      const sleeper: Sleeper = {
        at,
        seq: this.seq++,
        woken: false,
        wake: () => {
          if (sleeper.woken) return;
          sleeper.woken = true;
          this.begin();
          resolve();
        },
      };
      this.sleepers.push(sleeper);
      // A stopped sleeper wakes now; its entry stays in the queue, passed over when it comes up.
      signal?.addEventListener("abort", () => sleeper.wake(), { once: true });
      this.end();
    });
  }

  /** The earliest instant a sleeper waits for, if any. */
  nextWakeAt(): Date | undefined {
    const first = this.sleepers.peek();
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
    for (let next = this.sleepers.peek(); next && next.at <= targetMs; next = this.sleepers.peek()) {
      this.current = Math.max(this.current, next.at);
      for (let due: Sleeper | undefined = next; due && due.at <= this.current; due = this.sleepers.peek()) {
        this.sleepers.pop();
        due.wake();
      }
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
}
