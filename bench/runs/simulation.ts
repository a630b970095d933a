import { execFile, execFileSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, symlinkSync } from "node:fs";
import { cpus } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { parseShopConfig } from "../../functions/core/config/config.js";
import { synthesizeTemplate } from "../../functions/local/emulator/synth.js";
import { simulate } from "../../functions/local/simulator/simulate.js";
import { syntheticEvents } from "../../functions/local/simulator/synthetic.js";
import { whatIf } from "../../functions/local/simulator/whatif.js";
import { num, record, round, text } from "../harness.js";
import { engineAlone } from "./sending.js";

const execFileAsync = promisify(execFile);

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
 * The simulation before and after a change, side by side: a checkout of the earlier commit (under
 * node_modules/.cache, sharing node_modules) and this tree each simulate the same month in a child process,
 * both at once, one per core (`--redesign-rounds` rounds, 5). This machine's speed drifts by a quarter from
 * minute to minute (a virtual machine on a shared host); two runs at the same moment see the same drift, so
 * each round's CPU ratio is the figure, and the median of the rounds' ratios the result. The journeys a
 * base without journey modules lacks are off, so both do the same work (the parity test holds their
 * decisions equal).
 */
export async function redesign(_dynamo?: unknown) {
  const base = text("redesign-base");
  if (!/^[0-9a-f]{7,40}$/.test(base)) throw new Error(`--redesign-base: expected a commit id, got ${base}`);
  const before = join("node_modules", ".cache", `shopcare-${base}`);
  if (!existsSync(join(before, "package.json"))) {
    mkdirSync(before, { recursive: true });
    execFileSync("sh", ["-c", `git archive ${base} | tar -x -C ${before}`]);
    symlinkSync(resolve("node_modules"), join(before, "node_modules"));
  }
  copyFileSync("bench/simulate-timed.ts", join(before, "bench", "simulate-timed.ts"));
  const orders = num("redesign-orders");
  const args = [String(orders), "30", "21"];
  const time = async (cwd: string, config: unknown) =>
    JSON.parse(
      (
        await execFileAsync("npx", ["tsx", "bench/simulate-timed.ts", ...args], {
          cwd,
          env: { ...process.env, SHOPCARE_BENCH_CONFIG: JSON.stringify(config) },
          encoding: "utf8",
        })
      ).stdout.trim(),
    ) as Timed;
  // Both sides do the same work: the journeys the base does not have are off here.
  const off =
    base === BEFORE_JOURNEY_MODULES
      ? { journeys: { refund: { enabled: false }, completed: { enabled: false } } }
      : {};
  const samples: { before: Timed; after: Timed }[] = [];
  const rounds = num("redesign-rounds");
  for (let round = 0; round < rounds; round += 1) {
    const [beforeRun, afterRun] = await Promise.all([time(before, {}), time(".", off)]);
    samples.push({ before: beforeRun, after: afterRun });
  }
  const median = (values: number[]) =>
    [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] as number;
  const of = (pick: (timed: Timed) => number) =>
    [median(samples.map((s) => pick(s.before))), median(samples.map((s) => pick(s.after)))] as const;
  const [beforeCpu, afterCpu] = of((t) => t.cpuSeconds);
  const [beforeWall, afterWall] = of((t) => t.seconds);
  const ratio = round(median(samples.map((s) => s.after.cpuSeconds / s.before.cpuSeconds)), 2);
  record({
    figure: "simulate now / before the redesign (CPU time)",
    value: ratio,
    unit: "×",
    target: "≤ 1.05",
    met: ratio <= 1.05,
    detail: `${orders} orders over 30 days (seed 21), one thread, in-memory table${base === BEFORE_JOURNEY_MODULES ? ", the added journeys off" : ""}; median of ${rounds} rounds' CPU ratios, the two sides run at once; medians before (${base}) / after: CPU ${round(beforeCpu, 1)} / ${round(afterCpu, 1)} s, wall ${round(beforeWall, 1)} / ${round(afterWall, 1)} s (wall ratio ${round(afterWall / beforeWall, 2)}); CPU per run ${samples.map((s) => `${round(s.before.cpuSeconds, 1)}/${round(s.after.cpuSeconds, 1)}`).join(", ")}; decisions ${samples[0]?.before.decisions} / ${samples[0]?.after.decisions}`,
  });
}

/** One timed simulation (bench/simulate-timed.ts). */
interface Timed {
  readonly seconds: number;
  readonly cpuSeconds: number;
  readonly decisions: number;
}
