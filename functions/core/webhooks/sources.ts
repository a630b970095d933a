import type { ShopConfig } from "../config.js";
import { parseDuration } from "../duration.js";
import type { ShopEvent } from "../events.js";
import type { Repositories } from "../ports.js";
import { decodeKuaidi100, kuaidi100Answer, kuaidi100ToEvents } from "./kuaidi100.js";
import { parseJson, toShopEvent, WebhookPayloadError } from "./payload.js";
import { isShopifyTopic, shopifyToEvents } from "./shopify.js";
import { contentId, hmacSha256, md5Upper, safeEqual } from "./signatures.js";

/** The webhook sources shopcare takes, each on its own route `POST /webhooks/<source>`. */
export const WEBHOOK_SOURCES = ["generic", "shopify", "kuaidi100"] as const;
export type WebhookSourceName = (typeof WEBHOOK_SOURCES)[number];

/** The generic route's headers (README: "Signing generic webhooks"). */
export const GENERIC_HEADERS = {
  signature: "x-shopcare-signature",
  timestamp: "x-shopcare-timestamp",
  webhookId: "x-shopcare-webhook-id",
} as const;

/** A webhook request as the route received it: raw body text, lower-case headers, query parameters. */
export interface IncomingWebhook {
  readonly body: string;
  readonly headers: Readonly<Record<string, string | undefined>>;
  readonly query: Readonly<Record<string, string | undefined>>;
}

/** What an adapter may use besides the request. */
export interface AdapterContext {
  readonly config: ShopConfig;
  readonly store: Repositories;
  readonly now: Date;
}

/** The events a webhook carries, or why it carries none the journeys use. */
export interface AdaptedWebhook {
  readonly events: ShopEvent[];
  readonly ignored?: string;
}

/** One source's rules: its signature, its delivery id, its payload and the answers it expects. */
export interface WebhookSource {
  readonly name: WebhookSourceName;
  /** @returns why the signature does not hold, or undefined when it does */
  verify(request: IncomingWebhook, secret: string, context: AdapterContext): string | undefined;
  /** The id the sender repeats on every retry of one delivery; the body's hash stands in when absent. */
  deliveryId(request: IncomingWebhook): string | undefined;
  /** Request details kept with the archived body, so a replay can run the adapter again. */
  meta(request: IncomingWebhook): Record<string, string>;
  /** @throws {WebhookPayloadError} naming the field at fault */
  toEvents(request: IncomingWebhook, context: AdapterContext): Promise<AdaptedWebhook>;
  /** The body of an answer in the form the sender understands. */
  answer(status: number, body: Record<string, unknown>): Record<string, unknown>;
}

const generic: WebhookSource = {
  name: "generic",
  verify(request, secret, { config, now }) {
    const signature = request.headers[GENERIC_HEADERS.signature];
    const timestamp = request.headers[GENERIC_HEADERS.timestamp];
    if (!signature) return `missing ${GENERIC_HEADERS.signature}`;
    if (!timestamp || !/^\d{1,12}$/.test(timestamp))
      return `missing or malformed ${GENERIC_HEADERS.timestamp}`;
    const skew = Math.abs(now.getTime() - Number(timestamp) * 1000);
    if (skew > parseDuration(config.webhooks.maxClockSkew)) {
      return `${GENERIC_HEADERS.timestamp} is more than ${config.webhooks.maxClockSkew} from now`;
    }
    // The timestamp is signed with the body, so an old request cannot be replayed with a fresh one.
    const expected = `sha256=${hmacSha256(secret, `${timestamp}.${request.body}`, "hex")}`;
    return safeEqual(expected, signature) ? undefined : "signature does not match";
  },
  deliveryId: (request) => {
    const id = request.headers[GENERIC_HEADERS.webhookId];
    return id ? `generic-${id.slice(0, 128)}` : undefined;
  },
  meta: () => ({}),
  async toEvents(request) {
    const payload = parseJson(request.body);
    const items = Array.isArray(payload) ? payload : [payload];
    if (items.length === 0) throw new WebhookPayloadError("(body)", "no events in body");
    return {
      events: items.map((item, index) => toShopEvent(item, Array.isArray(payload) ? `[${index}].` : "")),
    };
  },
  answer: (_status, body) => body,
};

const shopify: WebhookSource = {
  name: "shopify",
  verify(request, secret) {
    const signature = request.headers["x-shopify-hmac-sha256"];
    if (!signature) return "missing x-shopify-hmac-sha256";
    return safeEqual(hmacSha256(secret, request.body, "base64"), signature)
      ? undefined
      : "signature does not match";
  },
  deliveryId: (request) => {
    const id = request.headers["x-shopify-webhook-id"];
    return id ? `shopify-${id}` : undefined;
  },
  meta: (request) => ({ topic: request.headers["x-shopify-topic"] ?? "" }),
  async toEvents(request, { config }) {
    const topic = request.headers["x-shopify-topic"] ?? "";
    // Answered 2xx: Shopify deletes subscriptions whose deliveries keep failing.
    if (!isShopifyTopic(topic)) return { events: [], ignored: `topic "${topic}" is not used by shopcare` };
    const events = shopifyToEvents(topic, parseJson(request.body), config.webhooks.defaultCountry);
    return events.length > 0
      ? { events }
      : { events, ignored: "nothing for the journeys (no tracking number)" };
  },
  answer: (_status, body) => body,
};

const kuaidi100: WebhookSource = {
  name: "kuaidi100",
  verify(request, salt) {
    const form = new URLSearchParams(request.body);
    const param = form.get("param");
    const sign = form.get("sign");
    if (param === null || sign === null) return "missing form field param or sign";
    return safeEqual(md5Upper(`${param}${salt}`), sign.toUpperCase()) ? undefined : "sign does not match";
  },
  deliveryId: () => undefined,
  meta: (request): Record<string, string> =>
    request.query.orderId ? { orderId: request.query.orderId } : {},
  async toEvents(request, { store }) {
    const push = decodeKuaidi100(new URLSearchParams(request.body).get("param") ?? "");
    // Subscribe with `?orderId=` on the callback URL; otherwise the number shopcare saw in `order.shipped`.
    const orderId = request.query.orderId || (await store.findOrderByTracking(push.trackingNo));
    if (!orderId) {
      throw new WebhookPayloadError(
        "param.lastResult.nu",
        `no order ships under tracking number ${push.trackingNo} yet (add ?orderId= to the callback URL)`,
      );
    }
    const events = kuaidi100ToEvents(push, orderId);
    return events.length > 0
      ? { events }
      : { events, ignored: `parcel state ${push.state} needs no message` };
  },
  answer: (status, body) => ({
    ...kuaidi100Answer(
      status < 300,
      status < 300 ? "200" : String(status),
      String(body.error ?? body.message ?? "成功"),
    ),
    ...body,
  }),
};

/** Every source by name. */
export const WEBHOOK_SOURCE: Readonly<Record<WebhookSourceName, WebhookSource>> = {
  generic,
  shopify,
  kuaidi100,
};

/** The archive id of a delivery: the sender's delivery id, or the hash of the body. */
export function webhookArchiveId(source: WebhookSource, request: IncomingWebhook): string {
  return source.deliveryId(request) ?? contentId(source.name, request.body);
}
