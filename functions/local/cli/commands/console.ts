import { Store } from "../../../adapters/dynamodb/store.js";
import { SqsEventQueue } from "../../../providers/sqs.js";
import { newOperatorToken, startHttpServer } from "../../emulator/server.js";
import { CONFIG_OPTION, defineShopcareCommand, loadConfig, portOf, TABLE_OPTION } from "../command.js";
import { UsageError } from "../errors.js";

/**
 * `shopcare console --table T`: the console page on localhost against a deployed shop, with the
 * operator's AWS credentials (replay buttons need `--queue-url`, the stack's events queue).
 */
export const consoleCommand = defineShopcareCommand({
  name: "console",
  about: `the operators' console (as \`shopcare start\` serves it at /) on localhost against a deployed shop,
          with the operator's AWS credentials: recent decisions, a customer search with the explain
          timeline, dead letters and rejected webhooks with replay buttons (--queue-url: the stack's
          EventsQueueUrl), the effect report for a date range, and each journey as configured. It
          answers only its own page on 127.0.0.1/localhost, with a per-run token; numbers and names
          show in clear only with --show-phone.`,
  options: {
    table: { ...TABLE_OPTION, required: true },
    "queue-url": {
      type: "string",
      hint: "URL",
      about: "the stack output EventsQueueUrl, for replay buttons",
    },
    port: { type: "string", hint: "3000", about: "the port on 127.0.0.1 (default 3000)" },
    config: CONFIG_OPTION,
    "show-phone": { type: "boolean", about: "numbers and names in clear" },
  },
  async run({ values }) {
    if (!values.table) throw new UsageError("console: --table NAME (the stack output TableName) is required");
    const port = portOf(values.port, "console: --port expects a port number");
    const [{ DynamoDBClient }, { SQSClient }, { consoleRoutes }] = await Promise.all([
      import("@aws-sdk/client-dynamodb"),
      import("@aws-sdk/client-sqs"),
      import("../../console/console.js"),
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
    return undefined;
  },
});
