import { readFile, writeFile } from "node:fs/promises";
import { parseArgs } from "node:util";
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { Presets, SingleBar } from "cli-progress";
import { Store } from "../../adapters/dynamodb/store.js";
import {
  ConfigError,
  parseShopConfig,
  type ShopConfig,
  shopConfigJsonSchema,
} from "../../core/config/config.js";
import { buildReport, type EffectReport } from "../../core/insight/report.js";
import { reportOfStore } from "../../core/insight/store-report.js";
import type { ReplayReport } from "../../core/intake/replay.js";
import { systemClock } from "../../core/shared/clock.js";
import { terminalSafe, terminalSafeLines } from "../../core/shared/terminal.js";
import { formatInZone } from "../../core/shared/time.js";
import { ReplayRequestSchema, runReplay } from "../../handlers/replay.js";
import { SqsEventQueue } from "../../providers/sqs.js";
import { doctorClients, formatDoctor, runDoctor } from "../aws/doctor.js";
import { reportHtml, reportTable } from "../console/report-view.js";
import { startDynamoDbLocal } from "../emulator/dynamodb-local.js";
import { MemoryTable } from "../emulator/memory-table.js";
import {
  createLocalShop,
  LOCAL_REPLAY_PATH,
  LOCAL_REPORT_PATH,
  localSecretLines,
} from "../emulator/runtime.js";
import { newOperatorToken, startHttpServer } from "../emulator/server.js";
import { simulateFile } from "../simulator/simulate.js";
import { syntheticEvents } from "../simulator/synthetic.js";
import { postToLocalShop } from "./admin-client.js";
import {
  COMMAND_HELP,
  commandHelp,
  isCommand,
  oneLine,
  USAGE,
  UsageError,
  unknownOptionMessage,
} from "./cli-help.js";
import { withReference } from "./config-reference.js";

async function loadConfig(path: string | undefined): Promise<ShopConfig> {
  if (path) return parseShopConfig(JSON.parse(await readFile(path, "utf8")));
  const cdk = JSON.parse(await readFile(new URL("../../../cdk.json", import.meta.url), "utf8"));
  return parseShopConfig(cdk.context?.shop);
}

/** The table `start` keeps: DynamoDB Local when Java is there (or asked for), else in memory. */
async function startStore(
  store: string | undefined,
): Promise<{ dynamo: DynamoDBClient | MemoryTable; line: string; stop: () => Promise<void> }> {
  if (store !== undefined && store !== "dynamodb-local" && store !== "memory")
    throw new UsageError(`start: --store is dynamodb-local or memory, got ${store}`);
  const memory = (why: string) => ({
    dynamo: new MemoryTable(),
    line: `  table:           in memory (${why}; gone when the shop stops)`,
    stop: async () => {},
  });
  if (store === "memory") return memory("--store memory");
  try {
    process.stdout.write("starting DynamoDB Local…\n");
    const local = await startDynamoDbLocal();
    return {
      dynamo: local.client,
      line: `  DynamoDB Local:  ${local.endpoint} (table "shopcare", in memory)`,
      stop: () => local.stop(),
    };
  } catch (error) {
    // The first command must always run the shop: without Java the table lives in memory, said once.
    if (store === "dynamodb-local" || !/needs Java/.test((error as Error).message)) throw error;
    process.stdout.write(`${(error as Error).message}; keeping the table in memory instead\n`);
    return memory("no Java for DynamoDB Local");
  }
}

async function start(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      port: { type: "string" },
      config: { type: "string" },
      store: { type: "string" },
      "show-phone": { type: "boolean" },
    },
  });
  const config = await loadConfig(values.config);
  const port = values.port === undefined ? 3000 : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65_535)
    throw new UsageError(`--port: expected a port number`);
  const table = await startStore(values.store);
  const shop = await createLocalShop({
    config,
    clock: systemClock,
    dynamo: table.dynamo,
    tableName: "shopcare",
    print: (line) => process.stdout.write(`${line}\n`),
    onExecutionFailed: (name, error) =>
      process.stderr.write(`[engine] execution ${name} failed: ${terminalSafe(String(error))}\n`),
    showPhone: values["show-phone"] === true,
  });
  const http = await startHttpServer(shop.routes, { port, maxBodyBytes: config.webhooks.maxBodyBytes });
  const campaigns = shop.scheduleCampaigns();
  process.stdout.write(
    [
      `shopcare is running for 【${config.name}】 (${config.timeZone})`,
      `  webhooks:        POST ${http.url}/webhooks/{generic,shopify,kuaidi100}`,
      "  signing secrets:",
      ...localSecretLines(process.env),
      `  console:         ${http.url}/ (decisions, explain, dead letters, report, journeys; this machine only${values["show-phone"] ? ", numbers shown" : ", numbers masked"})`,
      `  short links:     GET ${http.url}/l/{code}${config.links.baseUrl ? ` (messages carry ${config.links.baseUrl}/l/…)` : " (set links.baseUrl to use {link})"}`,
      `  replay:          npx shopcare replay --dead-letters --url ${http.url}`,
      table.line,
      `  journeys:        ${shop.engine.journeys.join(", ")} (synthesized state machines on the local engine)`,
      `  campaigns:       ${campaigns.length > 0 ? `${campaigns.join(", ")} (each at its time; npx shopcare campaign status ID --url ${http.url})` : "none in the config"}`,
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
    await table.stop();
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
    const report = buildReport(config, result.decisions, result.orders, { workload: result.workload });
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
    report = await postToLocalShop<EffectReport>(values.url, LOCAL_REPORT_PATH, {}, "report");
  } else if (values.table) {
    const { DynamoDBClient } = await import("@aws-sdk/client-dynamodb");
    const store = new Store(new DynamoDBClient({}), values.table);
    report = await reportOfStore(store, config, new Date());
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
    report = await postToLocalShop<ReplayReport>(values.url, LOCAL_REPLAY_PATH, parsed.data, "replay");
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
    process.stdout.write(`  still failing ${failure.id}: ${terminalSafe(failure.error)}\n`);
  if (report.failed.length > 0) throw new ReplayIncompleteError(report.failed.length);
}

/** Some items could not be replayed; they stay where they were. */
class ReplayIncompleteError extends Error {
  constructor(count: number) {
    super(`${count} item(s) could not be replayed`);
  }
}

/**
 * `shopcare console --table T`: the console page on localhost against a deployed shop, with the
 * operator's AWS credentials (replay buttons need `--queue-url`, the stack's events queue).
 */
async function consoleCommand(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      table: { type: "string" },
      "queue-url": { type: "string" },
      port: { type: "string" },
      config: { type: "string" },
      "show-phone": { type: "boolean" },
    },
  });
  if (!values.table) throw new UsageError("console: --table NAME (the stack output TableName) is required");
  const port = values.port === undefined ? 3000 : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65_535)
    throw new UsageError("console: --port expects a port number");
  const [{ DynamoDBClient }, { SQSClient }, { consoleRoutes }] = await Promise.all([
    import("@aws-sdk/client-dynamodb"),
    import("@aws-sdk/client-sqs"),
    import("../console/console.js"),
  ]);
  const config = await loadConfig(values.config);
  const store = new Store(new DynamoDBClient({}), values.table);
  const queueUrl = values["queue-url"];
  const queue = queueUrl
    ? new SqsEventQueue(new SQSClient({}), queueUrl)
    : {
        enqueue: async () => {
          throw new Error("console: replaying needs --queue-url (the stack output EventsQueueUrl)");
        },
      };
  // Localhost only: the console is the operator's, never a public page.
  const routes = consoleRoutes({
    config,
    store,
    queue,
    now: () => new Date(),
    token: newOperatorToken(),
    showPhone: values["show-phone"] === true,
  });
  const http = await startHttpServer(routes, { port, host: "127.0.0.1" });
  process.stdout.write(`shopcare console for table ${values.table}: ${http.url}/ (Ctrl-C stops it)\n`);
}

/** `shopcare explain`: one customer's or order's timeline. */
async function explainCommand(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      customer: { type: "string" },
      order: { type: "string" },
      phone: { type: "string" },
      events: { type: "string" },
      config: { type: "string" },
      url: { type: "string" },
      table: { type: "string" },
      since: { type: "string" },
      json: { type: "boolean" },
      "show-phone": { type: "boolean" },
    },
  });
  const subjects = [
    values.customer !== undefined ? { customer: values.customer } : undefined,
    values.order !== undefined ? { order: values.order } : undefined,
    values.phone !== undefined ? { phone: values.phone } : undefined,
  ].filter((subject) => subject !== undefined);
  if (subjects.length !== 1)
    throw new UsageError("explain: one of --customer ID, --order ID or --phone P says whom to explain");
  const sinceDays = values.since === undefined ? undefined : Number.parseInt(values.since, 10);
  if (sinceDays !== undefined && !(sinceDays > 0))
    throw new UsageError(`explain: --since is a number of days, got ${values.since}`);
  const { explainTimeline, formatTimeline } = await import("./explain-command.js");
  const config = await loadConfig(values.config);
  const timeline = await explainTimeline(
    config,
    subjects[0] as NonNullable<(typeof subjects)[number]>,
    { events: values.events, url: values.url, table: values.table, sinceDays },
    { showPhone: values["show-phone"] === true },
  );
  if (timeline.length === 0) process.stderr.write("explain: nothing is known of that subject\n");
  process.stdout.write(formatTimeline(timeline, config, values.json === true));
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
  const { whatIf, whatIfHistory, whatIfTable, WHATIF_FAIL_EXIT } = await import("../simulator/whatif.js");
  const [base, candidate] = await Promise.all([loadConfig(values.base), loadConfig(values.config)]);
  const events = await whatIfHistory(values, values, base);
  const result = await whatIf({ events, base, candidate });
  process.stdout.write(terminalSafeLines(whatIfTable(result)));
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
  const { values } = parseArgs({
    args,
    options: { stack: { type: "string" }, json: { type: "boolean" }, config: { type: "string" } },
  });
  const stackName = values.stack ?? "Shopcare";
  const results = await runDoctor(stackName, doctorClients(), await loadConfig(values.config));
  const failed = results.some((result) => result.status === "fail");
  if (values.json) process.stdout.write(`${JSON.stringify({ stack: stackName, failed, checks: results })}\n`);
  else process.stdout.write(`${terminalSafeLines(formatDoctor(stackName, results))}\n`);
  return failed ? 1 : 0;
}

async function schema(args: string[]): Promise<void> {
  const { values } = parseArgs({ args, options: { out: { type: "string" }, docs: { type: "string" } } });
  const text = `${JSON.stringify(shopConfigJsonSchema(), null, 2)}\n`;
  if (values.out) await writeFile(values.out, text);
  else if (!values.docs) process.stdout.write(text);
  if (values.docs) await writeFile(values.docs, withReference(await readFile(values.docs, "utf8")));
}

/** The package's version, for `shopcare --version`. */
async function version(): Promise<string> {
  const pkg = JSON.parse(await readFile(new URL("../../../package.json", import.meta.url), "utf8"));
  return String(pkg.version);
}

/** Runs the `shopcare` command line; returns the exit code. */
export async function main(argv: string[]): Promise<number> {
  const [command, ...args] = argv;
  if (isCommand(command) && (args.includes("--help") || args.includes("-h"))) {
    process.stdout.write(`${commandHelp(command)}\n`);
    return 0;
  }
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
      case "explain":
        await explainCommand(args);
        return 0;
      case "console":
        await consoleCommand(args);
        return 0;
      case "segment":
        await (await import("./crm-command.js")).segmentCommand(args, loadConfig);
        return 0;
      case "campaign":
        await (await import("./crm-command.js")).campaignCommand(args, loadConfig);
        return 0;
      case "backfill":
        await (await import("./crm-command.js")).backfillCommand(args);
        return 0;
      case "--version":
      case "-v":
        process.stdout.write(`shopcare ${await version()}\n`);
        return 0;
      case undefined:
      case "help":
      case "--help":
      case "-h":
        process.stdout.write(`${USAGE}\n`);
        return 0;
      default:
        throw new UsageError(
          `unknown command "${command}"; the commands are ${Object.keys(COMMAND_HELP).join(", ")}`,
        );
    }
  } catch (error) {
    // A user's mistake is one line on stderr; only SHOPCARE_DEBUG=1 shows where it came from.
    if (process.env.SHOPCARE_DEBUG === "1") process.stderr.write(`${(error as Error).stack ?? error}\n`);
    const help = isCommand(command) ? ` (shopcare ${command} --help)` : " (shopcare --help)";
    const parseError = (error as { code?: string }).code?.startsWith("ERR_PARSE_ARGS");
    if (error instanceof UsageError || parseError) {
      const message =
        (isCommand(command) && unknownOptionMessage(command, error as Error)) || (error as Error).message;
      process.stderr.write(`${terminalSafe(message)}${help}\n`);
      return 2;
    }
    if (error instanceof ConfigError) {
      process.stderr.write(`${terminalSafeLines(error.message)}\n`);
      return 1;
    }
    process.stderr.write(`${terminalSafe(oneLine(error))}\n`);
    return 1;
  }
}
