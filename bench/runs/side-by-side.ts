import { execFile, execFileSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { round } from "../harness.js";

const execFileAsync = promisify(execFile);

/** One timed simulation (bench/simulate-timed.ts). */
export interface Timed {
  readonly seconds: number;
  readonly cpuSeconds: number;
  readonly decisions: number;
}

/** A text replacement made in a checkout: it must apply, or the comparison would measure nothing. */
export interface Patch {
  readonly file: string;
  readonly find: string;
  readonly replace: string;
}

/**
 * A checkout of `commit` under node_modules/.cache (sharing node_modules), with `patches` applied to a
 * checkout of its own, and this tree's bench/simulate-timed.ts.
 */
export function checkout(commit: string, name: string, patches: readonly Patch[] = []): string {
  const dir = join("node_modules", ".cache", `shopcare-${name}`);
  if (!existsSync(join(dir, "package.json"))) {
    mkdirSync(dir, { recursive: true });
    execFileSync("sh", ["-c", `git archive ${commit} | tar -x -C ${dir}`]);
    symlinkSync(resolve("node_modules"), join(dir, "node_modules"));
    for (const patch of patches) {
      const path = join(dir, patch.file);
      const source = readFileSync(path, "utf8");
      if (!source.includes(patch.find))
        throw new Error(`patch does not apply to ${patch.file}: ${patch.find}`);
      writeFileSync(path, source.replace(patch.find, patch.replace));
    }
  }
  copyFileSync("bench/simulate-timed.ts", join(dir, "bench", "simulate-timed.ts"));
  return dir;
}

/** One side of a comparison: a tree, the config it simulates, and variables for its run. */
export interface Side {
  readonly dir: string;
  readonly config?: unknown;
  readonly env?: Readonly<Record<string, string>>;
}

/**
 * The same month simulated in two trees side by side: each round runs both at once, one child process per
 * core. This machine's speed drifts by a quarter from minute to minute (a virtual machine on a shared host);
 * two runs at the same moment see the same drift, so each round's CPU ratio is a figure and the median of
 * the rounds' ratios the result.
 */
export async function sideBySide(options: {
  readonly before: Side;
  readonly after: Side;
  readonly orders: number;
  readonly rounds: number;
}) {
  const args = [String(options.orders), "30", "21"];
  const time = async (side: Side) =>
    JSON.parse(
      (
        await execFileAsync("npx", ["tsx", "bench/simulate-timed.ts", ...args], {
          cwd: side.dir,
          env: { ...process.env, ...side.env, SHOPCARE_BENCH_CONFIG: JSON.stringify(side.config ?? {}) },
          encoding: "utf8",
        })
      ).stdout.trim(),
    ) as Timed;
  const samples: { before: Timed; after: Timed }[] = [];
  for (let round = 0; round < options.rounds; round += 1) {
    const [before, after] = await Promise.all([time(options.before), time(options.after)]);
    samples.push({ before, after });
  }
  const median = (values: number[]) =>
    [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] as number;
  const ratio = round(median(samples.map((s) => s.after.cpuSeconds / s.before.cpuSeconds)), 2);
  const perRound = samples
    .map((s) => `${round(s.before.cpuSeconds, 1)}/${round(s.after.cpuSeconds, 1)}`)
    .join(", ");
  const decisions = `${samples[0]?.before.decisions} / ${samples[0]?.after.decisions}`;
  return {
    ratio,
    /** Decisions made on each side, per round: a comparison of equal work has them equal. */
    decisions: samples.map((sample) => [sample.before.decisions, sample.after.decisions] as const),
    detail: `median of ${options.rounds} rounds' CPU ratios, both sides at once; CPU s per round (before/after) ${perRound}; decisions ${decisions}`,
  };
}
