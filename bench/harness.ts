import { parseArgs } from "node:util";
import { logger } from "../functions/handlers/logger.js";

/**
 * What every benchmark run shares: the flags, the figures recorded (with the run that measured them), and
 * small measuring helpers.
 */

process.env.POWERTOOLS_LOG_LEVEL ??= "SILENT";
// The shared logger was built before this line ran (imports come first): silence it too.
logger.setLogLevel(process.env.POWERTOOLS_LOG_LEVEL as "SILENT");
export const { values: flags } = parseArgs({
  options: {
    "ingest-requests": { type: "string", default: "2000" },
    concurrency: { type: "string", default: "16" },
    "sim-orders": { type: "string", default: "10000" },
    "sim-days": { type: "string", default: "200" },
    "cost-orders": { type: "string", default: "2000" },
    messages: { type: "string", default: "10000" },
    "provider-rate": { type: "string", default: "20" },
    "peak-orders": { type: "string", default: "100000" },
    "start-quota": { type: "string", default: "100" },
    "stop-quota": { type: "string", default: "20" },
    // The fault-injection run: a synthetic month through router, dispatch and machines with faults.
    "fault-orders": { type: "string", default: "10000" },
    // The slot burst: this many 30-day gifts fall due at one marketing slot.
    "burst-messages": { type: "string", default: "20000" },
    // The redesign run: the month each side simulates, and the commit it is compared with: 900ac99, main
    // before the house was arranged by its pipeline (issue 34); 457782a, before the journey modules (issue
    // 21: the journeys added since are turned off on this side).
    "redesign-orders": { type: "string", default: "10000" },
    "redesign-base": { type: "string", default: "900ac99" },
    "redesign-rounds": { type: "string", default: "5" },
    // The campaign run's customers, and the segment run's.
    "campaign-customers": { type: "string", default: "100000" },
    "segment-customers": { type: "string", default: "1000000" },
    "forget-customers": { type: "string", default: "1000000" },
    // The scale run (issue 38): the months a sampled what-if replays, the share it draws, and the draws
    // its interval is held to the full comparison over.
    "scale-orders": { type: "string", default: "10000,100000,1000000" },
    "scale-sample": { type: "string", default: "5%" },
    "scale-seeds": { type: "string", default: "20" },
    seed: { type: "string", default: "7" },
    // The send-rate run's table: DynamoDB Local (the figure) or the in-memory table, which leaves the
    // pacing alone on the cores, to tell its share from DynamoDB Local's at higher rates.
    "send-store": { type: "string", default: "dynamodb-local" },
    only: { type: "string" },
  },
});
export const num = (name: keyof typeof flags) => Number(flags[name]);
/** A flag as given. */
export const text = (name: keyof typeof flags) => String(flags[name] ?? "");
if (flags["send-store"] !== "dynamodb-local" && flags["send-store"] !== "memory")
  throw new Error(`--send-store must be dynamodb-local or memory, got ${flags["send-store"]}`);
export const SECRET = "bench-secret";

export interface Figure {
  /** The run (`--only` name) that measured it. */
  readonly run?: string;
  readonly figure: string;
  readonly value: number;
  readonly unit: string;
  readonly target?: string;
  readonly met?: boolean;
  readonly detail: string;
}
export const figures: Figure[] = [];
let currentRun = "";

/** The run (`--only` name) the figures recorded from now on belong to. */
export function startRun(name: string): void {
  currentRun = name;
}
export const record = (measured: Figure) => {
  const figure = { run: currentRun, ...measured };
  figures.push(figure);
  process.stderr.write(
    `  ${figure.figure}: ${figure.value} ${figure.unit}${figure.target ? ` (target ${figure.target}: ${figure.met ? "met" : "missed"})` : ""}\n`,
  );
};
export const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
export const round = (value: number, digits = 2) => Math.round(value * 10 ** digits) / 10 ** digits;

/** Runs `task` `total` times with `concurrency` workers; returns each call's latency (ms) and the wall time. */
export async function load(total: number, concurrency: number, task: (index: number) => Promise<void>) {
  const latencies: number[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < total) {
        const index = next++;
        const t = performance.now();
        await task(index);
        latencies.push(performance.now() - t);
      }
    }),
  );
  const wallMs = performance.now() - started;
  latencies.sort((a, b) => a - b);
  return {
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    perSecond: (total / wallMs) * 1000,
    latencies,
  };
}
