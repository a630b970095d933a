import type { Clock } from "../shared/clock.js";
import type { SendLimits } from "../shared/ports.js";

/** Paces sends to a provider's rate. */
export interface SendRateLimiter {
  /**
   * Resolves when one more message may go out now (having waited for its slot). A limiter that can tell a
   * slot is further off than a caller should wait resolves with the slot instead: the caller holds until
   * `holdUntil` and then sends in it.
   */
  // biome-ignore lint/suspicious/noConfusingVoidType: a limiter that never holds resolves with nothing
  acquire(forSend?: RateRequest): Promise<void | RateHold>;
}

/** What a send asks a slot for: the limiters here pace every send alike, but a wrapper may tell them apart. */
export interface RateRequest {
  /** The send's reference (its ledger key). */
  readonly reference: string;
  /** The number it goes to. */
  readonly to: string;
}

/** The answer of a limiter whose next free slot is further off than a caller should wait. */
export interface RateHold {
  readonly holdUntil: Date;
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
    private readonly store: Pick<SendLimits, "takeRateTicket">,
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

/**
 * Send slots reserved in one DynamoDB counter shared by every Lambda and journey: each send gets the next
 * free 1/rate-second slot, however far ahead. A slot within `maxWaitMs` is waited for; a later one is
 * handed back to the send step, which holds until it (a later `sendAt`) — so a marketing slot with
 * thousands of messages due drains at the provider's rate, in order, none failing (20,000 at 20/s:
 * 1,000 s), where a wait-then-retry scheme skips whatever its retry budget does not reach.
 */
export class ReservedSendRate implements SendRateLimiter {
  constructor(
    private readonly store: Pick<SendLimits, "reserveRateSlot">,
    private readonly clock: Clock,
    private readonly provider: string,
    private readonly perSecond: number,
    /** The longest a send waits in the Lambda for its slot; further ones are held. */
    private readonly maxWaitMs = 5_000,
  ) {}

  async acquire(): Promise<RateHold | undefined> {
    const now = this.clock.now().getTime();
    const slot = await this.store.reserveRateSlot(this.provider, now, 1000 / this.perSecond);
    if (slot - now > this.maxWaitMs) return { holdUntil: new Date(slot) };
    if (slot > now) await this.clock.sleepUntil(new Date(Math.ceil(slot)));
    return undefined;
  }
}
