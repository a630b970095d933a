import { createHash } from "node:crypto";
import type { JourneyConfig } from "../config/shop-settings.js";
import type { JourneyId } from "../shared/model.js";

/**
 * A number in [0, 1) from a string, the same on every run. SHA-256 rather than a quick hash like FNV:
 * sequential ids (`c1`, `c2`, …) must spread evenly, and FNV's top bits do not.
 */
export function unitHash(text: string): number {
  return createHash("sha256").update(text, "utf8").digest().readUInt32BE(0) / 2 ** 32;
}

/**
 * Whether a customer is in a journey's holdout group (`effect.holdout`): decided from the journey and the
 * customer id alone, so it never changes between steps or runs, and each journey draws its own group.
 */
export function inHoldout(
  config: JourneyConfig,
  journey: JourneyId,
  customerId: string | undefined,
): boolean {
  return drawnInto(journey, config.effect.holdout[journey] ?? 0, customerId);
}

/**
 * Whether a customer falls in the `share` of `group`'s customers held out, from a hash of the group and the
 * customer id: a journey's group is its id, a campaign's `campaign:<id>`.
 */
export function drawnInto(group: string, share: number, customerId: string | undefined): boolean {
  return share > 0 && customerId !== undefined && unitHash(`${group}:${customerId}`) < share;
}
