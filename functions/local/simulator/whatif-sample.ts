import type { DecisionRecord } from "../../core/shared/model.js";
import type { DecisionChange } from "./decision-changes.js";
import { type Estimate, estimateTotal, type HistorySample } from "./sample.js";

/**
 * A what-if on a sample of the history (`whatif --sample`): every figure the table shows, estimated for the
 * whole history from the drawn customer groups, with a 95% interval.
 */

/** One figure of one step in both runs, and the difference, estimated. */
export interface SampledFigure {
  readonly step: string;
  readonly figure: string;
  readonly base: Estimate;
  readonly candidate: Estimate;
  readonly difference: Estimate;
}

/** What a sampled what-if estimates for the whole history. */
export interface SampledWhatIf {
  readonly fraction: number;
  readonly seed: number;
  readonly groups: number;
  readonly sampledGroups: number;
  readonly events: number;
  readonly totalEvents: number;
  /** Decisions that change (added, removed, moved or changed). */
  readonly changes: Estimate;
  readonly decisions: { readonly base: Estimate; readonly candidate: Estimate };
  readonly figures: readonly SampledFigure[];
}

/** The figure a decision counts in: sent, handoffs, or skipped with its reason. */
const figureOf = (decision: DecisionRecord) =>
  decision.outcome === "skipped"
    ? `skipped ${decision.reason ?? "?"}`
    : decision.outcome === "handoff"
      ? "handoffs"
      : decision.outcome;

/** Adds 1 to `key` in a group's tally. */
function count(tallies: Map<string, Map<string, number>>, key: string, group: string, by = 1) {
  let byGroup = tallies.get(key);
  if (!byGroup) {
    byGroup = new Map();
    tallies.set(key, byGroup);
  }
  byGroup.set(group, (byGroup.get(group) ?? 0) + by);
}

/** The estimates of a what-if run on `sample`, from both runs' decisions and what changed. */
export function estimateWhatIf(
  sample: HistorySample,
  base: readonly DecisionRecord[],
  candidate: readonly DecisionRecord[],
  changes: readonly DecisionChange[],
): SampledWhatIf {
  const { fraction } = sample;
  const tallies = { base: new Map<string, Map<string, number>>(), candidate: new Map() };
  const differences = new Map<string, Map<string, number>>();
  for (const [run, decisions, sign] of [
    ["base", base, -1],
    ["candidate", candidate, 1],
  ] as const)
    for (const decision of decisions) {
      const group = sample.groupOf(decision);
      const key = `${decision.journey}.${decision.step}\u0000${figureOf(decision)}`;
      count(tallies[run], key, group);
      count(tallies[run], "\u0000decisions", group);
      count(differences, key, group, sign);
    }
  const changed = new Map<string, Map<string, number>>();
  for (const change of changes)
    count(changed, "changes", sample.groupOf((change.before ?? change.after) as DecisionRecord));
  const estimate = (tally: Map<string, Map<string, number>>, key: string) =>
    estimateTotal(tally.get(key)?.values() ?? [], fraction);
  const keys = [...new Set([...tallies.base.keys(), ...tallies.candidate.keys()])]
    .filter((key) => !key.startsWith("\u0000"))
    .sort();
  return {
    fraction,
    seed: sample.seed,
    groups: sample.groups,
    sampledGroups: sample.sampledGroups,
    events: sample.events.length,
    totalEvents: sample.totalEvents,
    changes: estimate(changed, "changes"),
    decisions: {
      base: estimate(tallies.base, "\u0000decisions"),
      candidate: estimate(tallies.candidate, "\u0000decisions"),
    },
    figures: keys.map((key) => {
      const [step = "", figure = ""] = key.split("\u0000");
      return {
        step,
        figure,
        base: estimate(tallies.base, key),
        candidate: estimate(tallies.candidate, key),
        difference: estimate(differences, key),
      };
    }),
  };
}

const whole = new Intl.NumberFormat("en", { maximumFractionDigits: 0 });
const about = (estimate: Estimate) => `≈ ${whole.format(estimate.value)}`;
const range = (estimate: Estimate) =>
  `${whole.format(Math.max(0, estimate.low))}–${whole.format(estimate.high)}`;
const plusMinus = (estimate: Estimate) => {
  const value = Math.round(estimate.value);
  const half = Math.round(estimate.high - estimate.value);
  return `${value === 0 ? "0" : `${value > 0 ? "+" : "−"}${whole.format(Math.abs(value))}`} ± ${whole.format(half)}`;
};

/**
 * The sampled comparison as a table: what was drawn, the decisions that change (with the interval), then per
 * step each figure before → after (difference ± half the interval), for the steps whose figures change in
 * the sample.
 */
export function sampledWhatIfTable(estimates: SampledWhatIf): string {
  const percent = new Intl.NumberFormat("en", { style: "percent", maximumFractionDigits: 2 });
  const lines = [
    `what-if on a sample: ${percent.format(estimates.fraction)} of the history's customer groups (${whole.format(estimates.sampledGroups)} of ${whole.format(estimates.groups)}, seed ${estimates.seed}; ${whole.format(estimates.events)} of ${whole.format(estimates.totalEvents)} events); every figure is an estimate for the whole history with its 95% interval`,
    `what-if: ${about(estimates.changes)} decisions change (95%: ${range(estimates.changes)}); ${about(estimates.decisions.base)} decisions before, ${about(estimates.decisions.candidate)} after`,
  ];
  const byStep = new Map<string, SampledFigure[]>();
  for (const figure of estimates.figures)
    byStep.set(figure.step, [...(byStep.get(figure.step) ?? []), figure]);
  let unchanged = 0;
  for (const [step, figures] of byStep) {
    const moved = figures.filter((figure) => figure.difference.value !== 0 || figure.difference.high !== 0);
    if (moved.length === 0) {
      unchanged += 1;
      continue;
    }
    const texts = moved.map(
      (figure) =>
        `${figure.figure} ${about(figure.base)} → ${about(figure.candidate)} (${plusMinus(figure.difference)})`,
    );
    lines.push(`${step}: ${texts.join(", ")}`);
  }
  lines.push(`${unchanged} step(s) unchanged in the sample`);
  return `${lines.join("\n")}\n`;
}
