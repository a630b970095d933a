import { readFile } from "node:fs/promises";
import type { ShopConfig } from "../../../core/config/config.js";
import { SHOPIFY_SHOP_DOMAIN } from "../../../core/config/shop-settings.js";
import type { ShopEvent } from "../../../core/intake/events.js";
import { type ImportCounts, importHistory } from "../../../core/intake/history.js";
import { parseDuration } from "../../../core/shared/duration.js";
import { terminalSafe } from "../../../core/shared/terminal.js";
import { readStackOutputs } from "../../aws/stack-outputs.js";
import { LOCAL_IMPORT_PATH } from "../../emulator/import-route.js";
import { postToLocalShop } from "../admin-client.js";
import { CONFIG_OPTION, defineShopcareCommand, loadConfig, TABLE_OPTION, URL_OPTION } from "../command.js";
import { UsageError } from "../errors.js";
import { progressBar } from "./progress.js";

/** Events a batch sent to a running shop holds (its operator routes take 256 KB a request). */
const BATCH = 200;

/** The past events, from a file of generic events or from the shop's Shopify orders since `--since`. */
async function historyOf(
  values: {
    events?: string;
    shopify?: boolean;
    since?: string;
    shop?: string;
    token?: string;
    stack?: string;
  },
  config: ShopConfig,
  now: Date,
): Promise<ShopEvent[]> {
  if (values.events) {
    const { parseEventLines } = await import("../../simulator/simulate.js");
    return parseEventLines(await readFile(values.events, "utf8"));
  }
  const shop = values.shop ?? config.shopify.shop;
  if (!shop || !SHOPIFY_SHOP_DOMAIN.test(shop))
    throw new UsageError("import: --shop NAME.myshopify.com (or shopify.shop in cdk.json) says which shop");
  const token = values.token ?? (await stackToken(values.stack));
  const since = new Date(now.getTime() - parseDuration(values.since ?? "365d"));
  const [{ shopifyAdminFor }, { eventsOfShopifyOrder }] = await Promise.all([
    import("../../../adapters/shopify/admin.js"),
    import("../../../core/intake/webhooks/shopify-orders.js"),
  ]);
  const events: ShopEvent[] = [];
  let orders = 0;
  for await (const page of shopifyAdminFor(config, shop, token).ordersSince(since, (line) =>
    process.stderr.write(`import: ${line}\n`),
  )) {
    for (const order of page) events.push(...eventsOfShopifyOrder(order, config.webhooks.defaultCountry));
    orders += page.length;
    process.stderr.write(`import: read ${orders} orders from ${shop}\n`);
  }
  return events;
}

/** The Admin API token in a stack's secret. */
async function stackToken(stack: string | undefined): Promise<string> {
  if (!stack)
    throw new UsageError("import: --token T (or --stack NAME, whose secret holds it) for --shopify");
  const outputs = await readStackOutputs(stack);
  const [{ SecretsManagerClient }, { shopifyTokenIn }] = await Promise.all([
    import("@aws-sdk/client-secrets-manager"),
    import("../../aws/doctor-shopify.js"),
  ]);
  const token = outputs.ShopifyAdminSecretArn
    ? await shopifyTokenIn(new SecretsManagerClient({}), outputs.ShopifyAdminSecretArn)
    : undefined;
  if (!token)
    throw new UsageError(`import: stack ${stack} keeps no Shopify token (ShopifyAdminToken secret)`);
  return token;
}

/** Applies the history to a deployed shop: its table, and its state machines when the stack names them. */
async function importDeployed(
  config: ShopConfig,
  where: { table?: string; stack?: string },
  events: ShopEvent[],
  now: Date,
  onProgress: (done: number) => void,
): Promise<ImportCounts & { notStarted: number }> {
  const outputs = where.stack ? await readStackOutputs(where.stack) : {};
  const table = where.table ?? outputs.TableName;
  if (!table) throw new UsageError(`import: stack ${where.stack} has no TableName output`);
  const [{ DynamoDBClient }, { Store }, { SFNClient }, { StepFunctionsStarter }] = await Promise.all([
    import("@aws-sdk/client-dynamodb"),
    import("../../../adapters/dynamodb/store.js"),
    import("@aws-sdk/client-sfn"),
    import("../../../providers/step-functions.js"),
  ]);
  let notStarted = 0;
  const machines = outputs.StateMachineArns ? JSON.parse(outputs.StateMachineArns) : undefined;
  const journeys = machines
    ? new StepFunctionsStarter(new SFNClient({}), machines)
    : {
        start: async () => {
          notStarted += 1;
        },
        stop: async () => {},
      };
  const store = new Store(new DynamoDBClient({}), table);
  const clock = { now: () => new Date(), sleepUntil: async () => {} };
  const counts = await importHistory({ config, store, clock, journeys }, events, now, onProgress);
  return { ...counts, started: counts.started - notStarted, notStarted };
}

/** `shopcare import`: a shop's past orders applied as if shopcare had seen them live. */
export const importCommand = defineShopcareCommand({
  name: "import",
  about: `applies a shop's history — past orders, payments, shipments and refunds — as facts: profiles,
          levels, RFM, segments and the win-back cycle come out as if shopcare had seen them live. Starts
          only what is still ahead (a gift due next week); a step that would have been due before the
          import is recorded skipped before-import and never sent. Importing twice changes nothing.
          --events reads generic events (JSON lines); --shopify reads the shop's orders through the Admin
          API (orders older than 60 days need the read_all_orders scope).`,
  options: {
    events: {
      type: "string",
      hint: "FILE.jsonl",
      about: "past events, one generic event a line",
      group: "what",
    },
    shopify: { type: "boolean", about: "the Shopify shop's orders", group: "what", required: true },
    since: { type: "string", hint: "365d", about: "with --shopify: orders created this long ago or later" },
    shop: { type: "string", hint: "NAME.myshopify.com", about: "with --shopify (default shopify.shop)" },
    token: { type: "string", hint: "T", about: "with --shopify: an Admin API token (default the stack's)" },
    url: { ...URL_OPTION, group: "where", required: true },
    stack: {
      type: "string",
      hint: "NAME",
      about: "the deployed stack (its table and state machines)",
      group: "where",
    },
    table: { ...TABLE_OPTION, group: "where" },
    json: { type: "boolean", about: "the counts as one JSON object" },
    config: CONFIG_OPTION,
  },
  async run({ values }) {
    if ((values.events === undefined) === (values.shopify !== true))
      throw new UsageError("import: one of --events FILE or --shopify says what to import");
    const places = [values.url, values.stack, values.table].filter((place) => place !== undefined);
    if (places.length !== 1)
      throw new UsageError(
        "import: one of --url (a running shop), --stack or --table (a deployed one) says where",
      );
    const config = await loadConfig(values.config);
    const now = new Date();
    const events = (await historyOf(values, config, now)).sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
    const progress = progressBar("events");
    const show = (done: number) => progress.update(done, events.length, "");
    let counts: ImportCounts & { notStarted?: number } = { events: 0, started: 0, beforeImport: 0 };
    try {
      if (values.url) {
        for (let from = 0; from < events.length; from += BATCH) {
          const batch = await postToLocalShop<ImportCounts>(
            values.url,
            LOCAL_IMPORT_PATH,
            { events: events.slice(from, from + BATCH), importAt: now.toISOString() },
            "import",
          );
          counts = {
            events: counts.events + batch.events,
            started: counts.started + batch.started,
            beforeImport: counts.beforeImport + batch.beforeImport,
          };
          show(counts.events);
        }
      } else counts = await importDeployed(config, values, events, now, show);
    } finally {
      progress.stop();
    }
    if (values.json) {
      process.stdout.write(`${JSON.stringify(counts)}\n`);
      return 0;
    }
    process.stdout.write(
      `${terminalSafe(
        `import: ${counts.events} events applied; ${counts.started} step(s) still ahead started; ${counts.beforeImport} recorded skipped before-import`,
      )}\n`,
    );
    if (counts.notStarted)
      process.stdout.write(
        `import: ${counts.notStarted} step(s) still ahead were not started: --table has no state machines, import with --stack NAME\n`,
      );
    return 0;
  },
});
