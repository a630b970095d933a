import { execFile } from "node:child_process";
import { createWriteStream } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { parseShopConfig } from "../../functions/core/config/config.js";
import { synthesizeTemplate } from "../../functions/local/emulator/synth.js";
import { parseSampleFraction, sampleEvents } from "../../functions/local/simulator/sample.js";
import { syntheticEvents, syntheticOrders } from "../../functions/local/simulator/synthetic.js";
import { whatIf } from "../../functions/local/simulator/whatif.js";
import { num, record, round, text } from "../harness.js";

const execFileAsync = promisify(execFile);

/** Every journey the synthetic month can start, on (the abandoned-checkout journey has no events in it). */
const BASE = { journeys: { completed: { enabled: true } } };
/** The candidate a pull request might bring: the first payment reminder after 15 minutes instead of 60. */
const CANDIDATE = { journeys: { completed: { enabled: true }, paymentReminder: { firstAfter: "15m" } } };

/** A synthetic month of `orders` written as JSON Lines, one order at a time (never held whole). */
async function writeMonth(path: string, orders: number, seed: number): Promise<void> {
  const out = createWriteStream(path);
  for (const events of syntheticOrders({ orders, days: 30, seed })) {
    const chunk = `${events.map((event) => JSON.stringify(event)).join("\n")}\n`;
    if (!out.write(chunk)) await new Promise<void>((resolve) => out.once("drain", () => resolve()));
  }
  await new Promise<void>((resolve, reject) =>
    out.end((error?: Error | null) => (error ? reject(error) : resolve())),
  );
}

/** `npx shopcare whatif …` as a CI job runs it, under GNU time: wall seconds, peak RSS and its first line. */
async function timedWhatIf(args: readonly string[]) {
  const { stdout, stderr } = await execFileAsync(
    "/usr/bin/time",
    ["-f", "%e %M", process.execPath, "functions/local/cli/shopcare.mjs", "whatif", ...args],
    { maxBuffer: 64 * 2 ** 20, env: { ...process.env, NODE_OPTIONS: "--max-old-space-size=16384" } },
  );
  const [seconds, kilobytes] = (stderr.trim().split("\n").at(-1) ?? "").split(" ").map(Number);
  const estimate = /what-if: (.*)$/m.exec(stdout)?.[1] ?? stdout.split("\n")[0] ?? "";
  return { seconds: seconds as number, rssMiB: (kilobytes as number) / 1024, estimate };
}

/**
 * Issue 38: a what-if at a big shop's scale. `whatif --sample` over generated months of 10,000, 100,000 and
 * 1,000,000 orders (`--scale-orders`, every journey on, seed printed) — wall seconds and peak RSS of the CLI
 * as a CI job runs it, so the growth shows — beside the full run on the smallest month; and the sampled
 * estimate held to the full comparison on the 10,000-order month over `--scale-seeds` draws: how often its
 * 95% interval holds the full run's count of changed decisions.
 */
export async function scaleRun() {
  const sizes = text("scale-orders").split(",").map(Number);
  const share = text("scale-sample");
  const seed = num("seed");
  const dir = await mkdtemp(join(tmpdir(), "shopcare-scale-"));
  try {
    const [base, candidate] = [join(dir, "base.json"), join(dir, "candidate.json")];
    await writeFile(base, JSON.stringify(BASE));
    await writeFile(candidate, JSON.stringify(CANDIDATE));
    for (const orders of sizes) {
      const events = join(dir, `month-${orders}.jsonl`);
      await writeMonth(events, orders, seed);
      const args = ["--events", events, "--base", base, "--config", candidate];
      const sampled = await timedWhatIf([...args, "--sample", share]);
      record({
        figure: `whatif --sample ${share}: ${orders.toLocaleString("en")} orders`,
        value: round(sampled.seconds, 1),
        unit: "s",
        ...(orders >= 1_000_000 ? { target: "≤ 600", met: sampled.seconds <= 600 } : {}),
        detail: `a generated month (30 days, seed ${seed}, every journey on), first payment reminder 60 → 15 min; peak RSS ${Math.round(sampled.rssMiB)} MiB; ${sampled.estimate}`,
      });
      if (orders === Math.min(...sizes)) {
        const full = await timedWhatIf(args);
        record({
          figure: `whatif (every customer): ${orders.toLocaleString("en")} orders`,
          value: round(full.seconds, 1),
          unit: "s",
          detail: `the same month and candidate, not sampled; peak RSS ${Math.round(full.rssMiB)} MiB; ${full.estimate}`,
        });
      }
      await rm(events, { force: true });
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  await samplingParity(parseSampleFraction(share));
}

/** How often the sampled interval holds the full run's changed decisions, on the 10,000-order month. */
async function samplingParity(fraction: number) {
  const orders = num("redesign-orders");
  const draws = num("scale-seeds");
  const events = syntheticEvents({ orders, days: 30, seed: 21 });
  const [base, candidate] = [parseShopConfig(BASE), parseShopConfig(CANDIDATE)];
  const template = synthesizeTemplate(base);
  const full = await whatIf({ events, base, candidate, template });
  const truth = full.changes.length;
  let held = 0;
  const errors: number[] = [];
  for (let draw = 1; draw <= draws; draw += 1) {
    const sample = sampleEvents(events, fraction, draw);
    const estimate = (await whatIf({ events: sample.events, sample, base, candidate, template })).sample
      ?.changes;
    if (!estimate) throw new Error("a sampled what-if returned no estimate");
    if (estimate.low <= truth && truth <= estimate.high) held += 1;
    errors.push(Math.abs(estimate.value - truth) / Math.max(1, truth));
  }
  record({
    figure: `whatif --sample ${round(fraction * 100, 2)}%: intervals holding the full run's changes`,
    value: held,
    unit: `of ${draws}`,
    detail: `${orders} orders (seed 21), ${truth} decisions change in the full comparison; the estimate's median error ${round(100 * (errors.sort((a, b) => a - b)[Math.floor(errors.length / 2)] ?? 0), 1)}% (a 95% interval holds it about 19 times in 20)`,
  });
}
