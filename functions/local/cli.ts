import { readFile, writeFile } from "node:fs/promises";
import { parseArgs } from "node:util";
import { systemClock } from "../core/clock.js";
import { ConfigError, parseShopConfig, type ShopConfig, shopConfigJsonSchema } from "../core/config.js";
import { startDynamoDbLocal } from "./dynamodb-local.js";
import { createLocalShop } from "./runtime.js";
import { startHttpServer } from "./server.js";
import { EventFileError, simulateFile } from "./simulate.js";

const USAGE = `shopcare — customer-care SMS journeys

Usage:
  shopcare start    [--port 3000] [--config FILE.json]
  shopcare simulate --events FILE.jsonl [--config FILE.json] [--out FILE.jsonl]
  shopcare schema   [--out shopcare.schema.json]

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
  const http = await startHttpServer(shop.routes, { port });
  process.stdout.write(
    [
      `shopcare is running for 【${config.name}】 (${config.timeZone})`,
      `  webhooks:        POST ${http.url}/webhooks/generic`,
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
    options: { events: { type: "string" }, config: { type: "string" }, out: { type: "string" } },
  });
  if (!values.events) throw new UsageError("simulate: --events FILE.jsonl is required");
  const config = await loadConfig(values.config);
  const result = await simulateFile(values.events, config);
  const lines = result.decisions.map((decision) => JSON.stringify(decision)).join("\n");
  const output = lines === "" ? "" : `${lines}\n`;
  if (values.out) {
    await writeFile(values.out, output);
    process.stderr.write(
      `${result.decisions.length} decisions from ${result.executions} executions (${result.transitions} state transitions) written to ${values.out}\n`,
    );
  } else process.stdout.write(output);
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
    if (error instanceof ConfigError || error instanceof EventFileError) {
      process.stderr.write(`${error.message}\n`);
      return 1;
    }
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    return 1;
  }
}
