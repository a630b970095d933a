import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { applyRetention } from "../../../core/customers/retention.js";
import { systemClock } from "../../../core/shared/clock.js";
import { terminalSafe } from "../../../core/shared/terminal.js";
import { consoleRoutes } from "../../console/console.js";
import { startDynamoDbLocal } from "../../emulator/dynamodb-local.js";
import { MemoryTable } from "../../emulator/memory-table.js";
import { createLocalShop, localSecretLines } from "../../emulator/runtime.js";
import { startHttpServer } from "../../emulator/server.js";
import { CONFIG_OPTION, defineShopcareCommand, loadConfig, portOf } from "../command.js";
import { UsageError } from "../errors.js";

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

export const start = defineShopcareCommand({
  name: "start",
  about: `runs the shop locally: the webhook API, the real state machines on the local engine, the outbox
          instead of SMS. The table is DynamoDB Local (Java 17+); without Java, or with --store memory,
          it is kept in memory (the same semantics, gone when the shop stops). The console and admin
          routes answer only their own page on 127.0.0.1/localhost, with a per-run token; numbers and
          names show in clear there only with --show-phone.`,
  options: {
    port: { type: "string", hint: "3000", about: "the port on 127.0.0.1 (default 3000)" },
    config: CONFIG_OPTION,
    store: { type: "string", hint: "dynamodb-local|memory", about: "the table (default: DynamoDB Local)" },
    "show-phone": { type: "boolean", about: "numbers and names in clear in the console" },
  },
  async run({ values }) {
    const config = await loadConfig(values.config);
    const port = portOf(values.port, "--port: expected a port number");
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
      operatorRoutes: consoleRoutes,
    });
    const http = await startHttpServer(shop.routes, { port, maxBodyBytes: config.webhooks.maxBodyBytes });
    const campaigns = shop.scheduleCampaigns();
    // The shop's retention, now and once a day, as the retention function runs it on AWS.
    const retain = () =>
      applyRetention({
        store: shop.store,
        config,
        now: new Date(),
        stopExecution: (journey, name) => shop.engine.stop(journey, name),
      }).then(
        (run) => {
          if (run.customers + run.texts > 0)
            process.stdout.write(
              `[retention] ${run.customers} customer(s) forgotten, ${run.texts} text(s) dropped\n`,
            );
        },
        (error) => process.stderr.write(`[retention] failed: ${terminalSafe(String(error))}\n`),
      );
    void retain();
    const retention = setInterval(retain, 24 * 3_600_000);
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
        `  retention:       customers ${config.retention.customers} after their last order, message texts ${config.retention.messageTexts} (applied now and daily)`,
        `  campaigns:       ${campaigns.length > 0 ? `${campaigns.join(", ")} (each at its time; npx shopcare campaign status ID --url ${http.url})` : "none in the config"}`,
        "  outbox messages are printed below. Ctrl-C stops everything.",
        "",
      ].join("\n"),
    );
    let stopping = false;
    const stop = async () => {
      if (stopping) return;
      stopping = true;
      clearInterval(retention);
      process.stdout.write("stopping…\n");
      shop.stop();
      await http.close();
      await table.stop();
      process.exit(0);
    };
    process.on("SIGINT", stop);
    process.on("SIGTERM", stop);
    return undefined;
  },
});
