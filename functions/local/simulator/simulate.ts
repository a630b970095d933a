import { mkdir, readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { configVersion, type ShopConfig } from "../../core/config/config.js";
import type { Workload } from "../../core/insight/report.js";
import { InvalidEventError, parseShopEvent, type ShopEvent } from "../../core/intake/events.js";
import type { DecisionRecord, OrderRecord } from "../../core/shared/model.js";
import { startDynamoDbLocal } from "../emulator/dynamodb-local.js";
import type { CloudFormationTemplate } from "../emulator/engine.js";
import { MemoryTable } from "../emulator/memory-table.js";
import { createLocalShop, type LocalShop, type LocalShopOptions } from "../emulator/runtime.js";
import { VirtualClock } from "../emulator/virtual-clock.js";
import { shardEvents } from "./shards.js";

/** An event file line that is not a valid generic event. */
export class EventFileError extends Error {
  constructor(
    readonly line: number,
    readonly field: string,
    detail: string,
  ) {
    super(`line ${line}: ${field}: ${detail}`);
    this.name = "EventFileError";
  }
}

/**
 * Parses one line of a JSON Lines event file.
 * @returns the event, or undefined for a blank line or a `#` comment
 * @throws {EventFileError} naming the line and the field at fault
 */
export function parseEventLine(rawLine: string, lineNumber: number): ShopEvent | undefined {
  const line = rawLine.trim();
  if (line === "" || line.startsWith("#")) return undefined;
  let json: unknown;
  try {
    json = JSON.parse(line);
  } catch (error) {
    throw new EventFileError(lineNumber, "(line)", `not valid JSON (${(error as Error).message})`);
  }
  try {
    return parseShopEvent(json);
  } catch (error) {
    if (!(error instanceof InvalidEventError)) throw error;
    const [first] = error.problems;
    throw new EventFileError(lineNumber, first?.field ?? "(event)", first?.message ?? error.message);
  }
}

/**
 * Parses a JSON Lines event file (blank lines and `#` comments are skipped).
 * @throws {EventFileError} naming the line and the field at fault
 */
export function parseEventLines(text: string): ShopEvent[] {
  const events: ShopEvent[] = [];
  for (const [index, rawLine] of text.split(/\r?\n/).entries()) {
    const event = parseEventLine(rawLine, index + 1);
    if (event) events.push(event);
  }
  return events;
}

/** Options of {@link simulate}. */
export interface SimulateOptions {
  readonly config: ShopConfig;
  readonly events: readonly ShopEvent[];
  /**
   * Where the table lives: a running DynamoDB Local's client, or `"memory"` for an in-memory table with
   * DynamoDB's semantics (no Java, microseconds per request). @default a DynamoDB Local started and stopped
   * for this run
   */
  readonly dynamo?: DynamoDBClient | "memory";
  /** A template synthesized earlier for this config. @default synthesized now */
  readonly template?: CloudFormationTemplate;
  /** Told after each event: how many are done, of how many, and the virtual time. */
  readonly onProgress?: (done: number, total: number, virtualNow: Date) => void;
  /**
   * Worker threads to spread the customers over (with `dynamo: "memory"` only). Customers who share no
   * order or phone number never affect each other's decisions, except through the shop-wide send rate,
   * which each worker gets an equal share of: decisions are the same as in one thread unless that rate
   * is what delays a send. @default 1
   */
  readonly workers?: number;
  /**
   * Runs in a worker thread of its own, all customers together (with `dynamo: "memory"` only): the same
   * decisions as in this thread, which stays free — what lets `whatif` replay both configs at once, one per
   * core. @default false
   */
  readonly thread?: boolean;
  /** Reads the shop at the end of the run, before its table goes (one thread only). @default nothing */
  readonly inspect?: (shop: LocalShop, now: Date) => Promise<void>;
  /**
   * Kuaidi100 to subscribe each shipped parcel with, as a deployed shop does (one thread only): what the
   * bench's tracking figure compares. They change no decision. @default none: nothing is subscribed
   */
  readonly kuaidi100?: LocalShopOptions["kuaidi100"];
}

/** What a simulation produced. */
export interface SimulationResult {
  readonly decisions: DecisionRecord[];
  readonly executions: number;
  readonly transitions: number;
  /** Executions and state transitions per journey. */
  readonly byJourney: Readonly<Record<string, { executions: number; transitions: number }>>;
  /** Every order as the store knew it at the end (for attribution). */
  readonly orders: OrderRecord[];
  /** The work AWS would bill for the same run (the report's cost model). */
  readonly workload: Workload;
}

const REQUEST_COUNTER = "shopcareRequestCounter";

/**
 * A simulation's decisions by time, then by journey. Each `at` is parsed once, not in every comparison:
 * sorting 75,000 decisions took 0.2–0.35 s with the parsing in the comparator, 0.05 s without.
 */
function sortedByDecisionTime(decisions: readonly DecisionRecord[]): DecisionRecord[] {
  return decisions
    .map((decision) => ({ decision, atMs: Date.parse(decision.at) }))
    .sort((a, b) => a.atMs - b.atMs || a.decision.journey.localeCompare(b.decision.journey))
    .map(({ decision }) => decision);
}

/** Counts DynamoDB requests through a client, as the on-demand bill counts them (one per request). */
function countRequests(client: DynamoDBClient): { reads: number; writes: number; stop: () => void } {
  const counts = { reads: 0, writes: 0, stop: () => client.middlewareStack.remove(REQUEST_COUNTER) };
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const command = String(context.commandName ?? "");
      if (/^(Get|BatchGet|Query|Scan)/.test(command)) counts.reads += 1;
      else if (/^(Put|Update|Delete|BatchWrite|TransactWrite)/.test(command)) counts.writes += 1;
      return next(args);
    },
    { step: "initialize", name: REQUEST_COUNTER },
  );
  return counts;
}

/** How long after the last event a simulation runs at most: 400 days. */
export const SIMULATION_HORIZON_MS = 400 * 86_400_000;

/**
 * Runs events on a virtual clock through the real synthesized state machines and handlers, and returns every
 * decision, ordered by `at`. Time starts at the first event and runs until every execution has finished, or
 * {@link SIMULATION_HORIZON_MS} after the last event (a birthday greeting re-arms every year).
 */
export async function simulate(options: SimulateOptions): Promise<SimulationResult> {
  if ((options.workers ?? 1) > 1 || options.thread) return simulateInWorkers(options);
  const events = [...options.events].sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
  const first = events[0];
  const none = { transitions: 0, lambdaInvocations: 0, dynamoReads: 0, dynamoWrites: 0 };
  if (!first)
    return { decisions: [], executions: 0, transitions: 0, byJourney: {}, orders: [], workload: none };
  const ownDynamo = options.dynamo ? undefined : await startDynamoDbLocal();
  const clock = new VirtualClock(new Date(first.at));
  const failures: string[] = [];
  const dynamo =
    options.dynamo === "memory"
      ? new MemoryTable()
      : (options.dynamo ?? (ownDynamo?.client as NonNullable<typeof ownDynamo>["client"]));
  // Both count in place as requests are sent; the memory table counts its own.
  const counter = dynamo instanceof MemoryTable ? undefined : countRequests(dynamo);
  const requests = counter ?? (dynamo as MemoryTable).requests;
  try {
    const shop = await createLocalShop({
      config: options.config,
      clock,
      activity: clock,
      dynamo,
      template: options.template,
      retryIntervalMs: 0,
      onExecutionFailed: (name, error) => failures.push(`${name}: ${String(error)}`),
      // Parcel subscriptions change no decision: a simulation makes none unless asked.
      kuaidi100: options.kuaidi100 ?? false,
    });
    // The config's campaigns, each waiting for its time on the virtual clock.
    shop.scheduleCampaigns();
    for (const [index, event] of events.entries()) {
      await clock.advanceTo(new Date(event.at));
      await shop.queue.enqueue([event], "simulate");
      await shop.queue.drain();
      options.onProgress?.(index + 1, events.length, clock.now());
    }
    // Every execution ends within its machine's timeout (364 days) but a yearly journey's, which starts
    // next year's before it ends: the run stops a year and a month after the last event.
    const last = events.at(-1) ?? first;
    await clock.runUntilIdle(new Date(Date.parse(last.at) + SIMULATION_HORIZON_MS));
    shop.engine.stopAll();
    await shop.engine.drain();
    const deadLetters = await shop.store.listDeadLetters();
    if (deadLetters.length > 0)
      failures.push(...deadLetters.map((letter) => `dead letter: ${letter.error} ${letter.body}`));
    if (failures.length > 0) throw new Error(`simulation failed:\n  ${failures.join("\n  ")}`);
    await options.inspect?.(shop, clock.now());
    const decisions = sortedByDecisionTime(await shop.store.listDecisions());
    const orders = await shop.store.listOrders();
    return {
      decisions,
      executions: shop.engine.started,
      transitions: shop.engine.transitions,
      byJourney: Object.fromEntries(shop.engine.byJourney),
      orders,
      workload: {
        transitions: shop.engine.transitions,
        // Each event is one webhook (ingest) and one dispatch invocation on AWS, besides the journeys' tasks.
        lambdaInvocations: shop.engine.taskInvocations + 2 * events.length,
        dynamoReads: requests.reads,
        dynamoWrites: requests.writes,
      },
    };
  } finally {
    counter?.stop();
    await ownDynamo?.stop();
  }
}

/** {@link simulate} with the customers sharded over worker threads, the results merged. */
async function simulateInWorkers(options: SimulateOptions): Promise<SimulationResult> {
  if (options.dynamo !== "memory") throw new Error("simulate: workers need the in-memory table");
  const shards = shardEvents(options.events, options.workers ?? 1);
  const total = options.events.length;
  const template =
    options.template ?? (await (await import("../emulator/template-cache.js")).localTemplate(options.config));
  const ratePerSecond = Math.max(1, Math.floor(options.config.sms.ratePerSecond / shards.length));
  const config = { ...options.config, sms: { ...options.config.sms, ratePerSecond } };
  const done = shards.map(() => 0);
  const bundle = await bundleSimulation();
  const workers: Worker[] = [];
  try {
    const results = await Promise.all(
      shards.map(
        (events, index) =>
          new Promise<SimulationResult>((resolve, reject) => {
            const worker = new Worker(new URL("./simulate-worker.mjs", import.meta.url), {
              workerData: { config, events, template, bundle },
            });
            workers.push(worker);
            worker.on(
              "message",
              (message: { progress?: number; now?: number; result?: SimulationResult; error?: string }) => {
                if (message.progress !== undefined) {
                  done[index] = message.progress;
                  options.onProgress?.(
                    done.reduce((sum, count) => sum + count, 0),
                    total,
                    new Date(message.now ?? 0),
                  );
                }
                if (message.error !== undefined)
                  reject(new Error(`simulate shard ${index + 1}: ${message.error}`));
                if (message.result) resolve(message.result);
              },
            );
            worker.on("error", reject);
            // After a result this changes nothing; before one, the shard is lost and so is the run.
            worker.on("exit", (code) =>
              reject(new Error(`simulate shard ${index + 1} exited (code ${code}) before its result`)),
            );
          }),
      ),
    );
    // A worker's config differs from the shop's only by its share of the send rate: its decisions were
    // made under the shop's config, and carry its version.
    const version = configVersion(options.config);
    const merged = mergeShards(results);
    return {
      ...merged,
      decisions: merged.decisions.map((decision) => ({ ...decision, configVersion: version })),
    };
  } finally {
    // One failed shard fails the run: the others are stopped, not left running to their end.
    await Promise.all(workers.map((worker) => worker.terminate()));
    await rm(bundle, { force: true });
  }
}

/** Every shard's result as one. */
function mergeShards(results: readonly SimulationResult[]): SimulationResult {
  const byJourney: Record<string, { executions: number; transitions: number }> = {};
  for (const result of results)
    for (const [journey, counts] of Object.entries(result.byJourney)) {
      const sum = byJourney[journey] ?? { executions: 0, transitions: 0 };
      byJourney[journey] = {
        executions: sum.executions + counts.executions,
        transitions: sum.transitions + counts.transitions,
      };
    }
  const add = (pick: (result: SimulationResult) => number) =>
    results.reduce((sum, result) => sum + pick(result), 0);
  return {
    decisions: sortedByDecisionTime(results.flatMap((result) => result.decisions)),
    executions: add((result) => result.executions),
    transitions: add((result) => result.transitions),
    byJourney,
    orders: results.flatMap((result) => result.orders),
    workload: {
      transitions: add((result) => result.workload.transitions),
      lambdaInvocations: add((result) => result.workload.lambdaInvocations),
      dynamoReads: add((result) => result.workload.dynamoReads),
      dynamoWrites: add((result) => result.workload.dynamoWrites),
    },
  };
}

let bundles = 0;

/**
 * The simulation as one plain ES module for the worker threads, built with esbuild (dependencies stay
 * imports). Workers that load it skip tsx: its loader thread, its per-file transforms at start-up and
 * the `__name` call it wraps around every function a run creates (a few percent of a simulation).
 * @returns the bundle's path, under `node_modules/.cache` so its imports resolve; the caller removes it
 */
async function bundleSimulation(): Promise<string> {
  const { build } = await import("esbuild");
  const entry = fileURLToPath(new URL("./simulate.ts", import.meta.url));
  const directory = join(
    fileURLToPath(new URL("../../../node_modules/.cache", import.meta.url)),
    "shopcare-simulate",
  );
  await mkdir(directory, { recursive: true });
  bundles += 1;
  // One file per build: simulations running side by side (tests, a CLI beside the bench) never share one.
  const outfile = join(directory, `simulate-${process.pid}-${bundles}.mjs`);
  await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    packages: "external",
    platform: "node",
    format: "esm",
    target: "node20",
    logLevel: "silent",
    plugins: [
      {
        // Workers are always given the template; synthesizing one loads aws-cdk-lib (a second a worker), so
        // the lazy `import("../emulator/synth.js")` stays an import the bundle never runs instead of being inlined.
        name: "synth-stays-out",
        setup: (bundler) => {
          bundler.onResolve({ filter: /\/(synth|template-cache)\.js$/ }, (args) => ({
            path: args.path,
            external: true,
          }));
        },
      },
    ],
  });
  return outfile;
}

/** Reads an event file and simulates it. */
export async function simulateFile(
  path: string,
  options: Omit<SimulateOptions, "events">,
): Promise<SimulationResult> {
  return simulate({ ...options, events: parseEventLines(await readFile(path, "utf8")) });
}
