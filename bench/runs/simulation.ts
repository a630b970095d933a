import { execFileSync } from "node:child_process";
import { cpus } from "node:os";
import { parseShopConfig } from "../../functions/core/config/config.js";
import { synthesizeTemplate } from "../../functions/local/emulator/synth.js";
import { simulate } from "../../functions/local/simulator/simulate.js";
import { syntheticEvents } from "../../functions/local/simulator/synthetic.js";
import { whatIf } from "../../functions/local/simulator/whatif.js";
import { num, record, round, text } from "../harness.js";
import { engineAlone } from "./sending.js";
import { checkout, type Patch, sideBySide } from "./side-by-side.js";

export async function simulation(_dynamo?: unknown) {
  const config = parseShopConfig({});
  const template = synthesizeTemplate(config);
  const orders = num("sim-orders");
  const events = syntheticEvents({ orders, days: num("sim-days"), seed: 3 });
  // The in-memory table: DynamoDB Local's round trips would measure Java, not shopcare.
  const timed = async (workers: number) => {
    const started = performance.now();
    const result = await simulate({ config, events, dynamo: "memory", template, workers });
    const seconds = (performance.now() - started) / 1000;
    return { result, seconds, perSecond: round(orders / seconds, 1) };
  };
  const workers = cpus().length;
  const parallel = await timed(workers);
  record({
    figure: `simulate: order lifecycles per second (${workers} workers)`,
    value: parallel.perSecond,
    unit: "/s",
    target: "≥ 500/s",
    met: parallel.perSecond >= 500,
    detail: `${orders} orders over ${num("sim-days")} days with every journey, customers sharded over ${workers} worker threads: ${parallel.result.executions} executions, ${parallel.result.transitions} transitions, ${parallel.result.decisions.length} decisions in ${round(parallel.seconds, 1)} s`,
  });
  const { result, seconds, perSecond } = await timed(1);
  record({
    figure: "simulate: order lifecycles per second (one thread)",
    value: perSecond,
    unit: "/s",
    detail: `the same run in one thread: ${round(seconds, 1)} s`,
  });
  const engineRate = await engineAlone(template, result.executions);
  const transitionsPerOrder = result.transitions / orders;
  record({
    figure: "local engine alone: orders per second it could run",
    value: round(engineRate / transitionsPerOrder, 0),
    unit: "/s",
    detail: `the same synthesized machines with step tasks that do nothing, on the virtual clock: ${round(engineRate, 0)} transitions/s; at ${round(transitionsPerOrder, 1)} transitions per order, the ceiling of simulate on one core before shopcare does any work`,
  });
}

/**
 * `shopcare whatif` over the 10,000-order synthetic stream, against one simulation of it in the same run
 * (both one thread, the in-memory table, the template synthesized once): issue 23's target is ≤ 2.2×.
 */
export async function whatIfRun(_dynamo?: unknown) {
  const base = parseShopConfig({});
  const candidate = parseShopConfig({ journeys: { paymentReminder: { firstAfter: "30m" } } });
  const template = synthesizeTemplate(base);
  const orders = 10_000;
  const events = syntheticEvents({ orders, days: 30, seed: 3 });
  const started = performance.now();
  await simulate({ config: base, events, dynamo: "memory", template });
  const once = (performance.now() - started) / 1000;
  const whatIfStarted = performance.now();
  const result = await whatIf({ events, base, candidate, template });
  const twice = (performance.now() - whatIfStarted) / 1000;
  const ratio = round(twice / once, 2);
  record({
    figure: "whatif: time over one simulation of the same history",
    value: ratio,
    unit: "×",
    target: "≤ 2.2×",
    met: ratio <= 2.2,
    detail: `${orders} synthetic orders: one simulation ${round(once, 1)} s, the what-if (firstAfter 60m → 30m) ${round(twice, 1)} s: ${result.decisions.base} decisions before, ${result.decisions.candidate} after, ${result.changes.length} changed`,
  });
}

/** The commit before the journey modules (issue 21): a tree without the refund and completed journeys. */
const BEFORE_JOURNEY_MODULES = "457782a";

/**
 * The simulation before and after a change, side by side (`sideBySide`): a checkout of the earlier commit
 * and this tree simulate the same month, both at once (`--redesign-rounds` rounds, 5). The journeys a base
 * without journey modules lacks are off, so both do the same work (the parity test holds their decisions
 * equal).
 */
export async function redesign(_dynamo?: unknown) {
  const base = text("redesign-base");
  if (!/^[0-9a-f]{7,40}$/.test(base)) throw new Error(`--redesign-base: expected a commit id, got ${base}`);
  const orders = num("redesign-orders");
  const off =
    base === BEFORE_JOURNEY_MODULES
      ? { journeys: { refund: { enabled: false }, completed: { enabled: false } } }
      : {};
  const { ratio, detail } = await sideBySide({
    before: { dir: checkout(base, base) },
    after: { dir: ".", config: off },
    orders,
    rounds: num("redesign-rounds"),
  });
  record({
    figure: "simulate now / before the redesign (CPU time)",
    value: ratio,
    unit: "×",
    target: "≤ 1.05",
    met: ratio <= 1.05,
    detail: `${orders} orders over 30 days (seed 21), one thread, in-memory table${base === BEFORE_JOURNEY_MODULES ? ", the added journeys off" : ""}, against ${base}; ${detail}`,
  });
}

/**
 * What the consent and quiet-hours checks cost (issue 35: at most 5% of the simulation's CPU): this tree
 * against a checkout of it without them — the recipient's place always the shop's zone, consent never
 * weighed (the number's opt-out still read, as before consent) — side by side (`--redesign-rounds`).
 */
export async function checksCost(_dynamo?: unknown) {
  const head = execFileSync("git", ["rev-parse", "--short", "HEAD"], { encoding: "utf8" }).trim();
  const without = checkout(head, `${head}-without-checks`, WITHOUT_CHECKS);
  const orders = num("redesign-orders");
  const { ratio, detail } = await sideBySide({
    before: { dir: without },
    after: { dir: "." },
    orders,
    rounds: num("redesign-rounds"),
  });
  record({
    figure: "simulate with / without the consent and quiet-hours checks (CPU time)",
    value: ratio,
    unit: "×",
    target: "≤ 1.05",
    met: ratio <= 1.05,
    detail: `${orders} orders over 30 days (seed 21), one thread, in-memory table, ${head}; ${detail}`,
  });
}

/** The checks taken out (`checksCost`): a patch that no longer applies fails the run. */
const WITHOUT_CHECKS: Patch[] = [
  {
    file: "functions/core/engine/quiet-hours.ts",
    find: "  const own = customer && (phone === undefined || phone === customer.phone) ? customer : undefined;",
    replace:
      '  if (config) return { zones: [config.timeZone], zoneSource: "shop" };\n  const own = customer && (phone === undefined || phone === customer.phone) ? customer : undefined;',
  },
  {
    file: "functions/core/journeys/context.ts",
    find: "  const consent = effectiveConsent(customer, number);",
    replace:
      "  if (number || !number) return { optedOutAt: number?.optedOutAt ?? customer?.optedOutAt };\n  const consent = effectiveConsent(customer, number);",
  },
];
