import type { JourneyConfig } from "../config/shop-settings.js";
import { consentModeOf } from "../config/shop-settings.js";
import { consentBlock } from "../customers/consent.js";
import { parseDuration } from "../shared/duration.js";
import type { Consent, MessageClass, Next } from "../shared/model.js";
import type { Repositories } from "../shared/ports.js";
import { DAY_MS } from "../shared/time.js";
import { allowedSendTime, insideWindows, type RecipientPlace, shopPlace } from "./quiet-hours.js";

/**
 * The sending rules that cut across journeys (docs/design.md), enforced here and nowhere else: send windows,
 * marketing slots, opt-out and frequency caps. Journeys decide *whether* a step is wanted; this decides
 * *when* it may go out.
 */

/**
 * The earliest instant at or after `instant` when a message of `messageClass` may go out to a recipient at
 * `place` (the shop's zone unless given): inside the notice window for notices; at a marketing slot inside
 * the marketing window for marketing; in the recipient's zones, under their region's sending rules
 * (`quiet-hours.ts`). Where the rules allow no time within a week it is a week on: the check step then
 * skips the message `quiet-hours`.
 */
export function earliestSendTime(
  instant: Date,
  messageClass: MessageClass,
  config: Pick<JourneyConfig, "windows" | "marketingSlots" | "timeZone" | "sendingRules">,
  place: RecipientPlace = shopPlace(config),
): Date {
  return allowedSendTime(instant, messageClass, config, place) ?? new Date(instant.getTime() + 8 * DAY_MS);
}

/** A deadline after which a held step is pointless (an unpaid order that has auto-closed). */
export interface Deadline {
  readonly at: Date;
  readonly reason: string;
}

/** What the sending rules need to judge one step the journey wants to send or hand off. */
export interface SendingRuleInput {
  readonly config: JourneyConfig;
  readonly store: Pick<Repositories, "reserveMarketingSend">;
  readonly now: Date;
  readonly step: string;
  readonly verdict: Extract<Next, { kind: "send" | "handoff" }>;
  readonly messageClass: MessageClass;
  /** When the step first fell due (for the cap's maximum hold). */
  readonly dueAt: Date;
  readonly deadline?: Deadline;
  readonly customerId: string;
  readonly phone?: string;
  /** The consent record that decides marketing to them (`effectiveConsent`), if any. */
  readonly consent?: Consent;
  /** Where the recipient is (`recipientPlace`). @default the shop's zone, no region */
  readonly place?: RecipientPlace;
  /** The step's ledger key, so a re-checked step is not counted against the caps twice. */
  readonly ledgerKey: string;
  /**
   * The step was already due at a slot and only held for its send-rate slot: it needs its window, not
   * another marketing slot (a busy slot drains over minutes). @default false
   */
  readonly heldForRate?: boolean;
}

/** Applies the cross-journey rules: the verdict stands, or the step is held or skipped with a reason. */
export async function applySendingRules(
  input: SendingRuleInput,
): Promise<Extract<Next, { kind: "send" | "handoff" | "skip" | "hold" }>> {
  const { config, now, step, messageClass } = input;
  // A handoff tells the operators, not the customer: no window, slot, opt-out or cap applies.
  if (input.verdict.kind === "handoff") return input.verdict;
  const skip = (reason: string) => ({ kind: "skip" as const, step, reason });
  const hold = (until: Date) => ({
    kind: "hold" as const,
    step,
    sendAt: until.toISOString(),
    dueAt: input.dueAt.toISOString(),
  });
  // Marketing needs the customer's consent, or only the absence of an opt-out, as the shop's
  // `marketing.consent` says (the send step reads the opt-outs again just before the provider call).
  if (messageClass === "marketing") {
    const blocked = consentBlock(consentModeOf(config), input.consent);
    if (blocked) return skip(blocked);
  }
  const place = input.place ?? shopPlace(config);
  const earliest =
    input.heldForRate && messageClass === "marketing" && insideWindows(now, messageClass, config, place)
      ? now
      : allowedSendTime(now, messageClass, config, place);
  // Their sending rules allow no time within a week (a shop window and a region's that do not meet).
  if (!earliest) return skip("quiet-hours");
  if (earliest > now) {
    return input.deadline && earliest >= input.deadline.at ? skip(input.deadline.reason) : hold(earliest);
  }
  if (messageClass === "marketing" && input.verdict.kind === "send") {
    const fits = await input.store.reserveMarketingSend({
      customerId: input.customerId,
      phone: input.phone,
      key: input.ledgerKey,
      at: now,
      perDay: config.caps.marketingPerDay,
      perWeek: config.caps.marketingPerWeek,
    });
    if (!fits) {
      const nextTry = earliestSendTime(new Date(now.getTime() + 1), messageClass, config, place);
      const giveUpAt = input.dueAt.getTime() + parseDuration(config.caps.maxHold);
      return nextTry.getTime() > giveUpAt ? skip("frequency-cap") : hold(nextTry);
    }
  }
  return input.verdict;
}
