/**
 * Human-readable durations as operators write them in `cdk.json`: `"90s"`, `"10m"`, `"72h"`, `"30d"`, `"2w"`,
 * `"3y"` (a year is 365 days).
 * Compound forms (`"1h30m"`) are accepted so that operators never have to do arithmetic.
 */
const UNIT_MS = {
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
  y: 31_536_000_000,
} as const;
const DURATION_PATTERN = /^(?:\d+[smhdwy])+$/;
const PART_PATTERN = /(\d+)([smhdwy])/g;

/** The message every config error about a duration shows, so operators see the expected form. */
export const DURATION_HINT = 'expected a duration like "60m"';

/** Whether `text` is a duration this module can parse. */
export function isDuration(text: string): boolean {
  return DURATION_PATTERN.test(text);
}

/** Parses a duration string into milliseconds; throws on anything {@link isDuration} rejects. */
export function parseDuration(text: string): number {
  if (!isDuration(text)) throw new Error(`${DURATION_HINT}, got ${JSON.stringify(text)}`);
  let total = 0;
  for (const [, amount, unit] of text.matchAll(PART_PATTERN)) {
    total += Number(amount) * UNIT_MS[unit as keyof typeof UNIT_MS];
  }
  return total;
}
