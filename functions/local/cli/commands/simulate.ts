import { writeFile } from "node:fs/promises";
import { buildReport } from "../../../core/insight/report.js";
import { formatInZone } from "../../../core/shared/time.js";
import { pageShopOf, reportHtml } from "../../console/pages.js";
import { reportTable } from "../../console/report-view.js";
import { simulateFile } from "../../simulator/simulate.js";
import { CONFIG_OPTION, defineShopcareCommand, loadConfig } from "../command.js";
import { UsageError } from "../errors.js";
import { progressBar } from "./progress.js";

export const simulate = defineShopcareCommand({
  name: "simulate",
  about: `runs an event file on a virtual clock through the synthesized state machines and the real
          handlers, and prints every decision. --store memory keeps the table in memory instead of
          DynamoDB Local (the same semantics, no Java, about fifty times faster); with it, --workers N
          spreads the customers over N threads (each with 1/N of the send rate, so sends due at
          one instant may take other sub-second slots).`,
  options: {
    events: {
      type: "string",
      hint: "FILE.jsonl",
      about: "the events, one JSON object per line",
      required: true,
    },
    config: CONFIG_OPTION,
    out: { type: "string", hint: "FILE.jsonl", about: "the decisions, one per line (default: stdout)" },
    report: { type: "string", hint: "FILE.html", about: "also the effect report's page" },
    store: {
      type: "string",
      hint: "dynamodb-local|memory",
      about: "the table (default dynamodb-local)",
      wrap: true,
    },
    workers: { type: "string", hint: "N", about: "threads, with --store memory (default 1)" },
  },
  async run({ values }) {
    const store = values.store ?? "dynamodb-local";
    if (!values.events) throw new UsageError("simulate: --events FILE.jsonl is required");
    if (store !== "dynamodb-local" && store !== "memory")
      throw new UsageError(`simulate: --store is dynamodb-local or memory, got ${store}`);
    const workers = Number(values.workers ?? "1");
    if (!Number.isInteger(workers) || workers < 1)
      throw new UsageError(`simulate: --workers is a whole number from 1, got ${values.workers}`);
    if (workers > 1 && store !== "memory")
      throw new UsageError("simulate: --workers needs --store memory (one DynamoDB Local serves one thread)");
    const config = await loadConfig(values.config);
    const progress = progressBar("events");
    const result = await simulateFile(values.events, {
      config,
      dynamo: store === "memory" ? "memory" : undefined,
      workers,
      onProgress: (done, total, now) =>
        progress.update(done, total, formatInZone(now, config.timeZone).slice(0, 10)),
    }).finally(() => progress.stop());
    if (values.report) {
      const report = buildReport(config, result.decisions, result.orders, { workload: result.workload });
      await writeFile(values.report, reportHtml(report, pageShopOf(config)));
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
    return 0;
  },
});
