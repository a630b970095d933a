import type { ShopConfig } from "../../core/config/config.js";
import { buildReport, type EffectReport, type Figures } from "../../core/insight/report.js";
import type { ShopEvent } from "../../core/intake/events.js";
import { DAY_MS } from "../../core/shared/time.js";
import type { CloudFormationTemplate } from "../emulator/engine.js";
import { type DecisionChange, diffDecisions } from "./decision-changes.js";
import type { HistorySample } from "./sample.js";
import { simulate } from "./simulate.js";
import { estimateWhatIf, type SampledWhatIf } from "./whatif-sample.js";

/**
 * `shopcare whatif`: the same history decided under two configs, on a virtual clock through the real
 * state machines (`simulate`, in-memory table), compared step by step and decision by decision. Nothing
 * is sent: both runs use the outbox.
 */

/** Both runs' reports and what changed. */
export interface WhatIfResult {
  readonly base: EffectReport;
  readonly candidate: EffectReport;
  readonly changes: readonly DecisionChange[];
  readonly decisions: { readonly base: number; readonly candidate: number };
  /** With a sampled history: the whole history's figures estimated, with intervals. */
  readonly sample?: SampledWhatIf;
}

/** Runs `events` under `base` and under `candidate` and compares them. */
export async function whatIf(options: {
  /** The history, or (with `sample`) the sample's events. */
  readonly events: readonly ShopEvent[];
  /** The sample `events` were drawn as: the result then estimates the whole history's figures. */
  readonly sample?: HistorySample;
  readonly base: ShopConfig;
  readonly candidate: ShopConfig;
  /** The synthesized stack, if the caller has it. @default synthesized from `base` (both runs use it) */
  readonly template?: CloudFormationTemplate;
}): Promise<WhatIfResult> {
  // The state machines are one loop for every journey, whatever the config: one synthesis serves both.
  const template =
    options.template ?? (await (await import("../emulator/template-cache.js")).localTemplate(options.base));
  const run = (config: ShopConfig, thread = false) =>
    simulate({
      thread,
      // The sample keeps the shop's send rate: scaled to its share (1 a second for 5% of 20), every
      // re-pacing of sends due together moved them by whole seconds, and the estimates ran 10–60% high on
      // the 10,000-order month; at the shop's rate four draws' intervals all held the full run's count.
      config,
      events: [...options.events],
      dynamo: "memory",
      template,
    });
  // Side by side: the candidate in a worker thread while the base runs here, one per core (each run alone
  // decides as it would in one thread: no customer is split between them).
  const [before, after] = await Promise.all([run(options.base), run(options.candidate, true)]);
  const changes = diffDecisions(before.decisions, after.decisions);
  return {
    base: buildReport(options.base, before.decisions, before.orders, { workload: before.workload }),
    candidate: buildReport(options.candidate, after.decisions, after.orders, { workload: after.workload }),
    changes,
    decisions: { base: before.decisions.length, candidate: after.decisions.length },
    ...(options.sample
      ? { sample: estimateWhatIf(options.sample, before.decisions, after.decisions, changes) }
      : {}),
  };
}

type Row = { readonly journey: string; readonly step: string; readonly figures: Figures | undefined };

function rowsOf(report: EffectReport): Row[] {
  return report.journeys.flatMap((journey) =>
    journey.steps.map((step) => ({ journey: journey.journey, step: step.step, figures: step })),
  );
}

const money = (value: number) => value.toFixed(2);
const signed = (value: number, format: (value: number) => string = String) =>
  value === 0 ? "0" : `${value > 0 ? "+" : "−"}${format(Math.abs(value))}`;

/** One figure before → after (difference), or nothing when it is 0 in both runs. */
function figureLine(
  name: string,
  was: Figures | undefined,
  now: Figures | undefined,
  of: (figures: Figures) => number,
  format: (value: number) => string = String,
): { text: string; changed: boolean } | undefined {
  const before = was ? of(was) : 0;
  const after = now ? of(now) : 0;
  if (before === 0 && after === 0) return undefined;
  return {
    text: `${name} ${format(before)} → ${format(after)} (${signed(after - before, format)})`,
    changed: format(before) !== format(after),
  };
}

/** Every figure of a step (or the totals) in both runs; skips by reason. */
function figureLines(was: Figures | undefined, now: Figures | undefined) {
  const reasons = new Set([...Object.keys(was?.skipped ?? {}), ...Object.keys(now?.skipped ?? {})]);
  const roi = (figures: Figures | undefined) =>
    figures?.roi === undefined ? "—" : `${figures.roi.toFixed(1)}×`;
  const lines = [
    figureLine("sent", was, now, (f) => f.sent),
    figureLine("handoffs", was, now, (f) => f.handoffs),
    ...[...reasons]
      .sort()
      .map((reason) => figureLine(`skipped ${reason}`, was, now, (f) => f.skipped[reason] ?? 0)),
    figureLine("SMS cost", was, now, (f) => f.smsCost, money),
    figureLine("revenue", was, now, (f) => f.revenue, money),
    roi(was) === roi(now) ? undefined : { text: `ROI ${roi(was)} → ${roi(now)}`, changed: true },
  ];
  return lines.filter((line): line is { text: string; changed: boolean } => line !== undefined);
}

/**
 * The comparison as a table: per journey and step whose figures differ, each figure before → after
 * (difference), skips by reason; then the totals and how many steps did not change.
 */
export function whatIfTable(result: WhatIfResult): string {
  const base = new Map(rowsOf(result.base).map((row) => [`${row.journey}.${row.step}`, row]));
  const candidate = new Map(rowsOf(result.candidate).map((row) => [`${row.journey}.${row.step}`, row]));
  const kinds = (["added", "removed", "moved", "changed"] as const)
    .map((kind) => [kind, result.changes.filter((change) => change.change === kind).length] as const)
    .filter(([, count]) => count > 0)
    .map(([kind, count]) => `${kind} ${count}`);
  const lines: string[] = [
    `what-if: ${result.decisions.base} decisions before, ${result.decisions.candidate} after, ${result.changes.length} changed${kinds.length > 0 ? ` (${kinds.join(", ")})` : ""}`,
  ];
  let unchanged = 0;
  for (const key of new Set([...base.keys(), ...candidate.keys()])) {
    const figures = figureLines(base.get(key)?.figures, candidate.get(key)?.figures);
    if (!figures.some((figure) => figure.changed)) unchanged += 1;
    else lines.push(`${key}: ${figures.map((figure) => figure.text).join(", ")}`);
  }
  const totals = figureLines(result.base.totals, result.candidate.totals);
  lines.push(`total: ${totals.map((figure) => figure.text).join(", ") || "nothing decided"}`);
  lines.push(`${unchanged} step(s) unchanged`);
  return `${lines.join("\n")}\n`;
}

/** `whatif --fail-over N` and more than N decisions changed: exit 3. */
export const WHATIF_FAIL_EXIT = 3;

/** The history a what-if replays: an events file, a running local shop's archive, or a deployed table's. */
export async function whatIfHistory(
  source: { readonly events?: string; readonly url?: string; readonly table?: string },
  range: { readonly from?: string; readonly to?: string },
  config: ShopConfig,
): Promise<ShopEvent[]> {
  if (source.events) {
    const { readEventFile } = await import("./sample.js");
    return readEventFile(source.events);
  }
  const to = range.to ? new Date(range.to) : new Date();
  const from = range.from ? new Date(range.from) : new Date(to.getTime() - 30 * DAY_MS);
  if (Number.isNaN(from.getTime()) || Number.isNaN(to.getTime()))
    throw new Error("whatif: --from and --to are ISO times, e.g. 2026-06-01T00:00:00+08:00");
  if (source.url) {
    const { LOCAL_HISTORY_PATH } = await import("../console/console.js");
    const { postToLocalShop } = await import("../cli/admin-client.js");
    const range = { from: from.toISOString(), to: to.toISOString() };
    return (await postToLocalShop<{ events: ShopEvent[] }>(source.url, LOCAL_HISTORY_PATH, range, "whatif"))
      .events;
  }
  if (source.table) {
    // Read with the operator's credentials (and AWS_ENDPOINT_URL_DYNAMODB, if set); nothing is written.
    const [{ DynamoDBClient }, { Store }, { archivedHistory }] = await Promise.all([
      import("@aws-sdk/client-dynamodb"),
      import("../../adapters/dynamodb/store.js"),
      import("../../core/intake/replay.js"),
    ]);
    const store = new Store(new DynamoDBClient({}), source.table);
    const history = await archivedHistory({ config, store, now: () => new Date() }, { from, to });
    for (const webhook of history.unreadable)
      process.stderr.write(`whatif: webhook ${webhook.id} left out: ${webhook.error}\n`);
    return history.events;
  }
  throw new Error("whatif: --events, --url or --table says where the history is");
}

/**
 * A sample of the history (`whatif --sample`): an events file read as a stream, never held whole; an
 * archive read, then sampled.
 */
export async function whatIfSample(
  source: { readonly events?: string; readonly url?: string; readonly table?: string },
  range: { readonly from?: string; readonly to?: string },
  config: ShopConfig,
  draw: { readonly fraction: number; readonly seed: number },
): Promise<HistorySample> {
  const { sampleEventFile, sampleEvents } = await import("./sample.js");
  if (source.events) return sampleEventFile(source.events, draw.fraction, draw.seed);
  return sampleEvents(await whatIfHistory(source, range, config), draw.fraction, draw.seed);
}
