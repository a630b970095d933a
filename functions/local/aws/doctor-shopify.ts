import { GetSecretValueCommand, type SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import type { ShopConfig } from "../../core/config/config.js";
import { planSubscriptions } from "../../core/intake/webhooks/subscriptions.js";
import { type CheckResult, type DoctorClients, fail, ok, warn } from "./doctor-results.js";

/**
 * The Admin API scopes shopcare's topics need (Shopify's webhook topic reference: orders and refunds need
 * read_orders, fulfillments read_fulfillments, the consent topic read_customers).
 */
/** The access scopes shopcare needs: orders, checkouts and refunds (`read_orders`), fulfillments, customers, and `write_customers` for the consent write-back ("customerSmsMarketingConsentUpdate"). */
export const SHOPIFY_SCOPES = [
  "read_orders",
  "read_fulfillments",
  "read_customers",
  "write_customers",
] as const;

/** The Admin API token the stack's ShopifyAdminToken secret holds (`{"accessToken": "…"}`), if it holds one. */
export async function shopifyTokenIn(
  secrets: SecretsManagerClient,
  arn: string,
): Promise<string | undefined> {
  const { SecretString } = await secrets.send(new GetSecretValueCommand({ SecretId: arn }));
  return (JSON.parse(SecretString || "{}") as { accessToken?: string }).accessToken || undefined;
}

/** How long before a version retires doctor starts warning. */
const WARN_DAYS = 90;

/**
 * The Admin API version's support window: Shopify releases a version each quarter (January, April, July,
 * October) and supports each for at least 12 months ("API versioning", shopify.dev), so `2026-10` is
 * supported until at least 2027-10-01. A warning 90 days before, a failure once past it.
 */
export function shopifyApiVersionCheck(config: Pick<ShopConfig, "shopify">, now: Date): CheckResult {
  const version = config.shopify.apiVersion;
  const [year, month] = version.split("-").map(Number) as [number, number];
  const retires = new Date(Date.UTC(year + 1, month - 1, 1));
  const daysLeft = Math.floor((retires.getTime() - now.getTime()) / 86_400_000);
  const quarter = Math.floor(now.getUTCMonth() / 3) * 3 + 1;
  const current = `${now.getUTCFullYear()}-${String(quarter).padStart(2, "0")}`;
  const fix = `set shopify.apiVersion to ${current} (the current release) in cdk.json, check the API's release notes for what changed, then npx shopcare connect shopify --stack <name>`;
  if (daysLeft < 0)
    return fail(
      "shopify-api-version",
      `Admin API ${version} was supported until ${retires.toISOString().slice(0, 10)}`,
      fix,
    );
  if (daysLeft <= WARN_DAYS)
    return warn(
      "shopify-api-version",
      `Admin API ${version} is supported until ${retires.toISOString().slice(0, 10)} (${daysLeft} days)`,
      fix,
    );
  return ok(
    "shopify-api-version",
    `Admin API ${version}, supported until ${retires.toISOString().slice(0, 10)}`,
  );
}

/**
 * The shop as Shopify's Admin API sees it, with the stack's token: the token accepted, the scopes
 * shopcare's topics need granted, and every topic subscribed at this stack's webhook URL (what
 * `shopcare connect shopify` sets up). `SHOPCARE_SHOPIFY_ADMIN_URL` points it elsewhere, as for connect.
 */
export async function shopifyConnectionChecks(
  config: Pick<ShopConfig, "shopify">,
  outputs: Readonly<Record<string, string>>,
  secrets: SecretsManagerClient,
): Promise<CheckResult[]> {
  const shop = config.shopify.shop as string;
  const arn = outputs.ShopifyAdminSecretArn;
  const connect = `npx shopcare connect shopify --shop ${shop} --stack <name>`;
  if (!arn || !outputs.WebhookUrl) return [];
  const token = await shopifyTokenIn(secrets, arn);
  if (!token)
    return [
      fail(
        "shopify-token",
        "the ShopifyAdminToken secret holds no accessToken: nothing is subscribed or checked",
        `aws secretsmanager put-secret-value --secret-id ${arn} --secret-string '{"accessToken":"shpat_…"}'`,
      ),
    ];
  const { shopifyAdminFor, ShopifyAdminError } = await import("../../adapters/shopify/admin.js");
  const admin = shopifyAdminFor(config, shop, token);
  try {
    const granted = new Set(await admin.accessScopes());
    const missing = SHOPIFY_SCOPES.filter((scope) => !granted.has(scope));
    const steps = planSubscriptions(
      await admin.subscriptions(),
      `${outputs.WebhookUrl.replace(/\/$/, "")}/shopify`,
    );
    const off = steps.filter((step) => step.action !== "none");
    return [
      missing.length === 0
        ? ok("shopify-scopes", `the token has ${SHOPIFY_SCOPES.join(", ")}`)
        : fail(
            "shopify-scopes",
            `the token lacks ${missing.join(", ")}`,
            `grant ${missing.join(", ")} to the app, reinstall it, and put the new token in ${arn}`,
          ),
      off.length === 0
        ? ok("shopify-subscriptions", `every topic subscribed at this stack's webhook URL`)
        : warn(
            "shopify-subscriptions",
            `${off.length} subscription(s) not as shopcare needs: ${off.map((step) => `${step.topic} ${step.state}`).join(", ")}`,
            connect,
          ),
    ];
  } catch (error) {
    if (!(error instanceof ShopifyAdminError)) throw error;
    return [
      fail(
        "shopify-token",
        error.status === 401 ? "Shopify refused the token (401)" : `the Admin API refused: ${error.message}`,
        `make a new Admin API token with ${SHOPIFY_SCOPES.join(", ")} and put it in ${arn}`,
      ),
    ];
  }
}

/** A Shopify shop's checks: the API version's window, the connection, the deliveries. */
export async function shopifyChecks(
  config: Pick<ShopConfig, "shopify">,
  outputs: Readonly<Record<string, string>>,
  clients: Pick<DoctorClients, "secrets" | "dynamo">,
): Promise<CheckResult[]> {
  const now = new Date();
  const { Store } = await import("../../adapters/dynamodb/store.js");
  const deliveries = outputs.TableName
    ? [await shopifyDeliveriesCheck(new Store(clients.dynamo, outputs.TableName).archive, now)]
    : [];
  return [
    shopifyApiVersionCheck(config, now),
    ...(await shopifyConnectionChecks(config, outputs, clients.secrets)),
    ...deliveries,
  ];
}

/**
 * Whether Shopify's deliveries arrive: the newest kept one from Shopify within a day. A warning, not a
 * failure: a shop with no orders for a day sends nothing, and the silence alarm watches the hours.
 */
export async function shopifyDeliveriesCheck(
  archive: { latestWebhookFrom(source: string, since: Date): Promise<string | undefined> },
  now: Date,
): Promise<CheckResult> {
  const week = new Date(now.getTime() - 7 * 86_400_000);
  const latest = await archive.latestWebhookFrom("shopify", week);
  const fix =
    "check the subscriptions (npx shopcare connect shopify --stack <name>) and WebhookSecrets' shopify value (a wrong one is answered 401 and kept nowhere)";
  if (!latest) return warn("shopify-deliveries", "no Shopify delivery in 7 days", fix);
  if (Date.parse(latest) < now.getTime() - 86_400_000)
    return warn("shopify-deliveries", `no Shopify delivery in a day (the last ${latest})`, fix);
  return ok("shopify-deliveries", `the last Shopify delivery ${latest}`);
}
