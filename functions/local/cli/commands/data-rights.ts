import type { Forgotten, HeldData } from "../../../core/customers/forget.js";
import { exportCustomer, exportView, forgetCustomer } from "../../../core/customers/forget.js";
import { terminalSafe } from "../../../core/shared/terminal.js";
import { readStackOutputs } from "../../aws/stack-outputs.js";
import { dataSubjectOf, LOCAL_EXPORT_PATH, LOCAL_FORGET_PATH } from "../../console/data-rights.js";
import { postToLocalShop } from "../admin-client.js";
import { CONFIG_OPTION, defineShopcareCommand, loadConfig, TABLE_OPTION, URL_OPTION } from "../command.js";
import { UsageError } from "../errors.js";

/** Whom the request names and where the shop is, checked: one of each. */
function requestOf(
  command: string,
  values: { customer?: string; phone?: string; url?: string; table?: string; stack?: string },
) {
  const subject = dataSubjectOf(
    values.customer !== undefined ? { customerId: values.customer } : { phone: values.phone },
  );
  if (!subject || (values.customer !== undefined && values.phone !== undefined))
    throw new UsageError(
      `${command}: one of --customer ID or --phone P (E.164, like +14155550100) says whom`,
    );
  if ([values.url, values.table, values.stack].filter((where) => where !== undefined).length !== 1)
    throw new UsageError(
      `${command}: one of --url (a running shop), --stack or --table (a deployed one) says where`,
    );
  return subject;
}

/**
 * A deployed shop by its stack's outputs, with the operator's credentials: its table, and its executions
 * stopped on Step Functions (`StateMachineArns`), as dispatch stops them for a `customer.redact`.
 */
async function deployedShop(stack: string, configPath?: string) {
  const [{ SFNClient }, { StepFunctionsStarter }] = await Promise.all([
    import("@aws-sdk/client-sfn"),
    import("../../../providers/step-functions.js"),
  ]);
  const outputs = await readStackOutputs(stack);
  if (!outputs.TableName) throw new UsageError(`stack ${stack} has no TableName output`);
  const starter = new StepFunctionsStarter(new SFNClient({}), JSON.parse(outputs.StateMachineArns || "{}"));
  return {
    store: await storeOf(outputs.TableName),
    stopExecution: (journey: string, name: string) => starter.stop(journey as never, name),
    consentWriteBack: await consentWriteBackOf(outputs.ShopifyAdminSecretArn, configPath),
  };
}

/**
 * A Shopify shop's consent write-back, with the token its stack's secret holds and the shop and API
 * version of the config (`cdk.json`).
 */
async function consentWriteBackOf(secretArn: string | undefined, configPath: string | undefined) {
  if (!secretArn) return undefined;
  const [{ SecretsManagerClient }, { shopifyTokenIn }, { ShopifyConsentWriteBack }] = await Promise.all([
    import("@aws-sdk/client-secrets-manager"),
    import("../../aws/doctor-shopify.js"),
    import("../../../adapters/shopify/admin.js"),
  ]);
  const config = await loadConfig(configPath);
  return new ShopifyConsentWriteBack(config, () => shopifyTokenIn(new SecretsManagerClient({}), secretArn));
}

/** The deployed table's store, with the operator's credentials (and AWS_ENDPOINT_URL_DYNAMODB, if set). */
async function storeOf(table: string) {
  const [{ DynamoDBClient }, { Store }] = await Promise.all([
    import("@aws-sdk/client-dynamodb"),
    import("../../../adapters/dynamodb/store.js"),
  ]);
  return new Store(new DynamoDBClient({}), table);
}

/** `--stack`: the deployed shop by its stack's outputs (its table, and its executions to stop). */
const STACK_OPTION = {
  type: "string",
  hint: "NAME",
  about: "the deployed stack (its table; forget also stops the customer's executions)",
  group: "where",
} as const;

const WHOM = {
  customer: { type: "string", hint: "ID", about: "a customer", group: "whom", required: true },
  phone: { type: "string", hint: "P", about: "a phone number (every customer it belongs to)", group: "whom" },
} as const;

/** `shopcare forget`: erases a customer's personal data. */
export const forget = defineShopcareCommand({
  name: "forget",
  about: `erases a customer's personal data wherever shopcare keeps it (profile, consent history, orders'
          customer and payer fields, decisions' numbers and texts, replies, link targets, execution notes,
          kept webhook bodies, opt-outs and last sends of their numbers) and keeps only the counts and
          amounts the reports add up, under a random id; leaves tombstones, so a replay or a late webhook
          from before brings nothing back. With --url or --stack it stops their executions and, for a
          Shopify shop, first withdraws their SMS consent in Shopify (nothing is erased if it cannot). Prints
          what it erased, item by item. --json: one JSON object per customer.`,
  options: {
    ...WHOM,
    url: { ...URL_OPTION, required: true, wrap: true },
    stack: STACK_OPTION,
    table: { ...TABLE_OPTION, group: "where" },
    config: CONFIG_OPTION,
    json: { type: "boolean", about: "JSON lines" },
  },
  async run({ values }) {
    const subject = requestOf("forget", values);
    const at = new Date().toISOString();
    const deployed = values.stack ? await deployedShop(values.stack, values.config) : undefined;
    const forgotten = values.url
      ? await postToLocalShop<Forgotten[]>(values.url, LOCAL_FORGET_PATH, subject, "forget")
      : deployed
        ? await forgetCustomer(
            {
              personal: deployed.store,
              stopExecution: deployed.stopExecution,
              consentWriteBack: deployed.consentWriteBack,
            },
            subject,
            at,
          )
        : await forgetCustomer({ personal: await storeOf(values.table as string) }, subject, at);
    if (forgotten.length === 0) process.stderr.write("forget: nothing is held about that subject\n");
    for (const one of forgotten) {
      if (values.json) {
        process.stdout.write(`${JSON.stringify(one)}\n`);
        continue;
      }
      const items = Object.entries(one.counts.items).map(([kind, count]) => `${count} ${kind}`);
      process.stdout.write(
        `${terminalSafe(
          `forgot ${one.customerId}: ${items.join(", ") || "no items"}; ${one.counts.tombstones} tombstone(s); ${one.stopped} execution(s) stopped; kept as ${one.counts.anonymousId}`,
        )}\n`,
      );
    }
    return 0;
  },
});

/** `shopcare export`: everything shopcare holds about a customer, as JSON. */
export const exportCommand = defineShopcareCommand({
  name: "export",
  about: `prints everything shopcare holds about a customer as JSON (profile, consent history, orders,
          decisions with their texts, replies, clicks, executions, kept webhook bodies, their numbers'
          opt-outs), for a data-access request.`,
  options: {
    ...WHOM,
    url: { ...URL_OPTION, required: true, wrap: true },
    stack: STACK_OPTION,
    table: { ...TABLE_OPTION, group: "where" },
  },
  async run({ values }) {
    const subject = requestOf("export", values);
    const customers = values.url
      ? await postToLocalShop<Record<string, unknown>[]>(values.url, LOCAL_EXPORT_PATH, subject, "export")
      : (
          await exportCustomer(
            values.stack ? (await deployedShop(values.stack)).store : await storeOf(values.table as string),
            subject,
          )
        ).map((held: HeldData) => exportView(held));
    process.stdout.write(`${JSON.stringify({ customers }, null, 2)}\n`);
    return 0;
  },
});
