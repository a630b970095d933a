import { join } from "node:path";
import { getSecret } from "@aws-lambda-powertools/parameters/secrets";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { Store } from "../adapters/dynamodb/store.js";
import { LibphonenumberPlaces } from "../adapters/phones/phone-places.js";
import type { ShopConfig } from "../core/config/config.js";

/**
 * Cold-start wiring shared by the Lambda entry files: config and clients are created once per
 * container, and a missing setting fails the cold start instead of a request.
 */
import { requireEnv } from "./env.js";

export { requireEnv };

/**
 * How long a secret read from Secrets Manager is reused (Powertools' default is 5 s): a rotated webhook
 * secret or AccessKey is picked up within 5 minutes, without a call per request.
 */
export const SECRET_MAX_AGE_SECONDS = 300;

/** A JSON secret's fields, read through Powertools' cache for {@link SECRET_MAX_AGE_SECONDS}. */
export async function jsonSecret(secretArn: string): Promise<Record<string, string> | undefined> {
  return (await getSecret(secretArn, { transform: "json", maxAge: SECRET_MAX_AGE_SECONDS })) as
    | Record<string, string>
    | undefined;
}

/**
 * The shop config compiled into the bundle at synth time (see `infra/shopcare-stack.ts`). Read as the
 * literal `process.env.SHOPCARE_CONFIG`: that expression is what esbuild's `define` replaces, a dynamic
 * `process.env[name]` would be left to the (empty) environment.
 *
 * It is the output of `parseShopConfig` at synth (defaults filled in, templates linted), so it is not
 * parsed again here: the config schema is the largest part of zod, and every cold start would pay for it.
 */
const compiledConfig = process.env.SHOPCARE_CONFIG;
if (!compiledConfig) throw new Error("SHOPCARE_CONFIG was not compiled into this bundle");
export const config: ShopConfig = JSON.parse(compiledConfig);

export const store = new Store(new DynamoDBClient({}), requireEnv("TABLE_NAME"));

/**
 * Numbers' zones and regions: libphonenumber's two data files, copied beside the bundle into
 * `phone-data/` by the function's bundling (`infra/shop-function.ts`), read on the first number.
 */
export const phones = new LibphonenumberPlaces(join(process.env.LAMBDA_TASK_ROOT ?? ".", "phone-data"));
