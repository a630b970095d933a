import { Store } from "../../../adapters/dynamodb/store.js";
import type { ReplayReport } from "../../../core/intake/replay.js";
import { terminalSafe } from "../../../core/shared/terminal.js";
import { ReplayRequestSchema, runReplay } from "../../../handlers/replay.js";
import { SqsEventQueue } from "../../../providers/sqs.js";
import { LOCAL_REPLAY_PATH } from "../../console/console.js";
import { postToLocalShop } from "../admin-client.js";
import { CONFIG_OPTION, defineShopcareCommand, loadConfig, TABLE_OPTION, URL_OPTION } from "../command.js";
import { UsageError } from "../errors.js";
import { progressBar } from "./progress.js";

/** Some items could not be replayed; they stay where they were. */
class ReplayIncompleteError extends Error {
  constructor(count: number) {
    super(`${count} item(s) could not be replayed`);
  }
}

export const replay = defineShopcareCommand({
  name: "replay",
  about: `re-drives dead letters (events dispatch gave up on, kept with their error) or the archived
          webhooks of a time range, after a fix. --url: a running \`shopcare start\`; --table and
          --queue-url: the deployed stack's outputs (AWS credentials from the environment); --dlq-arn
          also moves the SQS dead-letter queue's messages back to the events queue.`,
  options: {
    "dead-letters": { type: "boolean", about: "the dead letters", group: "what", required: true },
    from: {
      type: "string",
      hint: "TIME",
      about: "archived webhooks received from (ISO time with offset)",
      group: "what",
    },
    to: { type: "string", hint: "TIME", about: "… until" },
    source: { type: "string", hint: "generic|shopify|kuaidi100", about: "only this source's webhooks" },
    url: { ...URL_OPTION, required: true, wrap: true },
    table: { ...TABLE_OPTION, about: "the deployed table (with --queue-url)", group: "where" },
    "queue-url": { type: "string", hint: "URL", about: "the stack output EventsQueueUrl" },
    "dlq-arn": { type: "string", hint: "ARN", about: "also move the SQS dead-letter queue's messages back" },
    config: CONFIG_OPTION,
  },
  async run({ values }) {
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
    return 0;
  },
});
