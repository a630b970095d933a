/**
 * The one source of "now" in shopcare. Domain code never calls `Date.now()`; it is handed a clock,
 * so the same code runs on AWS (system clock), in `npm start` (system clock) and in `simulate`
 * (virtual clock driven by the event stream).
 */
export interface Clock {
  /** The current instant. */
  now(): Date;
  /**
   * Resolves once the clock has reached `until` (immediately if it already has), or when `signal` aborts.
   * Used by the local runtime in place of a Step Functions Wait state.
   */
  sleepUntil(until: Date, signal?: AbortSignal): Promise<void>;
}

/** Longest single `setTimeout` Node accepts (~24.8 days); longer timers fire at once, so we chain them. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** Wall-clock time, for Lambda and the real-time local runtime. Waits longer than 24.8 days are chained. */
export const systemClock: Clock = {
  now: () => new Date(),
  sleepUntil(until, signal) {
    return new Promise<void>((resolve) => {
      if (signal?.aborted) return resolve();
      let timer: NodeJS.Timeout | undefined;
      const finish = () => {
        clearTimeout(timer);
        signal?.removeEventListener("abort", finish);
        resolve();
      };
      const arm = () => {
        const remaining = until.getTime() - Date.now();
        if (remaining <= 0) return finish();
        timer = setTimeout(arm, Math.min(remaining, MAX_TIMER_MS));
      };
      signal?.addEventListener("abort", finish, { once: true });
      arm();
    });
  },
};
