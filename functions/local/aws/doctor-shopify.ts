import type { ShopConfig } from "../../core/config/config.js";
import { type CheckResult, fail, ok, warn } from "./doctor-results.js";

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
