/**
 * One timed simulation, printed as JSON: what `npm run bench -- --only redesign` runs in this tree and in a
 * checkout of the code before the journey redesign, alternately, to compare the two on one machine.
 * `npx tsx bench/simulate-timed.ts <orders> <days> <seed>`
 */
import { parseShopConfig } from "../functions/core/config/config.js";
import { synthesizeTemplate } from "../functions/local/emulator/synth.js";
import { simulate } from "../functions/local/simulator/simulate.js";
import { syntheticEvents } from "../functions/local/simulator/synthetic.js";

const [orders, days, seed] = process.argv.slice(2).map(Number) as [number, number, number];
// The default config of the code before: the journeys added since would be more work, not the same work.
const raw = JSON.parse(process.env.SHOPCARE_BENCH_CONFIG ?? "{}");
const config = parseShopConfig(raw);
const template = synthesizeTemplate(config);
const events = syntheticEvents({ orders, days, seed });
const started = performance.now();
const cpuBefore = process.cpuUsage();
const result = await simulate({ config, events, dynamo: "memory", template });
const seconds = (performance.now() - started) / 1000;
// CPU time as well as wall time: on a shared machine the wall clock also measures the neighbours.
const cpu = process.cpuUsage(cpuBefore);
const cpuSeconds = (cpu.user + cpu.system) / 1e6;
process.stdout.write(`${JSON.stringify({ seconds, cpuSeconds, decisions: result.decisions.length })}\n`);
process.exit(0);
