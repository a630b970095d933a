import type { ShopConfig } from "../../core/config/config.js";
import { buildReport, type EffectReport, type Figures } from "../../core/insight/report.js";
import type { ShopEvent } from "../../core/intake/events.js";
import type { DecisionRecord } from "../../core/shared/model.js";
import { DAY_MS } from "../../core/shared/time.js";
import type { CloudFormationTemplate } from "../emulator/engine.js";
import { simulate } from "./simulate.js";

/**
 * `shopcare whatif`: the same history decided under two configs, on a virtual clock through the real
 * state machines (`simulate`, in-memory table), compared step by step and decision by decision. Nothing
 * is sent: both runs use the outbox.
 */

/** How one decision differs between the base run and the candidate run. */
export interface DecisionChange {
  /**
   * `added` / `removed`: only one run decided it; `moved`: the same journey, step and subject at another
   * time; `changed`: the same time with another outcome, reason, template or text.
   */
  readonly change: "added" | "removed" | "moved" | "changed";
  readonly journey: string;
  readonly step: string;
  readonly orderId?: string;
  readonly customerId?: string;
  readonly before: DecisionRecord | null;
  readonly after: DecisionRecord | null;
}

/** What a decision is about: its journey, step and subject (the order, else the customer). */
const subjectKey = (decision: DecisionRecord) =>
  JSON.stringify([decision.journey, decision.step, decision.orderId ?? "", decision.customerId ?? ""]);

const SAME_FIELDS = ["outcome", "reason", "template", "text"] as const;

/**
 * Pairs the two runs' decisions by journey, step and subject (the n-th of each, oldest first: a refund
 * notice is one step decided once per refund) and says how each pair differs.
 */
export function diffDecisions(
  before: readonly DecisionRecord[],
  after: readonly DecisionRecord[],
): DecisionChange[] {
  const group = (decisions: readonly DecisionRecord[]) => {
    const groups = new Map<string, DecisionRecord[]>();
    for (const decision of decisions) {
      const key = subjectKey(decision);
      const list = groups.get(key) ?? [];
      list.push(decision);
      groups.set(key, list);
    }
    for (const list of groups.values()) list.sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
    return groups;
  };
  const was = group(before);
  const now = group(after);
  const changes: DecisionChange[] = [];
  for (const key of new Set([...was.keys(), ...now.keys()])) {
    const olds = was.get(key) ?? [];
    const news = now.get(key) ?? [];
    for (let index = 0; index < Math.max(olds.length, news.length); index += 1) {
      const old = olds[index] ?? null;
      const next = news[index] ?? null;
      const change = !old
        ? "added"
        : !next
          ? "removed"
          : Date.parse(old.at) !== Date.parse(next.at)
            ? "moved"
            : SAME_FIELDS.some((field) => old[field] !== next[field])
              ? "changed"
              : undefined;
      if (!change) continue;
      const { journey, step, orderId, customerId } = (old ?? next) as DecisionRecord;
      changes.push({
        change,
        journey,
        step,
        ...(orderId ? { orderId } : {}),
        ...(customerId ? { customerId } : {}),
        before: old,
        after: next,
      });
    }
  }
  // Oldest first, by the earlier of the two times.
  const at = (change: DecisionChange) =>
    Math.min(...[change.before, change.after].filter((d) => d !== null).map((d) => Date.parse(d.at)));
  return changes.sort((a, b) => at(a) - at(b));
}

/** Both runs' reports and what changed. */
export interface WhatIfResult {
  readonly base: EffectReport;
  readonly candidate: EffectReport;
  readonly changes: readonly DecisionChange[];
  readonly decisions: { readonly base: number; readonly candidate: number };
}

/** Runs `events` under `base` and under `candidate` and compares them. */
export async function whatIf(options: {
  readonly events: readonly ShopEvent[];
  readonly base: ShopConfig;
  readonly candidate: ShopConfig;
  /** The synthesized stack, if the caller has it. @default synthesized from `base` (both runs use it) */
  readonly template?: CloudFormationTemplate;
}): Promise<WhatIfResult> {
  // The state machines are one loop for every journey, whatever the config: one synthesis serves both.
  const template =
    options.template ?? (await import("../emulator/synth.js")).synthesizeTemplate(options.base);
  const run = (config: ShopConfig) =>
    simulate({ config, events: [...options.events], dynamo: "memory", template });
  const before = await run(options.base);
  const after = await run(options.candidate);
  return {
    base: buildReport(options.base, before.decisions, before.orders, { workload: before.workload }),
    candidate: buildReport(options.candidate, after.decisions, after.orders, { workload: after.workload }),
    changes: diffDecisions(before.decisions, after.decisions),
    decisions: { base: before.decisions.length, candidate: after.decisions.length },
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
    const { readFile } = await import("node:fs/promises");
    const { parseEventLines } = await import("./simulate.js");
    return parseEventLines(await readFile(source.events, "utf8"));
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
