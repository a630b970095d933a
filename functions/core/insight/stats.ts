/**
 * How sure a conversion figure is: score intervals for a rate and for the difference of two rates, and the
 * two-proportion test. Score intervals (Wilson's, and Newcombe's hybrid for a difference) rather than the
 * textbook ±1.96·SE: a small shop's rates are near 0 and its groups small, where the textbook interval
 * leaves [0, 1] and says a 0-of-20 rate is certain.
 */

/** z for a two-sided 95% interval. */
const Z95 = 1.959963984540054;

/** An interval of a rate or of a difference of rates (fractions, not percentages). */
export interface Interval {
  readonly low: number;
  readonly high: number;
}

/** Wilson's score interval of `successes` of `trials` at 95% ("Probable inference…", Wilson 1927). */
export function wilsonInterval(successes: number, trials: number, z = Z95): Interval {
  if (trials === 0) return { low: 0, high: 1 };
  const p = successes / trials;
  const z2 = z * z;
  const centre = p + z2 / (2 * trials);
  const margin = z * Math.sqrt((p * (1 - p)) / trials + z2 / (4 * trials * trials));
  const denominator = 1 + z2 / trials;
  return {
    low: Math.max(0, (centre - margin) / denominator),
    high: Math.min(1, (centre + margin) / denominator),
  };
}

/**
 * Newcombe's hybrid score interval of p1 − p2 at 95% (method 10 of "Interval estimation for the difference
 * between independent proportions", Newcombe 1998), built from each rate's Wilson interval.
 */
export function differenceInterval(
  successes1: number,
  trials1: number,
  successes2: number,
  trials2: number,
): Interval {
  const p1 = trials1 > 0 ? successes1 / trials1 : 0;
  const p2 = trials2 > 0 ? successes2 / trials2 : 0;
  const a = wilsonInterval(successes1, trials1);
  const b = wilsonInterval(successes2, trials2);
  const difference = p1 - p2;
  return {
    low: difference - Math.sqrt((p1 - a.low) ** 2 + (b.high - p2) ** 2),
    high: difference + Math.sqrt((a.high - p1) ** 2 + (p2 - b.low) ** 2),
  };
}

/** The standard normal distribution function (Zelen and Severo's approximation, error < 7.5e-8). */
function normalCdf(x: number): number {
  const t = 1 / (1 + 0.2316419 * Math.abs(x));
  const density = Math.exp((-x * x) / 2) / Math.sqrt(2 * Math.PI);
  const tail =
    density *
    t *
    (0.31938153 + t * (-0.356563782 + t * (1.781477937 + t * (-1.821255978 + t * 1.330274429))));
  return x >= 0 ? 1 - tail : tail;
}

/** The two-sided p-value of the pooled two-proportion z-test of p1 = p2 (1 when either group is empty). */
export function twoProportionP(
  successes1: number,
  trials1: number,
  successes2: number,
  trials2: number,
): number {
  if (trials1 === 0 || trials2 === 0) return 1;
  const pooled = (successes1 + successes2) / (trials1 + trials2);
  const se = Math.sqrt(pooled * (1 - pooled) * (1 / trials1 + 1 / trials2));
  if (se === 0) return 1;
  const z = (successes1 / trials1 - successes2 / trials2) / se;
  return 2 * (1 - normalCdf(Math.abs(z)));
}

/**
 * About how many members each group would need for the observed rates to differ significantly at 95% with
 * 80% power (the normal approximation): what "not yet significant" is missing. Undefined when the rates
 * are equal (no group size would tell them apart).
 */
export function groupSizeToDecide(rate1: number, rate2: number): number | undefined {
  const difference = Math.abs(rate1 - rate2);
  if (difference === 0) return undefined;
  const zPower = 0.8416212335729143;
  const variance = rate1 * (1 - rate1) + rate2 * (1 - rate2);
  return Math.ceil(((Z95 + zPower) ** 2 * variance) / (difference * difference));
}
