/**
 * `npm run bench`: what matters for shopcare, measured on this machine, each figure a ratio to a baseline
 * measured in the same run (or a count), so it holds on a noisy shared machine. Prints a table and writes
 * `bench/results.json`. Not part of `npm test`: tests never assert wall-clock times. Each run lives in
 * `bench/runs/` (webhooks, simulation, sending, peak day, CRM, faults, links); `bench/harness.ts` holds the
 * flags and how a figure is recorded.
 *
 * `--only ingest,cold-start,cost,simulation,send-rate,peak-day,faults,slot-burst,redesign,checks-cost,whatif,campaign,segment,links,forget,tracking,scale`
 * runs some of them. The default sizes are the
 * issue's (10,000 simulated orders, a burst of 10,000 messages, 100,000 peak-day orders): about 20 minutes on
 * 2 cores; flags such as `--sim-orders 1000` make a quicker run.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { cpus, totalmem } from "node:os";
import { startDynamoDbLocal } from "../functions/local/emulator/dynamodb-local.js";
import { type Figure, figures, flags, round, startRun } from "./harness.js";
import { campaignRun, segmentRun } from "./runs/crm.js";
import { forgetRun } from "./runs/data-rights.js";
import { faults } from "./runs/faults.js";
import { links } from "./runs/links.js";
import { peakDay } from "./runs/peak-day.js";
import { scaleRun } from "./runs/scale.js";
import { sendRate, slotBurst } from "./runs/sending.js";
import { checksCost, redesign, simulation, whatIfRun } from "./runs/simulation.js";
import { tracking } from "./runs/tracking.js";
import { coldStart, costPerOrder, ingest } from "./runs/webhooks.js";

const machine = `${cpus().length} × ${cpus()[0]?.model ?? "cpu"}, ${round(totalmem() / 2 ** 30, 0)} GiB, Node ${process.version}`;
process.stderr.write(`shopcare benchmark on ${machine}\n`);
const dynamo = await startDynamoDbLocal();
const runs = {
  ingest,
  "cold-start": coldStart,
  cost: costPerOrder,
  simulation,
  "send-rate": sendRate,
  "peak-day": peakDay,
  faults,
  "slot-burst": slotBurst,
  redesign,
  "checks-cost": checksCost,
  whatif: whatIfRun,
  campaign: campaignRun,
  segment: segmentRun,
  forget: forgetRun,
  links,
  tracking,
  scale: scaleRun,
};
const RUN_ORDER = Object.keys(runs);
const RESULTS = "bench/results.json";
const chosen = flags.only ? flags.only.split(",") : Object.keys(runs);
try {
  for (const name of chosen) {
    const run = runs[name as keyof typeof runs];
    if (!run) throw new Error(`--only: unknown figure ${name}; one of ${Object.keys(runs).join(", ")}`);
    startRun(name);
    await run(dynamo);
  }
} finally {
  await dynamo.stop();
}
// A partial run (`--only`) replaces its own figures and keeps the others from the last full run.
const earlier: { figures?: Figure[]; runs?: Record<string, { at: string; flags: typeof flags }> } =
  existsSync(RESULTS) ? JSON.parse(readFileSync(RESULTS, "utf8")) : {};
const at = new Date().toISOString();
const results = {
  machine,
  runs: {
    ...(flags.only ? earlier.runs : {}),
    ...Object.fromEntries(chosen.map((name) => [name, { at, flags }])),
  },
  figures: [
    ...(flags.only ? (earlier.figures ?? []).filter((f) => f.run && !chosen.includes(f.run)) : []),
    ...figures,
  ].sort((a, b) => RUN_ORDER.indexOf(a.run ?? "") - RUN_ORDER.indexOf(b.run ?? "")),
};
writeFileSync(RESULTS, `${JSON.stringify(results, null, 2)}\n`);
const width = Math.max(...figures.map((f) => f.figure.length));
process.stdout.write(
  `\n${figures.map((f) => `${f.figure.padEnd(width)}  ${String(f.value).padStart(8)} ${f.unit.padEnd(3)} ${f.target ? `${f.met ? "MET   " : "MISSED"} ${f.target}` : ""}`).join("\n")}\n\nwritten to bench/results.json\n`,
);
process.exit(0);
