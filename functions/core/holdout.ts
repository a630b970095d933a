import { createHash } from "node:crypto";
import type { ShopConfig } from "./config.js";
import type { JourneyId } from "./model.js";

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
export function inHoldout(config: ShopConfig, journey: JourneyId, customerId: string | undefined): boolean {
  const share = config.effect.holdout[journey] ?? 0;
  return share > 0 && customerId !== undefined && unitHash(`${journey}:${customerId}`) < share;
}
