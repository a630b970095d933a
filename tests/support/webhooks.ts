import { createHash, createHmac } from "node:crypto";
import { readFileSync } from "node:fs";
import { LOCAL_WEBHOOK_SECRET } from "../../functions/local/emulator/runtime.js";

/** A fixture's raw text (kept raw: its large ids must reach the server as digits). */
export function fixture(name: string): string {
  return readFileSync(new URL(`../fixtures/${name}`, import.meta.url), "utf8");
}

/** Headers of a generic webhook signed as docs/webhooks.md says: HMAC-SHA256 of `<timestamp>.<body>`. */
export function genericHeaders(
  body: string,
  now: Date,
  secret = LOCAL_WEBHOOK_SECRET,
): Record<string, string> {
  const timestamp = String(Math.floor(now.getTime() / 1000));
  const signature = createHmac("sha256", secret).update(`${timestamp}.${body}`).digest("hex");
  return {
    "content-type": "application/json",
    "x-shopcare-timestamp": timestamp,
    "x-shopcare-signature": `sha256=${signature}`,
  };
}

/** Posts `body` to a shop's generic webhook route, signed at `now` (the shop's clock). */
export function postGeneric(baseUrl: string, body: string, now: Date): Promise<Response> {
  return fetch(`${baseUrl}/webhooks/generic`, { method: "POST", body, headers: genericHeaders(body, now) });
}

/** Headers of a Shopify webhook: base64 HMAC-SHA256 of the raw body with the app's secret. */
export function shopifyHeaders(
  body: string,
  topic: string,
  webhookId: string,
  secret = LOCAL_WEBHOOK_SECRET,
): Record<string, string> {
  return {
    "content-type": "application/json",
    "x-shopify-topic": topic,
    "x-shopify-webhook-id": webhookId,
    "x-shopify-shop-domain": "example.myshopify.com",
    "x-shopify-hmac-sha256": createHmac("sha256", secret).update(body).digest("base64"),
  };
}

/** A Kuaidi100 push form: `param` and `sign` = upper-case MD5 of param + salt. */
export function kuaidi100Form(param: string, salt = LOCAL_WEBHOOK_SECRET): string {
  const sign = createHash("md5").update(`${param}${salt}`).digest("hex").toUpperCase();
  return new URLSearchParams({ param, sign }).toString();
}
