import { SHOPIFY_SHOP_DOMAIN } from "../../../core/config/shop-settings.js";
import {
  COMPLIANCE_TOPICS,
  planSubscriptions,
  type SubscriptionStep,
  topicEnum,
} from "../../../core/intake/webhooks/subscriptions.js";
import { alignedColumns, terminalSafe } from "../../../core/shared/terminal.js";
import { SHOPIFY_SCOPES, shopifyTokenIn } from "../../aws/doctor-shopify.js";
import { readStackOutputs } from "../../aws/stack-outputs.js";
import { CONFIG_OPTION, defineShopcareCommand, loadConfig } from "../command.js";
import { UsageError } from "../errors.js";
import { runConnectAliyun } from "./connect-aliyun-run.js";

/** The Admin API scopes the topics shopcare subscribes need. */
const SCOPES = SHOPIFY_SCOPES.join(", ");

/** Where Shopify is to deliver, and the token to ask it with: from the stack's outputs and secret, or given. */
async function targetOf(values: { stack?: string; url?: string; token?: string }) {
  if ((values.stack === undefined) === (values.url === undefined))
    throw new UsageError(
      "connect: one of --stack NAME (a deployed shop) or --url BASE says where Shopify delivers",
    );
  if (values.url !== undefined) {
    if (!values.token)
      throw new UsageError("connect: --token T (a shop given by --url has no secret to read)");
    return { uri: `${values.url.replace(/\/$/, "")}/webhooks/shopify`, token: values.token };
  }
  const outputs = await readStackOutputs(values.stack as string);
  if (!outputs.WebhookUrl) throw new UsageError(`connect: stack ${values.stack} has no WebhookUrl output`);
  const uri = `${outputs.WebhookUrl.replace(/\/$/, "")}/shopify`;
  if (values.token) return { uri, token: values.token };
  if (!outputs.ShopifyAdminSecretArn)
    throw new UsageError(
      `connect: stack ${values.stack} keeps no Shopify token: set shopify.shop in cdk.json and deploy, or pass --token`,
    );
  const { SecretsManagerClient } = await import("@aws-sdk/client-secrets-manager");
  const token = await shopifyTokenIn(new SecretsManagerClient({}), outputs.ShopifyAdminSecretArn);
  if (!token)
    throw new UsageError(
      `connect: the secret ${outputs.ShopifyAdminSecretArn} holds no accessToken: aws secretsmanager put-secret-value --secret-id ${outputs.ShopifyAdminSecretArn} --secret-string '{"accessToken":"shpat_…"}'`,
    );
  return { uri, token };
}

/** The table `connect` prints: one line per topic. */
function table(steps: readonly SubscriptionStep[]): string {
  const rows = [
    ["topic", "state", "action"],
    ...steps.map((step) => [step.topic, step.state, step.action]),
    ...COMPLIANCE_TOPICS.map((topic) => [topic, "app configuration", "none (see README)"]),
  ];
  return alignedColumns(rows);
}

/** `shopcare connect shopify`: the shop's webhook subscriptions made to match what shopcare takes. */
export const connect = defineShopcareCommand({
  name: "connect",
  about: `shopify: registers with a Shopify shop, through its GraphQL Admin API, every topic shopcare maps, pointed at
          this stack's webhook URL: creates what is missing, fixes a wrong URI or format, removes
          subscriptions to this URL for topics shopcare no longer takes, and changes nothing when all is
          right. The token is the stack's ShopifyAdminToken secret (--stack) or --token; the Admin API's
          URL can be overridden with SHOPCARE_SHOPIFY_ADMIN_URL. Prints a table (topic, state, action).`,
  positionals: "shopify|aliyun",
  options: {
    shop: { type: "string", hint: "NAME.myshopify.com", about: "the shop (default shopify.shop)" },
    token: { type: "string", hint: "T", about: "an Admin API access token (default the stack's secret)" },
    stack: { type: "string", hint: "NAME", about: "the deployed stack", group: "where", required: true },
    url: {
      type: "string",
      hint: "BASE",
      about: "the shop's base URL (webhooks at BASE/webhooks/shopify)",
      group: "where",
    },
    "dry-run": { type: "boolean", about: "print what it would do, and do nothing", wrap: true },
    submit: { type: "boolean", about: "aliyun: submit the templates without a code for review" },
    wait: { type: "boolean", about: "aliyun: wait until every template's review is done" },
    write: { type: "boolean", about: "aliyun: write the approved codes into the config file" },
    json: { type: "boolean", about: "the steps as one JSON object" },
    config: CONFIG_OPTION,
  },
  async run({ values, positionals }) {
    if (positionals.length === 1 && positionals[0] === "aliyun") return runConnectAliyun(values);
    if (positionals.length !== 1 || positionals[0] !== "shopify")
      throw new UsageError(
        "connect: say what to connect: `shopcare connect shopify --shop NAME.myshopify.com …` or `shopcare connect aliyun [--submit] [--wait] [--write]`",
      );
    const config = await loadConfig(values.config);
    const shop = values.shop ?? config.shopify.shop;
    if (!shop || !SHOPIFY_SHOP_DOMAIN.test(shop))
      throw new UsageError(
        "connect: --shop NAME.myshopify.com (or shopify.shop in cdk.json) says which shop",
      );
    const { uri, token } = await targetOf(values);
    const { shopifyAdminFor, ShopifyAdminError } = await import("../../../adapters/shopify/admin.js");
    const admin = shopifyAdminFor(config, shop, token);
    try {
      const steps = planSubscriptions(await admin.subscriptions(), uri);
      const changes = steps.filter((step) => step.action !== "none");
      if (!values["dry-run"])
        for (const step of changes) {
          if (step.action === "create") await admin.create(topicEnum(step.topic), uri);
          else if (step.action === "update") await admin.update(step.id as string, uri);
          else await admin.delete(step.id as string);
        }
      if (values.json) {
        const applied = !values["dry-run"];
        process.stdout.write(
          `${JSON.stringify({ shop, uri, apiVersion: config.shopify.apiVersion, applied, steps })}\n`,
        );
        return 0;
      }
      process.stdout.write(`${table(steps)}\n`);
      const counts = (action: string) => changes.filter((step) => step.action === action).length;
      const summary =
        changes.length === 0
          ? "nothing to do"
          : `${values["dry-run"] ? "would create" : "created"} ${counts("create")}, ${values["dry-run"] ? "fix" : "fixed"} ${counts("update")}, ${values["dry-run"] ? "remove" : "removed"} ${counts("delete")}`;
      process.stdout.write(`${terminalSafe(`connect shopify: ${shop} → ${uri}: ${summary}`)}\n`);
      return 0;
    } catch (error) {
      if (!(error instanceof ShopifyAdminError)) throw error;
      const fix =
        error.status === 401
          ? `Shopify refused the access token (401): make a new Admin API token for the app with ${SCOPES} and put it in the stack's ShopifyAdminToken secret, or pass --token`
          : error.status === 403
            ? `the token lacks a scope (403): the app needs ${SCOPES}`
            : error.message;
      process.stderr.write(`${terminalSafe(`connect shopify: ${fix}`)}\n`);
      return 1;
    }
  },
});
