import type { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import type { SubscriptionTally } from "../../core/parcels/subscriptions.js";
import { type CheckResult, type DoctorClients, fail, jsonSecret, ok, warn } from "./doctor-results.js";

/** The days the subscribed share is read over (today's included). */
export const SUBSCRIPTION_SHARE_DAYS = 7;

/** Below this share of settled parcels subscribed, doctor warns; below half it fails. */
const HEALTHY_SHARE = 0.95;

/**
 * Whether the webhook secret holds what Kuaidi100 subscriptions need (a stack that subscribes parcels):
 * `kuaidi100` (the salt pushes are signed with), `kuaidi100Key` and `kuaidi100Customer` (the account's
 * subscription credentials, "快递100 企业版": 授权key and customer). Without them no parcel is subscribed.
 */
export async function kuaidi100AccountCheck(
  secrets: SecretsManagerClient,
  arn: string,
): Promise<CheckResult> {
  const secret = await jsonSecret(secrets, arn);
  // One that is not JSON is the webhook secret check's to say: here it lacks every field.
  const fields = "fields" in secret ? secret.fields : {};
  const missing = ["kuaidi100", "kuaidi100Key", "kuaidi100Customer"].filter(
    (field) => typeof fields[field] !== "string" || fields[field] === "",
  );
  if (missing.length === 0)
    return ok("kuaidi100-account", "Kuaidi100 salt, key and customer set: parcels are subscribed");
  return fail(
    "kuaidi100-account",
    `the webhook secret lacks ${missing.join(", ")}: shipped parcels are not subscribed, so no arrival or delivery notice goes out`,
    `add them to the webhook secret: aws secretsmanager put-secret-value --secret-id '${arn}' --secret-string '{"generic":"…","shopify":"…","kuaidi100":"<salt>","kuaidi100Key":"<授权key>","kuaidi100Customer":"<customer>"}' (or set kuaidi100.subscribe to false)`,
  );
}

/**
 * The share of the last week's shipped parcels (with a tracking number) that Kuaidi100 took, read from the
 * day tallies the subscriptions keep (one Query of at most {@link SUBSCRIPTION_SHARE_DAYS} small items, no
 * Scan). Parcels still being tried are counted apart, so a busy hour does not read as a failure.
 */
export async function parcelSubscriptionShareCheck(
  clients: Pick<DoctorClients, "dynamo">,
  tableName: string,
  now: Date,
): Promise<CheckResult> {
  const { Store } = await import("../../adapters/dynamodb/store.js");
  const since = new Date(now.getTime() - (SUBSCRIPTION_SHARE_DAYS - 1) * 86_400_000)
    .toISOString()
    .slice(0, 10);
  const tallies = await new Store(clients.dynamo, tableName).parcels.subscriptionTallies(since);
  return subscriptionShareResult(tallies);
}

/** The check's verdict on a week of day tallies. */
export function subscriptionShareResult(tallies: readonly SubscriptionTally[]): CheckResult {
  const sum = (field: Exclude<keyof SubscriptionTally, "day">) =>
    tallies.reduce((total, tally) => total + tally[field], 0);
  const [filed, subscribed, handedOff, notConfigured] = [
    sum("filed"),
    sum("subscribed"),
    sum("handedOff"),
    sum("notConfigured"),
  ];
  const week = `the last ${SUBSCRIPTION_SHARE_DAYS} days`;
  if (filed === 0) return ok("parcel-subscriptions", `no parcel shipped with a tracking number in ${week}`);
  const settled = subscribed + handedOff + notConfigured;
  const trying = Math.max(0, filed - settled);
  const counts = `${subscribed} of ${filed} shipped parcels subscribed with Kuaidi100 in ${week}${trying ? ` (${trying} still being tried)` : ""}`;
  const share = settled === 0 ? 1 : subscribed / settled;
  if (share >= HEALTHY_SHARE) return ok("parcel-subscriptions", counts);
  const causes = [
    handedOff ? `${handedOff} refused after every retry (tracking-not-subscribed)` : "",
    notConfigured ? `${notConfigured} not sent: the webhook secret lacked the Kuaidi100 account` : "",
  ].filter(Boolean);
  const fix = notConfigured
    ? "add kuaidi100Key and kuaidi100Customer to the webhook secret (see kuaidi100-account); parcels shipped before that were not subscribed"
    : "read the tracking-not-subscribed hand-offs for Kuaidi100's message (an unknown company code, an exhausted balance, a wrong key) and fix the account";
  const summary = `${counts}: ${causes.join("; ")} — no arrival or delivery notice goes out for those`;
  return share < 0.5
    ? fail("parcel-subscriptions", summary, fix)
    : warn("parcel-subscriptions", summary, fix);
}
