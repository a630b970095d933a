import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { syntheticEvents } from "../../functions/local/simulator/synthetic.js";
import { cli } from "../support/cli.js";

/**
 * Issue 38: `shopcare whatif --sample` as a CI gate runs it — a child process over an events file: the
 * whole history's figures estimated from a share of its customers, with 95% intervals, and `--fail-over`
 * judged on the interval's upper end.
 */

/** "≈ N decisions change (95%: L–H)" as numbers. */
function estimatedChanges(stdout: string) {
  const match = /≈ ([\d,]+) decisions change \(95%: ([\d,]+)–([\d,]+)\)/.exec(stdout);
  if (!match) throw new Error(`no estimate in:\n${stdout}`);
  const [value, low, high] = match.slice(1).map((text) => Number(text.replaceAll(",", "")));
  return { value: value as number, low: low as number, high: high as number };
}

describe("shopcare whatif --sample", () => {
  let args: string[];

  beforeAll(async () => {
    const dir = await mkdtemp(join(tmpdir(), "shopcare-whatif-sample-"));
    const [events, base, candidate] = ["events.jsonl", "base.json", "candidate.json"].map((name) =>
      join(dir, name),
    ) as [string, string, string];
    const month = syntheticEvents({ orders: 300, days: 30, seed: 11 });
    await writeFile(events, `${month.map((event) => JSON.stringify(event)).join("\n")}\n`);
    await writeFile(base, JSON.stringify({}));
    await writeFile(candidate, JSON.stringify({ journeys: { paymentReminder: { firstAfter: "5m" } } }));
    args = ["whatif", "--events", events, "--base", base, "--config", candidate];
  });

  it("judges --fail-over on the interval's upper end (exit 3 above it), and names a bad --sample or a --seed without it", async () => {
    // Act: a bar of 0 fails on any change; one at the interval's upper end passes.
    const gate = await cli([...args, "--sample", "50%", "--seed", "3", "--fail-over", "0"]);
    const { value, high } = estimatedChanges(gate.stdout);
    const passed = await cli([
      ...args,
      "--sample",
      "50%",
      "--seed",
      "3",
      "--fail-over",
      String(Math.ceil(high)),
    ]);
    const badShare = await cli([...args, "--sample", "0"]);
    const seedAlone = await cli([...args, "--seed", "2"]);

    // Assert
    expect(gate.stdout).toMatch(
      /^what-if on a sample: 50% of the history's customer groups \([\d,]+ of [\d,]+, seed 3; [\d,]+ of [\d,]+ events\)/,
    );
    expect(gate.stdout).toMatch(/^payment-reminder\.first: sent ≈ [\d,]+ → ≈ [\d,]+ \(\+[\d,]+ ± [\d,]+\)/m);
    expect(value).toBeGreaterThan(0);
    expect(gate.code).toBe(3);
    expect(gate.stderr).toContain(
      `whatif: up to ${Math.ceil(high)} decisions may change (the 95% interval's upper end)`,
    );
    expect(passed.code).toBe(0);
    expect(badShare.code).toBe(2);
    expect(badShare.stderr).toContain(
      "whatif: --sample is a share above 0 and at most 1, like 0.05 or 5%, got 0",
    );
    expect(seedAlone.code).toBe(2);
    expect(seedAlone.stderr).toContain("whatif: --seed goes with --sample");
  });
});
