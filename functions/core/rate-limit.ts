import type { Clock } from "./clock.js";
import type { Store } from "./store.js";

/** Paces sends to a provider's rate. */
export interface SendRateLimiter {
  /** Resolves when one more message may go out now; waits for the next second when this one is used up. */
  acquire(): Promise<void>;
}

/** Thrown when no send slot came free in time; the state machine retries the step with backoff. */
export class SendRateLimitedError extends Error {
  constructor(provider: string, waitedMs: number) {
    super(`no ${provider} send slot came free within ${waitedMs} ms`);
    this.name = "SendRateLimitedError";
  }
}

/**
 * A per-second send budget kept in DynamoDB, so every Lambda and every journey shares one provider
 * limit: a promotion-day burst goes out at the provider's rate instead of into its throttling errors.
 */
export class StoreRateLimiter implements SendRateLimiter {
  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly provider: string,
    private readonly perSecond: number,
    /** How long one invocation waits for a slot before handing the retry to the state machine. */
    private readonly maxWaitMs = 10_000,
  ) {}

  async acquire(): Promise<void> {
    // One ticket per caller: a ticket is a 1/rate-second slot inside a second, so sends are spread evenly
    // (a provider's token bucket never sees two seconds' worth around a boundary), and each waiting caller
    // costs one write instead of one per slot it loses.
    const slotMs = 1000 / this.perSecond;
    const started = this.clock.now().getTime();
    for (;;) {
      const now = this.clock.now().getTime();
      const second = Math.floor(now / 1000);
      const offset = Math.min(this.perSecond - 1, Math.floor((now - second * 1000) / slotMs));
      const ticket = await this.store.takeRateTicket(this.provider, second, offset, this.perSecond);
      if (typeof ticket === "number") {
        const slotStart = second * 1000 + (ticket - 1) * slotMs;
        if (slotStart > now) await this.clock.sleepUntil(new Date(Math.ceil(slotStart)));
        return;
      }
      if (ticket === "retry") continue;
      if (now - started >= this.maxWaitMs) throw new SendRateLimitedError(this.provider, now - started);
      await this.clock.sleepUntil(new Date((second + 1) * 1000));
    }
  }
}
