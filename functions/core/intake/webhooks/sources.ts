import type { ShopConfig } from "../../config/config.js";
import { parseDuration } from "../../shared/duration.js";
import type { OrderFacts } from "../../shared/ports.js";
import type { ShopEvent } from "../events.js";
import { decodeKuaidi100, kuaidi100Answer, kuaidi100ToEvents } from "./kuaidi100.js";
import { parseJson, toShopEvent, WebhookPayloadError } from "./payload.js";
import { isShopifyTopic, shopifyToEvents } from "./shopify.js";
import { contentId, hmacSha256, md5Upper, safeEqual } from "./signatures.js";

/** The webhook sources shopcare takes, each on its own route `POST /webhooks/<source>`. */
export const WEBHOOK_SOURCES = ["generic", "shopify", "kuaidi100"] as const;
export type WebhookSourceName = (typeof WEBHOOK_SOURCES)[number];

/** The generic route's headers (docs/webhooks.md: "Signing generic webhooks"). */
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
  readonly store: Pick<OrderFacts, "findOrderByTracking">;
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
  // X-Shopify-Topic and X-Shopify-Webhook-Id are not covered by the HMAC: a captured body re-posted under
  // another topic or delivery id is the same delivery. So the signed body is the key (Shopify's retries of a
  // delivery repeat it byte for byte), and its delivery and event ids are kept beside it.
  deliveryId: (request) => contentId("shopify", request.body),
  meta: (request) => ({
    topic: request.headers["x-shopify-topic"] ?? "",
    ...(request.headers["x-shopify-webhook-id"]
      ? { webhookId: request.headers["x-shopify-webhook-id"].slice(0, 128) }
      : {}),
    ...(request.headers["x-shopify-event-id"]
      ? { eventId: request.headers["x-shopify-event-id"].slice(0, 128) }
      : {}),
  }),
  async toEvents(request, { config, now }) {
    const topic = request.headers["x-shopify-topic"] ?? "";
    // Answered 2xx: Shopify deletes subscriptions whose deliveries keep failing.
    if (!isShopifyTopic(topic)) return { events: [], ignored: `topic "${topic}" is not used by shopcare` };
    const events = shopifyToEvents(topic, parseJson(request.body), config.webhooks.defaultCountry, now);
    const redact = events.find((event) => event.type === "shop.redact");
    if (redact && redact.shop !== config.shopify.shop)
      return {
        events: [],
        ignored: config.shopify.shop
          ? `shop/redact for ${redact.shop}, not this shop (${config.shopify.shop})`
          : `shop/redact for ${redact.shop} not confirmed: shopify.shop is not set (docs/data-rights.md)`,
      };
    if (events.length > 0) return { events };
    return { events, ignored: "nothing for the journeys (no tracking number)" };
  },
  answer: (_status, body) => body,
};

/** The signed `param` of a Kuaidi100 push: all its `sign` covers, so all that may decide anything. */
const kuaidi100Param = (request: Pick<IncomingWebhook, "body">) =>
  new URLSearchParams(request.body).get("param");

const kuaidi100: WebhookSource = {
  name: "kuaidi100",
  verify(request, salt) {
    const form = new URLSearchParams(request.body);
    const param = form.get("param");
    const sign = form.get("sign");
    if (param === null || sign === null) return "missing form field param or sign";
    if (!safeEqual(md5Upper(`${param}${salt}`), sign.toUpperCase())) return "sign does not match";
    // The callback URL is not signed by Kuaidi100: its orderId counts only with shopcare's own token for it.
    const { orderId, token } = request.query;
    if (token !== undefined && !(orderId && safeEqual(kuaidi100CallbackToken(orderId, salt), token)))
      return "token does not match the callback URL's orderId";
    return undefined;
  },
  // The signed param is the delivery: the same push with an extra form field or query is a repeat — but the
  // subscription round shopcare's callback URL names: the same "gave up" push of a later round is news.
  deliveryId: (request) => {
    const param = kuaidi100Param(request);
    const round = roundOf(request.query);
    return param === null ? undefined : contentId("kuaidi100", round ? `${param}#round=${round}` : param);
  },
  meta: (request): Record<string, string> => {
    const { orderId, token } = request.query;
    const round = roundOf(request.query);
    return orderId && token ? { orderId, token, ...(round ? { round } : {}) } : {};
  },
  async toEvents(request, { config, store, now }) {
    const push = decodeKuaidi100(kuaidi100Param(request) ?? "");
    // The order is the one shopcare saw ship under the pushed (signed) number. A callback URL's orderId
    // counts only with the token shopcare puts on the URLs it builds (checked in verify; an archived push
    // keeps the token, so its replay is read the same way); without one it is ignored, so every copy of a
    // signed push means the same whatever its URL says.
    const { orderId: named, token } = request.query;
    const orderId = named && token ? named : await store.findOrderByTracking(push.trackingNo);
    if (!orderId) {
      throw new WebhookPayloadError(
        "param.lastResult.nu",
        `no order ships under tracking number ${push.trackingNo} yet (or subscribe it with shopcare's callback URL: orderId and its token)`,
      );
    }
    const maxAge = config.webhooks.kuaidi100.maxAge;
    if (push.status !== "abort" && now.getTime() - Date.parse(push.at ?? "") > parseDuration(maxAge))
      return {
        events: [],
        ignored: `newest checkpoint ${push.at} is older than webhooks.kuaidi100.maxAge (${maxAge})`,
      };
    const round = named && token ? roundOf(request.query) : undefined;
    const events = kuaidi100ToEvents(push, orderId, now, round === undefined ? undefined : Number(round));
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

/**
 * The token of a Kuaidi100 callback URL for `orderId`: hex HMAC-SHA256 of the order id under the Kuaidi100
 * secret (the salt its pushes are signed with). An ERP that subscribes parcels itself computes the same.
 */
export function kuaidi100CallbackToken(orderId: string, secret: string): string {
  return hmacSha256(secret, orderId, "hex");
}

/**
 * The callback URL shopcare subscribes an order's parcel with: `<base>/webhooks/kuaidi100?orderId=…&token=…`,
 * and from the first resubscription on `&round=N`, so a push saying Kuaidi100 gave up is told from the
 * same push of an earlier round.
 */
export function kuaidi100CallbackUrl(
  webhookBase: string,
  orderId: string,
  secret: string,
  round = 0,
): string {
  const url = new URL("webhooks/kuaidi100", webhookBase.endsWith("/") ? webhookBase : `${webhookBase}/`);
  url.searchParams.set("orderId", orderId);
  url.searchParams.set("token", kuaidi100CallbackToken(orderId, secret));
  if (round > 0) url.searchParams.set("round", String(round));
  return url.toString();
}

/** A callback URL's subscription round (`round`, 1 or more), if it names one. */
function roundOf(query: Readonly<Record<string, string | undefined>>): string | undefined {
  return query.round && /^[1-9]\d?$/.test(query.round) ? query.round : undefined;
}

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
