import { readFile, writeFile } from "node:fs/promises";
import { parseArgs } from "node:util";
import { Presets, SingleBar } from "cli-progress";
import { Store } from "../adapters/dynamodb/store.js";
import { systemClock } from "../core/clock.js";
import { ConfigError, parseShopConfig, type ShopConfig, shopConfigJsonSchema } from "../core/config.js";
import type { ReplayReport } from "../core/replay.js";
import { buildReport, type EffectReport } from "../core/report.js";
import { formatInZone } from "../core/time.js";
import { ReplayRequestSchema, runReplay } from "../handlers/replay.js";
import { SqsEventQueue } from "../providers/sqs.js";
import { doctorClients, formatDoctor, runDoctor } from "./doctor.js";
import { startDynamoDbLocal } from "./dynamodb-local.js";
import { reportHtml, reportTable } from "./report-view.js";
import { createLocalShop, LOCAL_REPLAY_PATH, LOCAL_REPORT_PATH, LOCAL_WEBHOOK_SECRET } from "./runtime.js";
import { startHttpServer } from "./server.js";
import { EventFileError, simulateFile } from "./simulate.js";
import { syntheticEvents } from "./synthetic.js";

const USAGE = `shopcare — customer-care SMS journeys

Usage:
  shopcare start    [--port 3000] [--config FILE.json]
  shopcare simulate --events FILE.jsonl [--config FILE.json] [--out FILE.jsonl] [--report FILE.html]
                   [--store dynamodb-local|memory] [--workers N]
  shopcare report   (--url http://127.0.0.1:3000 | --table NAME) [--html FILE.html] [--config FILE.json]
  shopcare replay   (--dead-letters | --from TIME --to TIME [--source generic|shopify|kuaidi100])
                    (--url http://127.0.0.1:3000 | --table NAME --queue-url URL [--dlq-arn ARN])
  shopcare whatif   --config CANDIDATE.json (--events FILE.jsonl | --url http://127.0.0.1:3000 |
                    --table NAME [--from TIME] [--to TIME]) [--base CURRENT.json] [--out FILE.jsonl]
                    [--fail-over N]
  shopcare doctor   [--stack Shopcare] [--json]
  shopcare schema   [--out shopcare.schema.json]
  shopcare generate --orders N [--days 30] [--seed 1] [--out FILE.jsonl]

simulate  runs an event file on a virtual clock through the synthesized state machines and the real
          handlers, and prints every decision. --store memory keeps the table in memory instead of
          DynamoDB Local (the same semantics, no Java, about fifty times faster); with it, --workers N
          spreads the customers over N threads (each with 1/N of the send rate, so sends due at
          one instant may take other sub-second slots).
generate  a seeded synthetic event stream (orders, payments, shipping, parcels, reviews, refunds,
          opt-outs, returning customers) for simulate and the benchmark.
report    what each journey sent, skipped, cost and earned (attribution, holdout lift), as a table;
          --html also writes the page with charts. --url: a running \`shopcare start\`; --table: the
          deployed table (AWS credentials from the environment).
replay    re-drives dead letters (events dispatch gave up on, kept with their error) or the archived
          webhooks of a time range, after a fix. --url: a running \`shopcare start\`; --table and
          --queue-url: the deployed stack's outputs (AWS credentials from the environment); --dlq-arn
          also moves the SQS dead-letter queue's messages back to the events queue.

whatif    runs the same history under the current config (--base, else cdk.json's) and the candidate, on
          a virtual clock through the real state machines (nothing is sent), and prints per journey
          and step what was sent, skipped (by reason), handed off, spent and earned, before → after.
          --out writes one JSON line per changed decision (added, removed, moved, changed);
          --fail-over N exits 3 when more than N decisions change (a check for config pull requests).
          History: an events file, a running \`shopcare start\`'s archive, or the deployed table's
          archive (--from/--to, default the last 30 days; AWS credentials from the environment).

doctor    after a deploy, checks what a first deploy gets wrong (secrets still empty, the SMS account
          in a sandbox or at its spend limit, a missing origination identity or configuration set,
          nobody subscribed to the operators' topic, alarms without data, dead letters waiting, state
          machine versions near the quota) and says how to fix each; exit 1 when a check fails.
          AWS credentials and region from the environment.

--config  a JSON file shaped like cdk.json's "shop" value (defaults fill the rest);
          without it, cdk.json's "shop" is used.`;

/** Thrown for wrong command-line use; printed with the usage text. */
class UsageError extends Error {}

async function loadConfig(path: string | undefined): Promise<ShopConfig> {
  if (path) return parseShopConfig(JSON.parse(await readFile(path, "utf8")));
  const cdk = JSON.parse(await readFile(new URL("../../cdk.json", import.meta.url), "utf8"));
  return parseShopConfig(cdk.context?.shop);
}

async function start(args: string[]): Promise<void> {
  const { values } = parseArgs({ args, options: { port: { type: "string" }, config: { type: "string" } } });
  const config = await loadConfig(values.config);
  const port = values.port === undefined ? 3000 : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65_535)
    throw new UsageError(`--port: expected a port number`);
  process.stdout.write("starting DynamoDB Local…\n");
  const dynamo = await startDynamoDbLocal();
  const shop = await createLocalShop({
    config,
    clock: systemClock,
    dynamo: dynamo.client,
    tableName: "shopcare",
    print: (line) => process.stdout.write(`${line}\n`),
    onExecutionFailed: (name, error) =>
      process.stderr.write(`[engine] execution ${name} failed: ${String(error)}\n`),
  });
  const http = await startHttpServer(shop.routes, { port, maxBodyBytes: config.webhooks.maxBodyBytes });
  process.stdout.write(
    [
      `shopcare is running for 【${config.name}】 (${config.timeZone})`,
      `  webhooks:        POST ${http.url}/webhooks/{generic,shopify,kuaidi100}`,
      process.env.SHOPCARE_GENERIC_SECRET
        ? "  signing secrets: from SHOPCARE_<SOURCE>_SECRET"
        : `  signing secrets: "${LOCAL_WEBHOOK_SECRET}" (set SHOPCARE_GENERIC_SECRET, …_SHOPIFY_…, …_KUAIDI100_…)`,
      `  replay:          npx shopcare replay --dead-letters --url ${http.url}`,
      `  DynamoDB Local:  ${dynamo.endpoint} (table "shopcare", in memory)`,
      `  journeys:        ${shop.engine.journeys.join(", ")} (synthesized state machines on the local engine)`,
      "  outbox messages are printed below. Ctrl-C stops everything.",
      "",
    ].join("\n"),
  );
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    process.stdout.write("stopping…\n");
    shop.stop();
    await http.close();
    await dynamo.stop();
    process.exit(0);
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
}

async function simulateCommand(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      events: { type: "string" },
      config: { type: "string" },
      out: { type: "string" },
      report: { type: "string" },
      store: { type: "string", default: "dynamodb-local" },
      workers: { type: "string", default: "1" },
    },
  });
  if (!values.events) throw new UsageError("simulate: --events FILE.jsonl is required");
  if (values.store !== "dynamodb-local" && values.store !== "memory")
    throw new UsageError(`simulate: --store is dynamodb-local or memory, got ${values.store}`);
  const workers = Number(values.workers);
  if (!Number.isInteger(workers) || workers < 1)
    throw new UsageError(`simulate: --workers is a whole number from 1, got ${values.workers}`);
  if (workers > 1 && values.store !== "memory")
    throw new UsageError("simulate: --workers needs --store memory (one DynamoDB Local serves one thread)");
  const config = await loadConfig(values.config);
  const progress = progressBar("events");
  const result = await simulateFile(values.events, {
    config,
    dynamo: values.store === "memory" ? "memory" : undefined,
    workers,
    onProgress: (done, total, now) =>
      progress.update(done, total, formatInZone(now, config.timeZone).slice(0, 10)),
  }).finally(() => progress.stop());
  if (values.report) {
    const report = buildReport(config, result.decisions, result.orders, result.workload);
    await writeFile(values.report, reportHtml(report, config.name));
    process.stderr.write(reportTable(report));
    process.stderr.write(`report written to ${values.report}\n`);
  }
  const lines = result.decisions.map((decision) => JSON.stringify(decision)).join("\n");
  const output = lines === "" ? "" : `${lines}\n`;
  if (values.out) {
    await writeFile(values.out, output);
    process.stderr.write(
      `${result.decisions.length} decisions from ${result.executions} executions (${result.transitions} state transitions) written to ${values.out}\n`,
    );
  } else process.stdout.write(output);
}

async function generateCommand(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      orders: { type: "string" },
      days: { type: "string" },
      seed: { type: "string" },
      out: { type: "string" },
    },
  });
  const orders = Number(values.orders);
  const days = Number(values.days ?? 30);
  if (!Number.isInteger(orders) || orders <= 0) throw new UsageError("generate: --orders N is required");
  if (!Number.isInteger(days) || days <= 0) throw new UsageError("generate: --days expects a whole number");
  const events = syntheticEvents({ orders, days, seed: Number(values.seed ?? 1) });
  const text = `${events.map((event) => JSON.stringify(event)).join("\n")}\n`;
  if (values.out) await writeFile(values.out, text);
  else process.stdout.write(text);
}

async function reportCommand(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      url: { type: "string" },
      table: { type: "string" },
      html: { type: "string" },
      config: { type: "string" },
    },
  });
  const config = await loadConfig(values.config);
  let report: EffectReport;
  if (values.url) {
    const response = await fetch(new URL(LOCAL_REPORT_PATH, values.url), { method: "POST" });
    if (!response.ok)
      throw new Error(`report: ${values.url} answered ${response.status} ${await response.text()}`);
    report = (await response.json()) as EffectReport;
  } else if (values.table) {
    const { DynamoDBClient } = await import("@aws-sdk/client-dynamodb");
    const store = new Store(new DynamoDBClient({}), values.table);
    report = buildReport(config, await store.listDecisions(), await store.listOrders());
  } else {
    throw new UsageError("report: --url (local) or --table (AWS) says where");
  }
  process.stdout.write(reportTable(report));
  if (values.html) {
    await writeFile(values.html, reportHtml(report, config.name));
    process.stdout.write(`report written to ${values.html}\n`);
  }
}

/**
 * A progress bar on stderr while a long run works (events done, virtual date), only on a terminal:
 * piped output stays clean.
 */
function progressBar(unit: string): {
  update(done: number, total: number, date: string): void;
  stop(): void;
} {
  if (!process.stderr.isTTY) return { update: () => {}, stop: () => {} };
  const bar = new SingleBar(
    { format: `{bar} {value}/{total} ${unit} | {date}`, stream: process.stderr, hideCursor: true },
    Presets.shades_classic,
  );
  let started = false;
  return {
    update(done, total, date) {
      if (!started) bar.start(total, 0, { date });
      started = true;
      bar.update(done, { date });
    },
    stop: () => started && bar.stop(),
  };
}

async function replayCommand(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      "dead-letters": { type: "boolean" },
      from: { type: "string" },
      to: { type: "string" },
      source: { type: "string" },
      url: { type: "string" },
      table: { type: "string" },
      "queue-url": { type: "string" },
      "dlq-arn": { type: "string" },
      config: { type: "string" },
    },
  });
  const parsed = ReplayRequestSchema.safeParse(
    values["dead-letters"]
      ? { deadLetters: true }
      : { from: values.from, to: values.to, source: values.source },
  );
  if (!parsed.success) {
    throw new UsageError(
      `replay: --dead-letters, or --from and --to as ISO times with offset (${parsed.error.issues
        .map((issue) => `${issue.path.join(".") || "(request)"}: ${issue.message}`)
        .join("; ")})`,
    );
  }
  let report: ReplayReport;
  if (values.url) {
    const response = await fetch(new URL(LOCAL_REPLAY_PATH, values.url), {
      method: "POST",
      body: JSON.stringify(parsed.data),
    });
    if (!response.ok)
      throw new Error(`replay: ${values.url} answered ${response.status} ${await response.text()}`);
    report = (await response.json()) as ReplayReport;
  } else if (values.table && values["queue-url"]) {
    const { DynamoDBClient } = await import("@aws-sdk/client-dynamodb");
    const { SQSClient, StartMessageMoveTaskCommand } = await import("@aws-sdk/client-sqs");
    const sqs = new SQSClient({});
    const store = new Store(new DynamoDBClient({}), values.table);
    const queue = new SqsEventQueue(sqs, values["queue-url"]);
    const config = await loadConfig(values.config);
    const progress = progressBar("items");
    report = await runReplay(
      {
        config,
        store,
        queue,
        now: () => new Date(),
        onProgress: (done, total) => progress.update(done, total, new Date().toISOString().slice(0, 10)),
      },
      parsed.data,
    ).finally(() => progress.stop());
    if (values["dlq-arn"]) {
      await sqs.send(new StartMessageMoveTaskCommand({ SourceArn: values["dlq-arn"] }));
      process.stdout.write("moving the SQS dead-letter queue's messages back to the events queue\n");
    }
  } else {
    throw new UsageError("replay: --url (local) or --table and --queue-url (AWS) say where");
  }
  process.stdout.write(`replayed ${report.replayed} (${report.events} events)\n`);
  for (const failure of report.failed)
    process.stdout.write(`  still failing ${failure.id}: ${failure.error}\n`);
  if (report.failed.length > 0) throw new ReplayIncompleteError(report.failed.length);
}

/** Some items could not be replayed; they stay where they were. */
class ReplayIncompleteError extends Error {
  constructor(count: number) {
    super(`${count} item(s) could not be replayed`);
  }
}

/** `shopcare whatif`: exit 3 when `--fail-over N` and more than N decisions changed. */
async function whatIfCommand(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      config: { type: "string" },
      base: { type: "string" },
      events: { type: "string" },
      url: { type: "string" },
      table: { type: "string" },
      from: { type: "string" },
      to: { type: "string" },
      out: { type: "string" },
      "fail-over": { type: "string" },
    },
  });
  if (!values.config) throw new UsageError("whatif: --config candidate.json is required");
  const failOver = values["fail-over"] === undefined ? undefined : Number(values["fail-over"]);
  if (failOver !== undefined && !(Number.isInteger(failOver) && failOver >= 0))
    throw new UsageError(`whatif: --fail-over is a whole number, got ${values["fail-over"]}`);
  const { whatIf, whatIfHistory, whatIfTable, WHATIF_FAIL_EXIT } = await import("./whatif.js");
  const [base, candidate] = await Promise.all([loadConfig(values.base), loadConfig(values.config)]);
  const events = await whatIfHistory(values, values, base);
  const result = await whatIf({ events, base, candidate });
  process.stdout.write(whatIfTable(result));
  if (values.out) {
    const lines = result.changes.map((change) => JSON.stringify(change)).join("\n");
    await writeFile(values.out, lines === "" ? "" : `${lines}\n`);
    process.stdout.write(`${result.changes.length} changed decisions written to ${values.out}\n`);
  }
  if (failOver !== undefined && result.changes.length > failOver) {
    process.stderr.write(
      `whatif: ${result.changes.length} decisions change, more than --fail-over ${failOver}\n`,
    );
    return WHATIF_FAIL_EXIT;
  }
  return 0;
}

/** `shopcare doctor`: exit 1 when a check fails. */
async function doctorCommand(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { stack: { type: "string" }, json: { type: "boolean" } } });
  const stackName = values.stack ?? "Shopcare";
  const results = await runDoctor(stackName, doctorClients());
  const failed = results.some((result) => result.status === "fail");
  if (values.json) process.stdout.write(`${JSON.stringify({ stack: stackName, failed, checks: results })}\n`);
  else process.stdout.write(`${formatDoctor(stackName, results)}\n`);
  return failed ? 1 : 0;
}

async function schema(args: string[]): Promise<void> {
  const { values } = parseArgs({ args, options: { out: { type: "string" } } });
  const text = `${JSON.stringify(shopConfigJsonSchema(), null, 2)}\n`;
  if (values.out) await writeFile(values.out, text);
  else process.stdout.write(text);
}

/** Runs the `shopcare` command line; returns the exit code. */
export async function main(argv: string[]): Promise<number> {
  const [command, ...args] = argv;
  try {
    switch (command) {
      case "start":
        await start(args);
        return 0;
      case "simulate":
        await simulateCommand(args);
        return 0;
      case "schema":
        await schema(args);
        return 0;
      case "replay":
        await replayCommand(args);
        return 0;
      case "report":
        await reportCommand(args);
        return 0;
      case "generate":
        await generateCommand(args);
        return 0;
      case "doctor":
        return await doctorCommand(args);
      case "whatif":
        return await whatIfCommand(args);
      case undefined:
      case "help":
      case "--help":
        process.stdout.write(`${USAGE}\n`);
        return 0;
      default:
        throw new UsageError(`unknown command "${command}"`);
    }
  } catch (error) {
    if (error instanceof UsageError || (error as { code?: string }).code?.startsWith("ERR_PARSE_ARGS")) {
      process.stderr.write(`${(error as Error).message}\n\n${USAGE}\n`);
      return 2;
    }
    if (
      error instanceof ConfigError ||
      error instanceof EventFileError ||
      error instanceof ReplayIncompleteError
    ) {
      process.stderr.write(`${error.message}\n`);
      return 1;
    }
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    return 1;
  }
}
