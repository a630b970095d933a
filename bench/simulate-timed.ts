/**
 * One timed simulation, printed as JSON: what `npm run bench -- --only redesign` runs in this tree and in a
 * checkout of an earlier commit, alternately, to compare the two on one machine. The modules are found in
 * either layout: `functions/core/…` in rooms (since issue 34) or flat (before it).
 * `npx tsx bench/simulate-timed.ts <orders> <days> <seed>` (`SHOPCARE_BENCH_CONFIG`: the config's JSON;
 * `SHOPCARE_BENCH_KUAIDI100=1`: shipped parcels subscribed)
 */
import { existsSync } from "node:fs";

/** A module of this tree, wherever its layout keeps it. */
async function load(...candidates: string[]) {
  for (const candidate of candidates) {
    const url = new URL(`../${candidate}`, import.meta.url);
    if (existsSync(url)) return import(url.href);
  }
  throw new Error(`none of ${candidates.join(", ")} in this tree`);
}

const { parseShopConfig } = await load("functions/core/config/config.ts", "functions/core/config.ts");
const { synthesizeTemplate } = await load("functions/local/emulator/synth.ts", "functions/local/synth.ts");
const { simulate } = await load("functions/local/simulator/simulate.ts", "functions/local/simulate.ts");
const { syntheticEvents } = await load(
  "functions/local/simulator/synthetic.ts",
  "functions/local/synthetic.ts",
);

const [orders, days, seed] = process.argv.slice(2).map(Number) as [number, number, number];
// The same work on both sides: the journeys the earlier tree does not have are off (the run sets it).
const raw = JSON.parse(process.env.SHOPCARE_BENCH_CONFIG ?? "{}");
const config = parseShopConfig(raw);
const template = synthesizeTemplate(config);
const events = syntheticEvents({ orders, days, seed });
const started = performance.now();
const cpuBefore = process.cpuUsage();
// SHOPCARE_BENCH_KUAIDI100=1: each shipped parcel subscribed, Kuaidi100 answering 200 at once (issue 37).
const kuaidi100 = process.env.SHOPCARE_BENCH_KUAIDI100
  ? {
      poll: { subscribe: async () => ({ returnCode: "200", message: "提交成功" }) },
      account: { key: "key", customer: "customer", salt: "salt" },
    }
  : undefined;
const result = await simulate({ config, events, dynamo: "memory", template, kuaidi100 });
const seconds = (performance.now() - started) / 1000;
// CPU time as well as wall time: on a shared machine the wall clock also measures the neighbours.
const cpu = process.cpuUsage(cpuBefore);
const cpuSeconds = (cpu.user + cpu.system) / 1e6;
process.stdout.write(`${JSON.stringify({ seconds, cpuSeconds, decisions: result.decisions.length })}\n`);
process.exit(0);
