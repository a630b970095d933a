import { readFile, writeFile } from "node:fs/promises";
import { gunzipSync, gzipSync } from "node:zlib";
import { parseShopConfig } from "../../functions/core/config.js";
import { simulate } from "../../functions/local/simulate.js";
import { syntheticEvents } from "../../functions/local/synthetic.js";

/**
 * The parity run of issue 21's redesign: the synthetic 10,000-order month through the simulation (one
 * thread, the in-memory table, so sub-second send slots are deterministic), with journeys added since off.
 * `tests/fixtures/parity/decisions.jsonl.gz` holds the decisions of the code before the redesign
 * (commit 457782a); the parity test compares today's run with it line by line.
 */
export const PARITY_ORDERS = 10_000;
export const PARITY_SEED = 21;
export const PARITY_FILE = new URL("../fixtures/parity/decisions.jsonl.gz", import.meta.url);

/** The config of the parity run: defaults, with the journeys the redesign added switched off. */
export function parityConfig(extra: Record<string, unknown> = {}) {
  return parseShopConfig({ journeys: { ...extra } });
}

/** Runs the parity month and returns its decisions, one JSON line each. */
export async function parityDecisions(rawJourneys: Record<string, unknown> = {}): Promise<string[]> {
  const events = syntheticEvents({ orders: PARITY_ORDERS, days: 30, seed: PARITY_SEED });
  const result = await simulate({ config: parityConfig(rawJourneys), events, dynamo: "memory" });
  return result.decisions.map((decision) => JSON.stringify(decision));
}

/** The decisions the code before the redesign made. */
export async function expectedParityDecisions(): Promise<string[]> {
  return gunzipSync(await readFile(PARITY_FILE))
    .toString("utf8")
    .split("\n")
    .filter(Boolean);
}

// `npx tsx tests/support/parity.ts --write` records the golden decisions (only ever from the old code).
if (process.argv.includes("--write") && import.meta.url.endsWith("/parity.ts")) {
  const lines = await parityDecisions();
  await writeFile(PARITY_FILE, gzipSync(`${lines.join("\n")}\n`, { level: 9 }));
  console.log(`${lines.length} decisions written to ${PARITY_FILE.pathname}`);
}
