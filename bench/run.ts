/**
 * `npm run bench`: what matters for shopcare, measured on this machine, each figure a ratio to a baseline
 * measured in the same run (or a count), so it holds on a noisy shared machine. Prints a table and writes
 * `bench/results.json`. Not part of `npm test`: tests never assert wall-clock times.
 *
 * `--only ingest,cold-start,cost,simulation,send-rate,peak-day,faults,slot-burst,redesign,whatif,campaign,segment,links`
 * runs some of them. The default sizes are the
 * issue's (10,000 simulated orders, a burst of 10,000 messages, 100,000 peak-day orders): about 20 minutes on
 * 2 cores; flags such as `--sim-orders 1000` make a quicker run.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readFileSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { Agent as HttpAgent, request as httpRequest } from "node:http";
import { cpus, totalmem } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { gzipSync } from "node:zlib";
import { SNSClient } from "@aws-sdk/client-sns";
import { DynamoDBDocumentClient, GetCommand, PutCommand } from "@aws-sdk/lib-dynamodb";
import { ClickCounts } from "../functions/adapters/dynamodb/click-counts.js";
import { LinkReads } from "../functions/adapters/dynamodb/link-reads.js";
import { Store } from "../functions/adapters/dynamodb/store.js";
import { parseShopConfig } from "../functions/core/config/config.js";
import type { SegmentFilter } from "../functions/core/config/customer-settings.js";
import { CAMPAIGN_RELAY_LOOPS } from "../functions/core/customers/campaigns.js";
import { type CustomerConfig, inSegment, profileOf } from "../functions/core/customers/profiles.js";
import { everyCustomer, previewSegment } from "../functions/core/customers/segments.js";
import { deliverStep } from "../functions/core/engine/decide.js";
import { dispatchEvent, PacedJourneyStarter } from "../functions/core/engine/dispatch.js";
import { clickLine, LINK_PATH, newLinkCode } from "../functions/core/engine/links.js";
import { ReservedSendRate, StoreRateLimiter } from "../functions/core/engine/rate.js";
import { buildReport } from "../functions/core/insight/report.js";
import type { ShopEvent } from "../functions/core/intake/events.js";
import { systemClock } from "../functions/core/shared/clock.js";
import type { CustomerRecord, ExecutionState, JourneyId } from "../functions/core/shared/model.js";
import { CUSTOMER_SHARDS } from "../functions/core/shared/ports.js";
import { createClicksHandler } from "../functions/handlers/clicks.js";
import { isRateLimited, requeueDelaySeconds } from "../functions/handlers/dispatch.js";
import { createWebhookRouter } from "../functions/handlers/ingest.js";
import { createLinkHandler } from "../functions/handlers/link.js";
import { logger } from "../functions/handlers/logger.js";
import { createTableFromTemplate, startDynamoDbLocal } from "../functions/local/emulator/dynamodb-local.js";
import { type CloudFormationTemplate, LocalJourneyEngine } from "../functions/local/emulator/engine.js";
import { MemoryTable } from "../functions/local/emulator/memory-table.js";
import { OutboxOperatorChannel } from "../functions/local/emulator/outbox.js";
import { createLocalShop } from "../functions/local/emulator/runtime.js";
import { startHttpServer } from "../functions/local/emulator/server.js";
import { synthesizeTemplate } from "../functions/local/emulator/synth.js";
import { VirtualClock } from "../functions/local/emulator/virtual-clock.js";
import { simulate } from "../functions/local/simulator/simulate.js";
import { syntheticEvents } from "../functions/local/simulator/synthetic.js";
import { whatIf } from "../functions/local/simulator/whatif.js";
import { SnsSmsProvider } from "../functions/providers/sns.js";
import { DISPATCH_CONCURRENCY, HANDLERS, type HandlerName } from "../infra/shopcare-stack.js";
import { JOURNEYS_OFF } from "../tests/support/config.js";
import { FakeSmsApis } from "../tests/support/fake-providers.js";
import { runFaultInjection } from "../tests/support/fault-run.js";
import { buildLambdaBundle, LAMBDA_ENV } from "../tests/support/lambda-bundles.js";
import { genericHeaders } from "../tests/support/webhooks.js";

process.env.POWERTOOLS_LOG_LEVEL ??= "SILENT";
// The shared logger was built before this line ran (imports come first): silence it too.
logger.setLogLevel(process.env.POWERTOOLS_LOG_LEVEL as "SILENT");
const { values: flags } = parseArgs({
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
    // The redesign run: the month each side simulates.
    "redesign-orders": { type: "string", default: "10000" },
    "redesign-rounds": { type: "string", default: "5" },
    // The campaign run's customers, and the segment run's.
    "campaign-customers": { type: "string", default: "100000" },
    "segment-customers": { type: "string", default: "1000000" },
    seed: { type: "string", default: "7" },
    // The send-rate run's table: DynamoDB Local (the figure) or the in-memory table, which leaves the
    // pacing alone on the cores, to tell its share from DynamoDB Local's at higher rates.
    "send-store": { type: "string", default: "dynamodb-local" },
    only: { type: "string" },
  },
});
const num = (name: keyof typeof flags) => Number(flags[name]);
if (flags["send-store"] !== "dynamodb-local" && flags["send-store"] !== "memory")
  throw new Error(`--send-store must be dynamodb-local or memory, got ${flags["send-store"]}`);
const SECRET = "bench-secret";

interface Figure {
  /** The run (`--only` name) that measured it. */
  readonly run?: string;
  readonly figure: string;
  readonly value: number;
  readonly unit: string;
  readonly target?: string;
  readonly met?: boolean;
  readonly detail: string;
}
const figures: Figure[] = [];
let currentRun = "";
const record = (measured: Figure) => {
  const figure = { run: currentRun, ...measured };
  figures.push(figure);
  process.stderr.write(
    `  ${figure.figure}: ${figure.value} ${figure.unit}${figure.target ? ` (target ${figure.target}: ${figure.met ? "met" : "missed"})` : ""}\n`,
  );
};
const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
const round = (value: number, digits = 2) => Math.round(value * 10 ** digits) / 10 ** digits;

/** Runs `task` `total` times with `concurrency` workers; returns each call's latency (ms) and the wall time. */
async function load(total: number, concurrency: number, task: (index: number) => Promise<void>) {
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

async function ingest(dynamo: Awaited<ReturnType<typeof startDynamoDbLocal>>) {
  const config = parseShopConfig({});
  const template = synthesizeTemplate(config);
  const table = `bench-${randomUUID().slice(0, 8)}`;
  await createTableFromTemplate(dynamo.client, template, table);
  const store = new Store(dynamo.client, table);
  const queued: number[] = [];
  // SQS cannot run here: the queue is in memory, so the figure is ingest's own cost.
  const router = createWebhookRouter({
    config,
    store,
    clock: systemClock,
    queue: { enqueue: async (events) => void queued.push(events.length) },
    secrets: { get: async () => SECRET },
  });
  const http = await startHttpServer([{ method: "POST", path: "/webhooks/generic", handler: router }]);
  const total = num("ingest-requests");
  const concurrency = num("concurrency");
  const body = (index: number) =>
    JSON.stringify({
      type: "order.created",
      at: "2026-06-18T10:00:00+08:00",
      order: {
        id: `b${index}`,
        customer: { id: `c${index}`, phone: "+8613800000000", name: "王芳" },
        amount: 129,
        items: [{ sku: "tea-1", category: "tea", quantity: 1, price: 129 }],
      },
    });
  const doc = DynamoDBDocumentClient.from(dynamo.client);
  // Baseline: the same body put straight into the same table from this process, at the same concurrency.
  await load(
    200,
    concurrency,
    async (i) =>
      void (await doc.send(
        new PutCommand({ TableName: table, Item: { pk: `WARM#${i}`, sk: "RAW", body: body(i) } }),
      )),
  );
  const put = await load(total, concurrency, async (i) => {
    await doc.send(
      new PutCommand({
        TableName: table,
        Item: { pk: `BASE#${i}`, sk: "RAW", body: body(i), receivedAt: new Date().toISOString() },
      }),
    );
  });
  const post = async (i: number) => {
    const text = body(i + 1_000_000);
    const response = await fetch(`${http.url}/webhooks/generic`, {
      method: "POST",
      body: text,
      headers: genericHeaders(text, new Date(), SECRET),
    });
    if (response.status !== 202) throw new Error(`ingest answered ${response.status}`);
    await response.arrayBuffer();
  };
  await load(200, concurrency, (i) => post(i + 5_000_000));
  const webhook = await load(total, concurrency, post);
  await http.close();
  const ratio = round(webhook.p50 / put.p50);
  record({
    figure: "ingest p50 / bare PutItem p50",
    value: ratio,
    unit: "×",
    target: "≤ 1.5×",
    met: ratio <= 1.5,
    detail: `ingest p50 ${round(webhook.p50)} ms, p99 ${round(webhook.p99)} ms, ${round(webhook.perSecond, 0)} req/s; PutItem p50 ${round(put.p50)} ms, p99 ${round(put.p99)} ms, ${round(put.perSecond, 0)} req/s; ${total} requests at concurrency ${concurrency} through the real HTTP server and DynamoDB Local`,
  });
  record({
    figure: "ingest p99 / bare PutItem p99",
    value: round(webhook.p99 / put.p99),
    unit: "×",
    detail: "same run",
  });
  record({
    figure: "ingest throughput / PutItem throughput",
    value: round(webhook.perSecond / put.perSecond),
    unit: "×",
    detail: "same run",
  });
}

async function coldStart(_dynamo?: unknown) {
  // Beside the bundles, under node_modules, so the baselines resolve the AWS SDK as the bundles do.
  const dir = join(process.cwd(), "node_modules", ".cache", "shopcare-bench-baselines");
  mkdirSync(dir, { recursive: true });
  const empty = join(dir, "empty.js");
  writeFileSync(empty, "exports.handler = async () => ({});\n");
  // The same empty handler after loading the AWS SDK clients ingest uses: what any DynamoDB + SQS
  // Lambda pays before its own code runs, to tell shopcare's share from the SDK's.
  const sdkOnly = join(dir, "sdk-only.js");
  writeFileSync(
    sdkOnly,
    `${INGEST_SDK_CLIENTS.map((client) => `require(${JSON.stringify(client)});`).join("")}\nexports.handler = async () => ({});\n`,
  );
  const config = parseShopConfig({});
  const bundles = new Map<HandlerName, string>();
  for (const name of HANDLERS) bundles.set(name, await buildLambdaBundle(name, config, "bench"));
  // The other side of the trade: the SDK bundled (tree-shaken) loads faster than the runtime's copy but
  // makes the bundle larger. Measured, not deployed, so the choice rests on figures.
  const ingestWithSdk = await buildLambdaBundle("ingest", config, "bench", { bundleAwsSdk: true });
  const startup = startupTimes([empty, sdkOnly, ...bundles.values(), ingestWithSdk]);
  const baseline = startup.get(empty) as number;
  const sdkBaseline = startup.get(sdkOnly) as number;
  const rounds = `median of ${STARTUP_ROUNDS} fresh Node processes, taken in turns with the empty handler's`;
  record({
    figure: "AWS SDK clients alone / empty handler",
    value: round(sdkBaseline / baseline),
    unit: "×",
    detail: `an empty handler that first requires ${INGEST_SDK_CLIENTS.join(", ")}: ${round(sdkBaseline)} ms`,
  });
  for (const [name, outfile] of bundles) {
    const kb = round(statSync(outfile).size / 1024, 0);
    const initMs = startup.get(outfile) as number;
    const init = round(initMs / baseline);
    const isIngest = name === "ingest";
    record({
      figure: `${name} bundle`,
      value: kb,
      unit: "KB",
      ...(isIngest ? { target: "≤ 250 KB", met: kb <= 250 } : {}),
      detail: "minified esbuild output, AWS SDK external (the nodejs22.x runtime has it)",
    });
    record({
      figure: `${name} init / empty handler`,
      value: init,
      unit: "×",
      ...(isIngest ? { target: "≤ 2×", met: init <= 2 } : {}),
      detail: `${round(initMs)} ms against the empty handler's ${round(baseline)} ms, ${rounds}`,
    });
    if (isIngest) {
      record({
        figure: "ingest init / empty handler with the same SDK clients",
        value: round(initMs / sdkBaseline),
        unit: "×",
        detail: "shopcare's own share of the cold start",
      });
      record({
        figure: "ingest with the AWS SDK bundled: init / empty handler",
        value: round((startup.get(ingestWithSdk) as number) / baseline),
        unit: "×",
        detail: `the alternative to the runtime's SDK: ${round(statSync(ingestWithSdk).size / 1024, 0)} KB minified (target ≤ 250 KB)`,
      });
    }
  }
}

const STARTUP_ROUNDS = 9;

/**
 * Each file's median start-up time (ms): a fresh Node process requiring it. The files take turns, round
 * after round, so a slow spell of this shared machine slows the baselines as much as the bundles (measured
 * one file after another, the empty handler's median moved by 15% between runs and every ratio with it).
 */
function startupTimes(files: readonly string[]): Map<string, number> {
  const env = { ...process.env, ...LAMBDA_ENV };
  const runs = new Map(files.map((file) => [file, [] as number[]]));
  for (let turn = 0; turn < STARTUP_ROUNDS; turn += 1) {
    for (const file of files) {
      const started = performance.now();
      const result = spawnSync(process.execPath, ["-e", `require(${JSON.stringify(file)})`], {
        env,
        cwd: process.cwd(),
      });
      if (result.status !== 0) throw new Error(`${file}: ${result.stderr}`);
      runs.get(file)?.push(performance.now() - started);
    }
  }
  return new Map(
    [...runs].map(([file, times]) => [
      file,
      times.sort((a, b) => a - b)[Math.floor(times.length / 2)] as number,
    ]),
  );
}

/** The AWS SDK packages the ingest bundle loads from the runtime. */
const INGEST_SDK_CLIENTS = [
  "@aws-sdk/client-dynamodb",
  "@aws-sdk/lib-dynamodb",
  "@aws-sdk/client-sqs",
  "@aws-sdk/client-secrets-manager",
];

async function costPerOrder(_dynamo?: unknown) {
  const config = parseShopConfig({});
  const orders = num("cost-orders");
  const events = syntheticEvents({ orders, days: 30, seed: 11 });
  // The in-memory table counts the same requests as DynamoDB Local (tests/integration/memory-table.test.ts),
  // so a month of a busy shop fits in the run.
  const result = await simulate({ config, events, dynamo: "memory" });
  const report = buildReport(config, result.decisions, result.orders, { workload: result.workload });
  const sent = report.totals.sent;
  const perMessage = round(result.transitions / sent);
  record({
    figure: "state transitions per sent message",
    value: perMessage,
    unit: "",
    target: "≤ 5",
    met: perMessage <= 5,
    detail: `${result.transitions} transitions, ${sent} messages sent, ${result.decisions.length} decisions, ${orders} orders over 30 days with every journey (synthetic month, seed 11)`,
  });
  const sentBy = (journey: string) => report.journeys.find((j) => j.journey === journey)?.sent ?? 0;
  record({
    figure: "state transitions per order",
    value: round(result.transitions / orders, 1),
    unit: "",
    detail: `same run; per journey (executions, transitions, sent): ${Object.entries(result.byJourney)
      .map(([journey, c]) => `${journey} ${c.executions}, ${c.transitions}, ${sentBy(journey)}`)
      .join("; ")}`,
  });
  const share = round(report.aws?.shareOfSms ?? 0);
  record({
    figure: "AWS cost / SMS cost",
    value: share,
    unit: "%",
    target: "≤ 3%",
    met: share <= 3,
    detail: `AWS ${(report.aws?.cost ?? 0).toFixed(4)} ${report.currency} vs SMS ${report.totals.smsCost.toFixed(2)} ${report.currency}; per 1,000 orders: AWS ${round(((report.aws?.cost ?? 0) / orders) * 1000)} ${report.currency}, SMS ${round((report.totals.smsCost / orders) * 1000)} ${report.currency}`,
  });
}

async function simulation(_dynamo?: unknown) {
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
async function whatIfRun(_dynamo?: unknown) {
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

/** State transitions per second of the local engine running the journeys' machines with no-op tasks. */
async function engineAlone(template: CloudFormationTemplate, executions: number): Promise<number> {
  const clock = new VirtualClock(new Date("2026-01-01T00:00:00Z"));
  const stepsPerExecution = 3;
  const noop = async (state: ExecutionState): Promise<ExecutionState> => {
    const taken = Number(state.next?.kind === "wait" ? state.next.step : 0) + 1;
    const sendAt = new Date(clock.now().getTime() + 86_400_000).toISOString();
    return {
      ...state,
      next: taken < stepsPerExecution ? { kind: "wait", step: String(taken), sendAt } : { kind: "done" },
    };
  };
  const engine = new LocalJourneyEngine({
    template,
    handlers: Object.fromEntries(HANDLERS.map((name) => [name, noop])),
    clock,
    activity: clock,
    retryIntervalMs: 0,
  });
  const started = performance.now();
  for (let index = 0; index < executions; index += 1) {
    const journey = engine.journeys[index % engine.journeys.length] as JourneyId;
    const sendAt = new Date(clock.now().getTime() + (index % 1440) * 60_000).toISOString();
    await engine.start(journey, `noop-${index}`, {
      journey,
      orderId: `o${index}`,
      enteredAt: clock.now().toISOString(),
      next: { kind: "wait", step: "0", sendAt },
    } as ExecutionState);
  }
  await clock.runUntilIdle();
  await engine.drain();
  return engine.transitions / ((performance.now() - started) / 1000);
}

async function sendRate(dynamo: Awaited<ReturnType<typeof startDynamoDbLocal>>) {
  const rate = num("provider-rate");
  const total = num("messages");
  const fake = await new FakeSmsApis({ perSecond: rate }).start();
  const config = parseShopConfig({ sms: { ratePerSecond: rate } });
  const table = flags["send-store"];
  const shop = await createLocalShop({
    config,
    clock: systemClock,
    dynamo: table === "memory" ? new MemoryTable() : dynamo.client,
    template: synthesizeTemplate(config),
  });
  const sms = new SnsSmsProvider(
    new SNSClient({
      endpoint: fake.url,
      region: "ap-southeast-1",
      credentials: { accessKeyId: "AKID", secretAccessKey: "s" },
      maxAttempts: 1,
    }),
  );
  const deps = {
    config,
    clock: systemClock,
    store: shop.store,
    sms,
    operators: new OutboxOperatorChannel(shop.store, systemClock, undefined),
    rateLimiter: new ReservedSendRate(shop.store, systemClock, "sns", rate),
    coupons: { issue: async () => "" },
  };
  const created = new Date(Date.now() - 3_600_000).toISOString();
  await load(total, 32, async (i) => {
    const order = {
      id: `r${i}`,
      customer: { id: `rc${i}`, phone: `+86139${String(i).padStart(8, "0")}`, name: "王芳" },
      amount: 129,
      currency: "CNY",
      paymentMethod: "online" as const,
      gift: false,
      items: [],
    };
    await shop.store.recordOrderCreated(order, created);
  });
  fake.resetMeter();
  let retried = 0;
  let holds = 0;
  const started = performance.now();
  await load(total, 64, async (i) => {
    const state = {
      journey: "payment-reminder" as const,
      orderId: `r${i}`,
      customerId: `rc${i}`,
      enteredAt: created,
      next: { kind: "send" as const, step: "first" },
    };
    // The state machine's retry: a throttled or failed send frees its claim and is tried again; a send
    // whose rate slot is further off is held until it (the state machine's Wait) and sent in it.
    let current: ExecutionState = state;
    for (let attempt = 0; ; attempt += 1) {
      try {
        const result = await deliverStep(deps, current);
        if (result.next?.kind !== "hold") return;
        holds += 1;
        await systemClock.sleepUntil(new Date(result.next.sendAt));
        current = { ...state, next: { kind: "send", step: "first", rateSlot: result.next.rateSlot } };
        attempt -= 1;
      } catch (error) {
        if (attempt > 20) throw error;
        retried += 1;
      }
    }
  });
  const seconds = (performance.now() - started) / 1000;
  const accepted = fake.accepted;
  const perReference = new Map<string, number>();
  for (const request of accepted) {
    const to = String(request.params.PhoneNumber);
    perReference.set(to, (perReference.get(to) ?? 0) + 1);
  }
  const duplicates = [...perReference.values()].filter((count) => count > 1).length;
  const throttled = fake.requests.filter((request) => request.outcome === "throttled").length;
  const lost = total - perReference.size;
  const achieved = round(accepted.length / seconds / rate);
  await fake.stop();
  record({
    figure: "send rate achieved / provider limit",
    value: achieved,
    unit: "",
    target: "≥ 0.95, 0 throttled, 0 duplicates, 0 lost",
    met: achieved >= 0.95 && throttled === 0 && duplicates === 0 && lost === 0,
    detail: `${total} messages in ${round(seconds, 1)} s against a provider that throttles above ${rate}/s: ${throttled} throttled, ${duplicates} duplicates, ${lost} lost, ${retried} retries, ${holds} held for their slot; table: ${table}`,
  });
}

async function peakDay(_dynamo?: unknown) {
  const orders = num("peak-orders");
  const quota = num("start-quota");
  const stopQuota = num("stop-quota");
  const dispatchers = DISPATCH_CONCURRENCY;
  const config = parseShopConfig({
    quotas: { startExecutionPerSecond: quota, stopExecutionPerSecond: stopQuota },
  });
  const events = syntheticEvents({ orders, days: 1, seed: 5, repeatShare: 0.1 }).filter(
    (e) => e.type === "order.created" || e.type === "order.paid",
  );
  // A virtual day on the in-memory table: the figure is about the buffer's pacing, counted in virtual
  // seconds, so 100,000 orders take minutes here instead of the hour the quota would make them take.
  const clock = new VirtualClock(new Date(events[0]?.at ?? "2026-11-11T00:00:00+08:00"));
  const store = new Store(new MemoryTable(), "shopcare");
  const started = performance.now();

  // Ingest: every event is a signed generic webhook through the real router (signature, parse, archive,
  // enqueue); the queue is the buffer (SQS on AWS), all of the day's burst at once.
  const queued: ShopEvent[] = [];
  const router = createWebhookRouter({
    config,
    store,
    clock,
    queue: { enqueue: async (batch) => void queued.push(...batch) },
    secrets: { get: async () => SECRET },
  });
  let refused = 0;
  let redeliveredWebhooks = 0;
  for (const [index, event] of events.entries()) {
    const body = JSON.stringify(event);
    const headers = genericHeaders(body, clock.now(), SECRET);
    // Every 50th webhook is delivered twice, as platforms do when an answer is slow.
    for (let delivery = 0; delivery < (index % 50 === 0 ? 2 : 1); delivery += 1) {
      const response = await router({
        rawPath: "/webhooks/generic",
        headers,
        body,
        isBase64Encoded: false,
      } as never);
      if (response.statusCode !== 202) refused += 1;
      if (delivery > 0) redeliveredWebhooks += 1;
    }
  }
  const ingestSeconds = (performance.now() - started) / 1000;

  // Dispatch: concurrent dispatchers drain the buffer through the StartExecution and StopExecution budgets
  // (each payment stops its order's reminder). Starts and stops are counted, not run: this figure is about
  // dispatch and the buffer in front of Step Functions.
  const starts = new Map<string, number>();
  const startTimes: number[] = [];
  const stopTimes: number[] = [];
  const counting = {
    start: async (_journey: string, name: string) => {
      starts.set(name, (starts.get(name) ?? 0) + 1);
      startTimes.push(clock.now().getTime());
    },
    stop: async () => void stopTimes.push(clock.now().getTime()),
  };
  const journeys = new PacedJourneyStarter(
    counting as never,
    new StoreRateLimiter(store, clock, "StartExecution", quota, 2_000),
    new StoreRateLimiter(store, clock, "StopExecution", stopQuota, 2_000),
  );
  const deps = { config, store, clock, journeys };
  const dayStart = clock.now().getTime();
  let next = 0;
  let dispatched = 0;
  let redelivered = 0;
  // SQS as the event source sees it: at most DISPATCH_CONCURRENCY dispatchers; a record whose start or
  // stop found no slot is requeued with a delay as a new message (dispatch's requeue), not counted as a
  // receive; any other failure is redelivered after the visibility timeout and dead-lettered after
  // maxReceiveCount receives.
  const delayed = new MinHeap<{ at: number; event: ShopEvent; requeues: number; receives: number }>(
    (a, b) => a.at - b.at,
  );
  let requeued = 0;
  let deadLettered = 0;
  let jitter = 1;
  const nextRandom = () => {
    jitter = (jitter * 48271) % 2147483647;
    return jitter / 2147483647;
  };
  const workers = Array.from({ length: dispatchers }, async () => {
    clock.begin();
    try {
      for (;;) {
        let message: { event: ShopEvent; requeues: number; receives: number } | undefined;
        if (next < queued.length) message = { event: queued[next++] as ShopEvent, requeues: 0, receives: 0 };
        else if (delayed.size > 0) {
          const head = delayed.peek() as { at: number };
          if (head.at > clock.now().getTime()) {
            // Another dispatcher may take it first: look again after waking.
            await clock.sleepUntil(new Date(head.at));
            continue;
          }
          message = delayed.pop();
        }
        if (!message) {
          if (delayed.size === 0 && next >= queued.length) break;
          continue;
        }
        const receives = message.receives + 1;
        try {
          await dispatchEvent(deps as never, message.event);
          dispatched += 1;
        } catch (error) {
          if (isRateLimited(error)) {
            requeued += 1;
            const delay = requeueDelaySeconds(message.requeues, nextRandom) * 1000;
            delayed.push({
              at: clock.now().getTime() + delay,
              event: message.event,
              requeues: message.requeues + 1,
              receives: 0,
            });
          } else if (receives >= MAX_RECEIVES) {
            deadLettered += 1;
          } else {
            redelivered += 1;
            delayed.push({
              at: clock.now().getTime() + VISIBILITY_TIMEOUT_MS,
              event: message.event,
              requeues: message.requeues,
              receives,
            });
          }
        }
      }
    } finally {
      clock.end();
    }
  });
  await clock.runUntilIdle();
  await Promise.all(workers);
  const seconds = (performance.now() - started) / 1000;
  const virtualSeconds = (clock.now().getTime() - dayStart) / 1000;
  const peak = peakPerSecond(startTimes);
  const stopPeak = peakPerSecond(stopTimes);
  const expectedNames = new Set<string>();
  for (const event of events)
    if (event.type === "order.created") expectedNames.add(`payment-reminder-${event.order.id}`);
  const lostReminders = [...expectedNames].filter((name) => !starts.has(name)).length;
  const lostEvents = Math.max(0, events.length - refused - dispatched);
  // A redelivered webhook's events are queued again by design (ingest never trusts a first attempt that
  // may still be queueing); dispatch is idempotent, so these copies change nothing.
  const queuedTwice = Math.max(0, dispatched - events.length);
  record({
    figure: "peak day: StartExecution peak per second / quota",
    value: round(peak / quota),
    unit: "",
    target:
      "≤ 1.1 (one start per 1/quota-second slot; a sliding second may straddle one more), nothing lost; the same for stops",
    met:
      peak <= quota * 1.1 &&
      stopPeak <= stopQuota * 1.1 &&
      lostReminders === 0 &&
      lostEvents === 0 &&
      deadLettered === 0 &&
      refused === 0,
    detail: `${events.length} order events (${orders} orders in one virtual day, all at once, ${redeliveredWebhooks} webhooks delivered twice) through ingest (${round(ingestSeconds, 1)} s) and ${dispatchers} dispatchers: ${dispatched} dispatched, ${refused} refused, ${lostEvents} lost, ${queuedTwice} queued twice (copies of redelivered webhooks, idempotent); ${starts.size} executions started over ${round(virtualSeconds, 0)} virtual seconds, peak ${peak}/s against a quota of ${quota}/s; ${stopTimes.length} stops, peak ${stopPeak}/s against a quota of ${stopQuota}/s; ${requeued} requeued with a delay for want of a start or stop slot, ${redelivered} redelivered after the visibility timeout, ${deadLettered} dead letters (maxReceiveCount ${MAX_RECEIVES}), ${lostReminders} payment reminders lost; ${round(seconds, 1)} s in all. A repeated start of one name is a no-op on Step Functions`,
  });
}

async function slotBurst(_dynamo?: unknown) {
  const total = num("burst-messages");
  const rate = num("provider-rate");
  const config = parseShopConfig({
    sms: { ratePerSecond: rate },
    journeys: {
      gift100: { enabled: false },
      winback: { enabled: false },
      paymentReminder: { enabled: false },
    },
  });
  // Every customer's first order paid at one moment: their 30-day gifts all fall due at one slot.
  const events: ShopEvent[] = [];
  for (let i = 0; i < total; i += 1) {
    const order = {
      id: `b${i}`,
      customer: { id: `bc${i}`, phone: `+86139${String(i).padStart(8, "0")}`, name: "王芳" },
      amount: 129,
      currency: "CNY",
      paymentMethod: "online" as const,
      gift: false,
      items: [],
    };
    events.push(
      { type: "order.created", at: "2026-01-05T09:00:00+08:00", order } as ShopEvent,
      { type: "order.paid", at: "2026-01-05T09:10:00+08:00", orderId: order.id } as ShopEvent,
    );
  }
  const started = performance.now();
  const result = await simulate({ config, events, dynamo: "memory" });
  const gifts = result.decisions.filter((d) => d.journey === "gift-30");
  const slot = Date.parse("2026-02-04T10:00:00+08:00");
  const sent = gifts.filter((d) => d.outcome === "sent");
  const last = Math.max(...sent.map((d) => Date.parse(d.at) - slot)) / 1000;
  const ideal = total / rate;
  const ratio = round(last / ideal);
  record({
    figure: "slot burst: last send after the slot / (messages ÷ rate)",
    value: ratio,
    unit: "",
    target: "≤ 1.1, all sent, none skipped",
    met: ratio <= 1.1 && sent.length === total && gifts.length === total,
    detail: `${total} gifts due at one slot at ${rate}/s: ${sent.length} sent, ${gifts.length - sent.length} skipped, the last ${round(last, 1)} s after the slot (ideal ${ideal} s); ${round((performance.now() - started) / 1000, 1)} s to simulate`,
  });
}

/** A customer profile as the directory keeps it, written in one request (the bench's own fast path). */
async function putCustomer(store: Store, index: number, paidAt: string, amount: number): Promise<void> {
  const customerId = `cc${index}`;
  await store.recordCustomerContact(
    {
      customerId,
      phone: `+86139${String(index).padStart(8, "0")}`,
      name: "王芳",
      province: index % 3 ? "浙江" : "上海",
    },
    paidAt,
  );
  await store.recordPurchase(customerId, {
    orderId: `co${index}`,
    paidAt,
    amount,
    refunded: 0,
    items: 1 + (index % 3),
    categories: [index % 2 ? "tea" : "teaware"],
  });
}

/**
 * A campaign to `--campaign-customers` (100,000) customers at the provider's 20/s, through the synthesized
 * campaign machine on the local engine and a virtual clock: how close to the limit it sends, duplicates,
 * state transitions per message, and the AWS cost per message next to its SMS cost.
 */
async function campaignRun(_dynamo?: unknown) {
  const customers = num("campaign-customers");
  const rate = num("provider-rate");
  const at = "2026-06-18T10:00:00+08:00";
  const config = parseShopConfig({
    sms: { ratePerSecond: rate },
    segments: { buyers: { minPaidOrders: 1 } },
    // Until 10 days after: a large campaign at a low rate (1,000,000 at 5/s sends 4.6 days of windows).
    campaigns: [
      {
        id: "bench",
        segment: "buyers",
        at,
        until: "2026-06-28T10:00:00+08:00",
        template: "【{shop}】{name}，618好礼相送。回T退订",
      },
    ],
    journeys: JOURNEYS_OFF,
  });
  const clock = new VirtualClock(new Date("2026-06-18T09:00:00+08:00"));
  const table = new MemoryTable();
  const shop = await createLocalShop({ config, clock, activity: clock, dynamo: table, retryIntervalMs: 0 });
  const loadStarted = performance.now();
  for (let index = 0; index < customers; index += 1) {
    const day = 1 + (index % 28);
    await putCustomer(
      shop.store,
      index,
      `2026-05-${String(day).padStart(2, "0")}T10:00:00+08:00`,
      50 + (index % 500),
    );
  }
  const loadSeconds = (performance.now() - loadStarted) / 1000;
  const before = { ...table.requests };
  const started = performance.now();
  shop.scheduleCampaigns();
  await clock.runUntilIdle(new Date("2026-06-29T00:00:00+08:00"));
  shop.stop();
  await shop.engine.drain();
  const seconds = (performance.now() - started) / 1000;
  const decisions = (await shop.store.listDecisions()).filter((d) => d.journey === "campaign");
  const sent = decisions.filter((d) => d.outcome === "sent");
  const outbox = (await shop.store.listOutbox()).filter((entry) => entry.kind === "sms");
  const duplicates = outbox.length - new Set(outbox.map((entry) => entry.to)).size;
  const times = sent.map((d) => Date.parse(d.at)).sort((a, b) => a - b);
  const spanSeconds = ((times.at(-1) ?? 0) - (times[0] ?? 0)) / 1000 + 1 / rate;
  const achieved = sent.length / spanSeconds;
  const counts = shop.engine.byJourney.get("campaign") ?? { executions: 0, transitions: 0 };
  const prices = config.effect.awsPrices;
  // A campaign task runs for as long as it sends (its rate waits are in the Lambda): billed for all of it.
  const lambdaGbSeconds = spanSeconds * 0.5;
  const reads = table.requests.reads - before.reads;
  const writes = table.requests.writes - before.writes;
  const awsUsd =
    counts.transitions * prices.stateTransition +
    shop.engine.taskInvocations * prices.lambdaRequest +
    lambdaGbSeconds * prices.lambdaGbSecond +
    reads * prices.dynamoReadRequest +
    writes * prices.dynamoWriteRequest;
  const smsCost = sent.reduce((sum, d) => sum + (d.segments ?? 1), 0) * config.sms.pricePerSegment;
  const share = (100 * awsUsd * prices.usdRate) / smsCost;
  const ratio = round(achieved / rate, 3);
  const perMessage = round(counts.transitions / sent.length, 4);
  record({
    figure: "campaign: sends per second / provider limit",
    value: ratio,
    unit: "",
    target: "≥ 0.95, 0 duplicates",
    met: ratio >= 0.95 && duplicates === 0 && sent.length === customers,
    detail: `${customers} customers, ${sent.length} sent (${decisions.length - sent.length} skipped) in ${round(spanSeconds, 0)} virtual s at ${round(achieved, 2)}/s of ${rate}/s; ${duplicates} duplicates; ${round(seconds, 1)} s to run (${round(loadSeconds, 1)} s to load the customers)`,
  });
  // Step Functions fails an execution at 25,000 history events ("Quotas"): a long campaign hands over.
  const history = shop.engine.largestHistory;
  record({
    figure: "campaign: largest execution history (events)",
    value: history.events,
    unit: "",
    target: "< 20,000",
    met: history.events < 20_000,
    detail: `${history.name}, counted as Step Functions records it; ${counts.executions} execution(s) for the campaign (a hand-over every ${CAMPAIGN_RELAY_LOOPS} tasks)`,
  });
  record({
    figure: "campaign: state transitions per message",
    value: perMessage,
    unit: "",
    target: "≤ 1.5",
    met: perMessage <= 1.5,
    detail: `${counts.transitions} transitions, ${shop.engine.taskInvocations} task invocations for ${sent.length} messages`,
  });
  record({
    figure: "campaign: AWS cost per message / its SMS cost",
    value: round(share, 3),
    unit: "%",
    target: "≤ 1%",
    met: share <= 1,
    detail: `${round(awsUsd, 4)} USD at list prices (${counts.transitions} transitions, ${shop.engine.taskInvocations} invocations, ${round(lambdaGbSeconds, 0)} GB-s, ${reads} DynamoDB reads, ${writes} writes) against ${round(smsCost, 2)} ${config.sms.currency} of SMS`,
  });
}

/** A segment evaluated over `--segment-customers` (1,000,000) customer items in the in-memory table. */
async function segmentRun(_dynamo?: unknown) {
  const customers = num("segment-customers");
  const config = parseShopConfig({
    members: { levels: [{ name: "银卡", minSpend: 300 }] },
    segments: {
      target: { stage: ["new", "returning"], provinces: ["浙江"], categories: ["tea"], minSpend: 100 },
    },
  });
  const store = new Store(new MemoryTable(), "segment-bench");
  const loadStarted = performance.now();
  for (let index = 0; index < customers; index += 1) {
    const day = 1 + (index % 28);
    await putCustomer(
      store,
      index,
      `2026-05-${String(day).padStart(2, "0")}T10:00:00+08:00`,
      50 + (index % 500),
    );
  }
  const loadSeconds = (performance.now() - loadStarted) / 1000;
  const now = new Date("2026-06-18T10:00:00+08:00");
  // The directory's pages from the in-memory table (its Query sorts the partition on every page: the
  // table's cost, not the segment's), then the judging alone over what they held.
  const pageStarted = performance.now();
  const records: CustomerRecord[] = [];
  for await (const { customer } of everyCustomer(store, CUSTOMER_SHARDS)) records.push(customer);
  const pageSeconds = (performance.now() - pageStarted) / 1000;
  const filter = config.segments.target as SegmentFilter;
  const customerConfig = config as unknown as CustomerConfig;
  const judgeStarted = performance.now();
  let members = 0;
  for (const customer of records)
    if (inSegment(profileOf(customer, customerConfig, now), filter, now)) members += 1;
  const judgeSeconds = (performance.now() - judgeStarted) / 1000;
  const started = performance.now();
  const preview = await previewSegment(store, config, "target", now);
  const seconds = (performance.now() - started) / 1000;
  const perMillion = round((judgeSeconds * 1_000_000) / customers, 2);
  record({
    figure: "segment: seconds per million customers judged",
    value: perMillion,
    unit: "s",
    detail: `${members} of ${records.length} customers in the segment, judged (profile, stage, level, filter) in ${round(judgeSeconds, 2)} s; paging them out of the in-memory table ${round(pageSeconds, 1)} s; the whole preview (pages, judging, sample) ${round(seconds, 1)} s, ${preview.members} members; ${round(loadSeconds, 1)} s to load them`,
  });
}

async function faults(_dynamo?: unknown) {
  const seed = num("seed");
  const orders = num("fault-orders");
  const started = performance.now();
  const report = await runFaultInjection({ orders, days: 30, seed });
  const seconds = (performance.now() - started) / 1000;
  const broken =
    report.lost +
    report.duplicated +
    report.sentAfterOptOut +
    report.unsettled +
    report.undecided +
    report.deadLinks;
  const injected = Object.entries(report.faults)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([kind, count]) => `${kind} ${count}`)
    .join(", ");
  for (const line of report.details.slice(0, 20)) process.stderr.write(`  ${line}\n`);
  record({
    figure: "fault injection: lost / duplicated / sent after opt-out / unsettled / undecided / dead links",
    value: broken,
    unit: "",
    target: "0 of each",
    met: broken === 0,
    detail: `${orders} orders, seed ${seed} (reproduce: npm run bench -- --only faults --fault-orders ${orders} --seed ${seed}): lost ${report.lost}, duplicated ${report.duplicated}, sent after opt-out ${report.sentAfterOptOut}, unsettled ${report.unsettled}, undecided ${report.undecided}, dead links ${report.deadLinks} of ${report.linked} sent with a link; ${report.webhooks} webhook deliveries, ${report.providerCalls} provider calls, ${report.decisions} decisions in ${round(seconds, 1)} s; faults injected: ${injected}`,
  });
}

/** The commit before the journey redesign (issue 21): the `redesign` run's baseline. */
const BEFORE_REDESIGN = "457782a";

/**
 * The simulation before and after the journey redesign, side by side in one run: a checkout of the commit
 * before it (under node_modules/.cache, sharing node_modules) and this tree each simulate the same month in
 * a child process, alternately (`--redesign-rounds`, 5); the medians are compared. The journeys the redesign added are
 * off, so both do the same work (the parity test holds their decisions equal).
 */
async function redesign(_dynamo?: unknown) {
  const before = join("node_modules", ".cache", `shopcare-${BEFORE_REDESIGN}`);
  if (!existsSync(join(before, "package.json"))) {
    mkdirSync(before, { recursive: true });
    execFileSync("sh", ["-c", `git archive ${BEFORE_REDESIGN} | tar -x -C ${before}`]);
    symlinkSync(resolve("node_modules"), join(before, "node_modules"));
  }
  copyFileSync("bench/simulate-timed.ts", join(before, "bench", "simulate-timed.ts"));
  const orders = num("redesign-orders");
  const args = [String(orders), "30", "21"];
  const time = (cwd: string, config: unknown) =>
    JSON.parse(
      execFileSync("npx", ["tsx", "bench/simulate-timed.ts", ...args], {
        cwd,
        env: { ...process.env, SHOPCARE_BENCH_CONFIG: JSON.stringify(config) },
        encoding: "utf8",
      }).trim(),
    ) as Timed;
  const off = { journeys: { refund: { enabled: false }, completed: { enabled: false } } };
  const samples: { before: Timed; after: Timed }[] = [];
  const rounds = num("redesign-rounds");
  for (let round = 0; round < rounds; round += 1)
    samples.push({ before: time(before, {}), after: time(".", off) });
  const median = (values: number[]) =>
    [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] as number;
  const of = (pick: (timed: Timed) => number) =>
    [median(samples.map((s) => pick(s.before))), median(samples.map((s) => pick(s.after)))] as const;
  const [beforeCpu, afterCpu] = of((t) => t.cpuSeconds);
  const [beforeWall, afterWall] = of((t) => t.seconds);
  const ratio = round(afterCpu / beforeCpu, 2);
  record({
    figure: "simulate after the journey redesign / before (CPU time)",
    value: ratio,
    unit: "×",
    target: "≤ 1.00 (not slower)",
    met: ratio <= 1,
    detail: `${orders} orders over 30 days (seed 21), one thread, in-memory table, the added journeys off; medians of ${rounds} alternate runs, before (${BEFORE_REDESIGN}) / after: CPU ${round(beforeCpu, 1)} / ${round(afterCpu, 1)} s, wall ${round(beforeWall, 1)} / ${round(afterWall, 1)} s (wall ratio ${round(afterWall / beforeWall, 2)}); CPU per run ${samples.map((s) => `${round(s.before.cpuSeconds, 1)}/${round(s.after.cpuSeconds, 1)}`).join(", ")}; decisions ${samples[0]?.before.decisions} / ${samples[0]?.after.decisions}`,
  });
}

/** One timed simulation (bench/simulate-timed.ts). */
interface Timed {
  readonly seconds: number;
  readonly cpuSeconds: number;
  readonly decisions: number;
}

/** SQS's redrive settings as the stack sets them (infra/shopcare-stack.ts). */
const MAX_RECEIVES = 5;
const VISIBILITY_TIMEOUT_MS = 360_000;

/** A binary min-heap (the delayed messages of the peak day's queue). */
class MinHeap<T> {
  private readonly items: T[] = [];
  constructor(private readonly before: (a: T, b: T) => number) {}
  get size(): number {
    return this.items.length;
  }
  peek(): T | undefined {
    return this.items[0];
  }
  push(item: T): void {
    const items = this.items;
    items.push(item);
    let index = items.length - 1;
    while (index > 0) {
      const parent = (index - 1) >> 1;
      if (this.before(items[index] as T, items[parent] as T) >= 0) break;
      [items[index], items[parent]] = [items[parent] as T, items[index] as T];
      index = parent;
    }
  }
  pop(): T | undefined {
    const items = this.items;
    const first = items[0];
    const last = items.pop();
    if (items.length > 0 && last !== undefined) {
      items[0] = last;
      let index = 0;
      for (;;) {
        const left = 2 * index + 1;
        const right = left + 1;
        let smallest = index;
        if (left < items.length && this.before(items[left] as T, items[smallest] as T) < 0) smallest = left;
        if (right < items.length && this.before(items[right] as T, items[smallest] as T) < 0)
          smallest = right;
        if (smallest === index) break;
        [items[index], items[smallest]] = [items[smallest] as T, items[index] as T];
        index = smallest;
      }
    }
    return first;
  }
}

/**
 * `GET /l/{code}` through the real HTTP server and the link function's own adapter (one GetItem a follow),
 * against a bare GetItem of the same items from this process, at the same concurrency. The clicks are
 * handed on as the function hands them to its log, then counted by the clicks function's handler from the
 * same lines, gzipped as the subscription delivers them: on AWS that runs elsewhere, off the redirect's path.
 */
async function links(dynamo: Awaited<ReturnType<typeof startDynamoDbLocal>>) {
  const config = parseShopConfig({});
  const table = `bench-${randomUUID().slice(0, 8)}`;
  await createTableFromTemplate(dynamo.client, synthesizeTemplate(config), table);
  const store = new Store(dynamo.client, table);
  // Whole rounds of five (the redirects and the GetItems are measured in turns).
  const total = Math.ceil(num("ingest-requests") / 5) * 5;
  const concurrency = num("concurrency");
  const warmup = 200;
  const codes = Array.from({ length: 2 * total + 2 * warmup }, () => newLinkCode());
  await load(codes.length, concurrency, async (i) => {
    await store.putLink({
      code: codes[i] as string,
      target: `https://shop.cn/pay/o${i}`,
      journey: "payment-reminder",
      step: "first",
      subjectId: `o${i}`,
      customerId: `c${i}`,
      orderId: `o${i}`,
      createdAt: new Date().toISOString(),
      expiresAt: new Date(Date.now() + 86_400_000).toISOString(),
    });
  });
  const doc = DynamoDBDocumentClient.from(dynamo.client);
  const lines: string[] = [];
  const handler = createLinkHandler({
    links: new LinkReads(doc, table),
    clicks: { record: (click) => void lines.push(clickLine(click)) },
    clock: systemClock,
  });
  const http = await startHttpServer([{ method: "GET", path: LINK_PATH, handler }]);
  const get = (i: number) =>
    doc
      .send(new GetCommand({ TableName: table, Key: { pk: `LINK#${codes[i]}`, sk: "LINK" } }))
      .then(() => {});
  // The load generator shares this process with the server: node:http on a keep-alive agent costs it half
  // what undici's fetch does here, so less of the client's own work is counted in the redirect's latency.
  const agent = new HttpAgent({ keepAlive: true, maxSockets: concurrency });
  const server = new URL(http.url);
  const follow = (i: number) =>
    new Promise<void>((resolve, reject) => {
      const call = httpRequest(
        { host: server.hostname, port: server.port, path: `/l/${codes[i]}`, agent },
        (response) => {
          response.resume();
          response.on("end", () =>
            response.statusCode === 302
              ? resolve()
              : reject(new Error(`the link answered ${response.statusCode}`)),
          );
        },
      );
      call.on("error", reject);
      call.end();
    });
  // Warmed up, then in turns (5 rounds of each), so a slow spell of this shared machine slows both alike;
  // every code is read once by the baseline and followed once.
  await load(warmup, concurrency, get);
  const base = warmup + total;
  await load(warmup, concurrency, (i) => follow(base + i));
  const rounds = 5;
  const perRound = Math.ceil(total / rounds);
  const bareRuns: Awaited<ReturnType<typeof load>>[] = [];
  const followRuns: Awaited<ReturnType<typeof load>>[] = [];
  for (let round = 0; round < rounds; round += 1) {
    const offset = round * perRound;
    bareRuns.push(await load(perRound, concurrency, (i) => get(warmup + offset + i)));
    followRuns.push(await load(perRound, concurrency, (i) => follow(base + warmup + offset + i)));
  }
  const merged = (runs: typeof bareRuns) => {
    const latencies = runs.flatMap((run) => run.latencies).sort((a, b) => a - b);
    return {
      p50: percentile(latencies, 50),
      p99: percentile(latencies, 99),
      perSecond: runs.reduce((sum, run) => sum + run.perSecond, 0) / runs.length,
    };
  };
  const bare = merged(bareRuns);
  const follows = merged(followRuns);
  agent.destroy();
  await http.close();
  // The subscription's batches: up to 100 log events each here.
  const countClicks = createClicksHandler({ links: new ClickCounts(doc, table) });
  const batches = Array.from({ length: Math.ceil(lines.length / 100) }, (_, b) =>
    lines.slice(b * 100, b * 100 + 100),
  );
  const countStarted = performance.now();
  let counted = 0;
  await load(batches.length, 4, async (b) => {
    const logEvents = (batches[b] ?? []).map((message, i) => ({
      id: `${b}-${i}`,
      timestamp: Date.now(),
      message,
    }));
    const data = gzipSync(JSON.stringify({ messageType: "DATA_MESSAGE", logEvents })).toString("base64");
    const result = await countClicks({ awslogs: { data } });
    counted += result.counted;
  });
  const countSeconds = (performance.now() - countStarted) / 1000;
  const listed = (await store.listClickedLinks()).length;
  if (counted !== total + warmup || listed !== counted)
    throw new Error(`${counted} clicks counted, ${listed} links listed, of ${total + warmup} followed`);
  const ratio = round(follows.p50 / bare.p50);
  record({
    figure: "GET /l/{code} p50 / bare GetItem p50",
    value: ratio,
    unit: "×",
    target: "≤ 1.5×",
    met: ratio <= 1.5,
    detail: `redirect p50 ${round(follows.p50)} ms, p99 ${round(follows.p99)} ms, ${round(follows.perSecond, 0)} req/s; GetItem p50 ${round(bare.p50)} ms, p99 ${round(bare.p99)} ms, ${round(bare.perSecond, 0)} req/s; ${rounds * perRound} follows of distinct codes at concurrency ${concurrency} through the real HTTP server and DynamoDB Local, in ${rounds} rounds in turns with the GetItems`,
  });
  record({
    figure: "clicks counted per second (clicks handler, DynamoDB Local)",
    value: round(counted / countSeconds, 0),
    unit: "/s",
    detail: `${counted} clicks from ${batches.length} gzipped log batches, 4 at a time, every one counted and listed for the report`,
  });
}

/** The most events in any sliding second, of times in the order the virtual clock gave them (ascending). */
function peakPerSecond(times: readonly number[]): number {
  let peak = 0;
  for (let i = 0, j = 0; i < times.length; i += 1) {
    while ((times[i] as number) - (times[j] as number) >= 1000) j += 1;
    peak = Math.max(peak, i - j + 1);
  }
  return peak;
}

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
  whatif: whatIfRun,
  campaign: campaignRun,
  segment: segmentRun,
  links,
};
const RUN_ORDER = Object.keys(runs);
const RESULTS = "bench/results.json";
const chosen = flags.only ? flags.only.split(",") : Object.keys(runs);
try {
  for (const name of chosen) {
    const run = runs[name as keyof typeof runs];
    if (!run) throw new Error(`--only: unknown figure ${name}; one of ${Object.keys(runs).join(", ")}`);
    currentRun = name;
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
