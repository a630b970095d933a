import type { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { type CheckResult, fail, jsonSecret, ok } from "./doctor-results.js";

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
