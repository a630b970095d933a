import { ConfigError, parseShopConfig } from "../../functions/core/config/config.js";
import { JOURNEY_MODULES } from "../../functions/core/journeys/index.js";

/** Every journey switched off: a campaign alone, with no journey's message sharing its caps. */
export const JOURNEYS_OFF: Readonly<Record<string, { enabled: false }>> = Object.fromEntries(
  JOURNEY_MODULES.map((journey) => [journey.configKey, { enabled: false as const }]),
);

/** The problems `parseShopConfig` reports for `raw`, or none when it accepts it. */
export function problemsIn(raw: unknown): string[] {
  try {
    parseShopConfig(raw);
    return [];
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
}

/** The problems `parseShopConfig` reports for `raw`; fails the test if the config is accepted. */
export function problemsOf(raw: unknown): string[] {
  const problems = problemsIn(raw);
  if (problems.length === 0) throw new Error("config was accepted");
  return problems;
}
