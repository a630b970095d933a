import type { ShopEvent } from "../events.js";
import { objectAt, toShopEvent, WebhookPayloadError } from "./payload.js";
import { toE164 } from "./phone.js";

/** The Shopify topics shopcare subscribes to (docs/webhooks.md: Shopify). */
export const SHOPIFY_TOPICS = [
  "orders/create",
  "orders/paid",
  "orders/cancelled",
  "orders/fulfilled",
  "fulfillments/create",
  "fulfillments/update",
  "refunds/create",
  "customers_marketing_consent/update",
  "checkouts/create",
  "checkouts/update",
  // The mandatory compliance topics ("Privacy law compliance", shopify.dev): a customer's data rights.
  "customers/redact",
  "customers/data_request",
  "shop/redact",
] as const;
export type ShopifyTopic = (typeof SHOPIFY_TOPICS)[number];

export function isShopifyTopic(topic: string): topic is ShopifyTopic {
  return (SHOPIFY_TOPICS as readonly string[]).includes(topic);
}

type Json = Record<string, unknown>;

const text = (value: unknown): string | undefined =>
  typeof value === "string" && value.trim() !== "" ? value.trim() : undefined;

/** An id field: Shopify ids are integers, kept as digit strings when beyond 2^53. */
function idAt(payload: Json, field: string): string {
  const value = payload[field];
  if ((typeof value === "number" && Number.isInteger(value)) || (typeof value === "string" && value !== "")) {
    return String(value);
  }
  throw new WebhookPayloadError(field, "expected the Shopify id");
}

function timeAt(payload: Json, field: string): string {
  const value = text(payload[field]);
  if (!value || Number.isNaN(Date.parse(value)))
    throw new WebhookPayloadError(field, "expected an ISO 8601 time");
  return value;
}

function moneyAt(payload: Json, field: string): number {
  const value = Number(payload[field]);
  if (payload[field] === undefined || payload[field] === null || !Number.isFinite(value) || value < 0) {
    throw new WebhookPayloadError(field, 'expected an amount like "129.00"');
  }
  return value;
}

const addressOf = (value: unknown): Json => (value && typeof value === "object" ? (value as Json) : {});

/** The customer's number from the order, its customer or its addresses, in E.164. */
function phoneOf(order: Json, defaultCountry: string): string | undefined {
  const customer = addressOf(order.customer);
  const shipping = addressOf(order.shipping_address);
  const billing = addressOf(order.billing_address);
  const country = text(shipping.country_code) ?? text(billing.country_code) ?? defaultCountry;
  const candidates: [unknown, unknown][] = [
    [order.phone, country],
    [customer.phone, country],
    [shipping.phone, shipping.country_code],
    [billing.phone, billing.country_code],
  ];
  for (const [raw, countryCode] of candidates) {
    const phone = toE164(raw, countryCode ?? country);
    if (phone) return phone;
  }
  return undefined;
}

/** `payer.phone` from the billing address, when it has a number. */
function payerOf(order: Json, defaultCountry: string): { payer?: { phone: string } } {
  const billing = addressOf(order.billing_address);
  const phone = toE164(billing.phone, text(billing.country_code) ?? defaultCountry);
  return phone ? { payer: { phone } } : {};
}

/**
 * `address` from the shipping address's province, city and region (`country_code` and `province_code`,
 * "US" and "FL": the region whose sending rules apply, ISO 3166-2 `US-FL`), when it names them.
 */
function addressOfShipping(shipping: Json): {
  address?: { province?: string; city?: string; region?: string };
} {
  const province = text(shipping.province)?.slice(0, 64);
  const city = text(shipping.city)?.slice(0, 64);
  const country = text(shipping.country_code)?.toUpperCase();
  const subdivision = text(shipping.province_code)?.toUpperCase();
  const region =
    country && /^[A-Z]{2}$/.test(country)
      ? subdivision && /^[A-Z0-9]{1,3}$/.test(subdivision)
        ? `${country}-${subdivision}`
        : country
      : undefined;
  return province || city || region ? { address: { province, city, ...(region ? { region } : {}) } } : {};
}

/**
 * The financial states in which the buyer has paid as far as they can tell ("OrderDisplayFinancialStatus",
 * Shopify GraphQL Admin API): `authorized` (the card is authorized and captured later — manual capture),
 * `partially_paid`, and the refunded states (paid first). `pending` (bank transfer, cash on delivery, other
 * manual gateways) and `expired` (an authorization never captured) are unpaid: the payment reminder's rules
 * apply. `voided` (an authorized order cancelled unpaid) cancels.
 */
const PAID_AS_THE_BUYER_SEES_IT: ReadonlySet<string> = new Set([
  "paid",
  "authorized",
  "partially_paid",
  "partially_refunded",
  "refunded",
]);

function orderCreated(order: Json, defaultCountry: string): ShopEvent[] {
  const orderId = idAt(order, "id");
  const customer = addressOf(order.customer);
  const shipping = addressOf(order.shipping_address);
  const customerId =
    customer.id !== undefined && customer.id !== null ? idAt(customer, "id") : `guest-${orderId}`;
  const gateways = Array.isArray(order.payment_gateway_names) ? order.payment_gateway_names.map(String) : [];
  const createdAt = timeAt(order, "created_at");
  const name = text(customer.first_name) ?? text(shipping.first_name);
  const events: unknown[] = [
    {
      type: "order.created",
      at: createdAt,
      order: {
        id: orderId,
        customer: { id: customerId, phone: phoneOf(order, defaultCountry), name: name?.slice(0, 64) },
        // The billing address's number is the payer's: a gift shop's notices may go there (giftOrders: payer).
        ...payerOf(order, defaultCountry),
        ...addressOfShipping(shipping),
        amount: moneyAt(order, "total_price"),
        currency: text(order.currency) ?? "CNY",
        // The checkout the buyer completed: its abandoned-checkout reminder stops.
        ...(text(order.checkout_token) ? { checkoutToken: text(order.checkout_token) } : {}),
        paymentMethod: gateways.some((gateway) => /cash on delivery|\bcod\b/i.test(gateway))
          ? "cod"
          : "online",
        gift: false,
        items: itemsOf(order.line_items),
      },
    },
  ];
  // Most checkouts are paid when the order is created; a shop need not subscribe to orders/paid as well.
  const status = text(order.financial_status);
  if (status !== undefined && PAID_AS_THE_BUYER_SEES_IT.has(status))
    events.push({ type: "order.paid", at: text(order.processed_at) ?? createdAt, orderId });
  else if (status === "voided")
    events.push({
      type: "order.cancelled",
      at: text(order.cancelled_at) ?? text(order.processed_at) ?? createdAt,
      orderId,
    });
  return events.map((event) => toShopEvent(event));
}

/** The last fulfillment with a tracking number, as `order.shipped`. */
function shipped(orderId: string, fulfillment: Json): ShopEvent[] {
  const trackingNo =
    text(fulfillment.tracking_number) ?? text((fulfillment.tracking_numbers as unknown[])?.[0]);
  // A fulfillment without tracking (a digital good, a hand delivery) has no shipping notice to send.
  if (!trackingNo) return [];
  return [
    toShopEvent({
      type: "order.shipped",
      at: timeAt(fulfillment, "created_at"),
      orderId,
      carrier: text(fulfillment.tracking_company) ?? "—",
      trackingNo,
    }),
  ];
}

/**
 * A fulfillment whose `shipment_status` is `failure` (the carrier could not deliver it: the Fulfillment
 * resource of the Admin REST API, "shipment_status") as `parcel.exception`; other statuses change nothing
 * the journeys answer.
 */
function shipmentTrouble(fulfillment: Json): ShopEvent[] {
  if (fulfillment.shipment_status !== "failure") return [];
  return [
    toShopEvent({
      type: "parcel.exception",
      at: timeAt(fulfillment, fulfillment.updated_at ? "updated_at" : "created_at"),
      orderId: idAt(fulfillment, "order_id"),
      reason: "failure",
    }),
  ];
}

function refundAmount(refund: Json): number {
  const objects = (value: unknown): Json[] =>
    Array.isArray(value)
      ? value.filter((item): item is Json => item !== null && typeof item === "object")
      : [];
  const transactions = objects(refund.transactions);
  const refunded = transactions
    .filter((transaction) => transaction.kind === "refund" && transaction.status !== "failure")
    .reduce((sum, transaction) => sum + (Number(transaction.amount) || 0), 0);
  if (refunded > 0) return Math.round(refunded * 100) / 100;
  const lines = objects(refund.refund_line_items);
  return Math.round(lines.reduce((sum, line) => sum + (Number(line.subtotal) || 0), 0) * 100) / 100;
}

/** A fulfillment topic's body must be a fulfillment (its id, its order's id, a status), not an order. */
function fulfillmentAt(body: Json): Json {
  idAt(body, "id");
  idAt(body, "order_id");
  if (typeof body.status !== "string")
    throw new WebhookPayloadError(
      "status",
      "expected a fulfillment's status (the body is not a fulfillment)",
    );
  return body;
}

/**
 * Turns one Shopify webhook (topic from `X-Shopify-Topic`, JSON body) into generic events.
 * @throws {WebhookPayloadError} naming the Shopify field at fault
 */
export function shopifyToEvents(
  topic: ShopifyTopic,
  payload: unknown,
  defaultCountry = "CN",
  /** When it arrived: the compliance topics carry no time of their own. @default now */
  receivedAt = new Date(),
): ShopEvent[] {
  const body = objectAt(payload, "(body)");
  switch (topic) {
    case "orders/create":
      return orderCreated(body, defaultCountry);
    case "orders/paid":
      // The topic is not signed: an order the body says is unpaid is not paid whatever the header says.
      if (body.financial_status !== "paid" && body.financial_status !== "partially_paid")
        throw new WebhookPayloadError(
          "financial_status",
          `orders/paid needs "paid" or "partially_paid", got ${JSON.stringify(body.financial_status ?? null)}`,
        );
      return [toShopEvent({ type: "order.paid", at: timeAt(body, "updated_at"), orderId: idAt(body, "id") })];
    case "orders/cancelled":
      // `cancelled_at` is null on an order that is not cancelled: timeAt refuses it.
      return [
        toShopEvent({ type: "order.cancelled", at: timeAt(body, "cancelled_at"), orderId: idAt(body, "id") }),
      ];
    case "orders/fulfilled": {
      const fulfillments = Array.isArray(body.fulfillments) ? (body.fulfillments as unknown[]) : [];
      const last = fulfillments.at(-1);
      if (!last) throw new WebhookPayloadError("fulfillments", "expected at least one fulfillment");
      return shipped(idAt(body, "id"), objectAt(last, `fulfillments.${fulfillments.length - 1}`));
    }
    case "fulfillments/create":
      return [...shipped(idAt(body, "order_id"), fulfillmentAt(body)), ...shipmentTrouble(body)];
    case "fulfillments/update":
      return shipmentTrouble(fulfillmentAt(body));
    case "refunds/create":
      return [
        toShopEvent({
          type: "refund.completed",
          at: timeAt(body, "created_at"),
          orderId: idAt(body, "order_id"),
          amount: refundAmount(body),
          refundId: idAt(body, "id"),
        }),
      ];
    case "customers_marketing_consent/update":
      return smsConsent(body, defaultCountry);
    case "checkouts/create":
    case "checkouts/update":
      return checkoutUpdated(body, defaultCountry);
    case "customers/redact":
    case "customers/data_request": {
      // `{shop_id, shop_domain, customer: {id, email, phone}, orders_to_redact | orders_requested,
      // data_request: {id}}` ("Privacy law compliance", shopify.dev).
      const customerId = idAt(objectAt(body.customer, "customer"), "id");
      const at = receivedAt.toISOString();
      if (topic === "customers/redact") return [toShopEvent({ type: "customer.redact", at, customerId })];
      const request =
        body.data_request && typeof body.data_request === "object" ? (body.data_request as Json) : {};
      const requestId = request.id === undefined ? undefined : String(request.id);
      return [
        toShopEvent({ type: "customer.data_request", at, customerId, ...(requestId ? { requestId } : {}) }),
      ];
    }
    case "shop/redact": {
      // `{shop_id, shop_domain}`, 48 hours after the shop uninstalled the app ("Privacy law compliance",
      // shopify.dev; "Apps now need to use GDPR webhooks", Shopify developer changelog): erase that shop's data.
      // Which shop it names is checked against config (`sources.ts`): the app's secret signs every shop alike.
      const shop = text(body.shop_domain);
      if (!shop) throw new WebhookPayloadError("shop_domain", "expected the shop's myshopify.com domain");
      return [toShopEvent({ type: "shop.redact", at: receivedAt.toISOString(), shop })];
    }
    default: {
      const unknown: never = topic;
      throw new WebhookPayloadError("x-shopify-topic", `unsupported topic ${String(unknown)}`);
    }
  }
}

/** The line items' count, title, SKU and price, as the generic `items` write them. */
function itemsOf(lineItems: unknown): Json[] {
  const lines = Array.isArray(lineItems)
    ? lineItems.filter((item): item is Json => item !== null && typeof item === "object")
    : [];
  return lines.map((item) => ({
    sku: text(item.sku),
    name: text(item.title) ?? text(item.name),
    quantity: Number.isInteger(item.quantity) && (item.quantity as number) > 0 ? item.quantity : 1,
    price: Number.isFinite(Number(item.price)) ? Number(item.price) : undefined,
  }));
}

/**
 * A checkout started or changed (`checkouts/create`, `checkouts/update`: the Abandoned Checkout resource of
 * the Admin REST API — `token`, `abandoned_checkout_url`, `customer`, `phone`, the addresses, `total_price`,
 * `currency`, `line_items`, `updated_at`, `completed_at` once an order was placed) as `checkout.updated`. A
 * guest who left a number is `guest-checkout-<token>`, as a guest order is `guest-<orderId>`.
 */
function checkoutUpdated(checkout: Json, defaultCountry: string): ShopEvent[] {
  const token = text(checkout.token);
  if (!token) throw new WebhookPayloadError("token", "expected the checkout's token");
  const url = text(checkout.abandoned_checkout_url);
  if (!url) throw new WebhookPayloadError("abandoned_checkout_url", "expected the checkout's recovery URL");
  const customer = addressOf(checkout.customer);
  const shipping = addressOf(checkout.shipping_address);
  const phone = phoneOf(checkout, defaultCountry);
  const known = customer.id !== undefined && customer.id !== null;
  const name = text(customer.first_name) ?? text(shipping.first_name);
  const region = addressOfShipping(shipping).address?.region;
  const completedAt = text(checkout.completed_at);
  return [
    toShopEvent({
      type: "checkout.updated",
      at: timeAt(checkout, checkout.updated_at ? "updated_at" : "created_at"),
      checkout: {
        token,
        ...(known || phone
          ? {
              customer: {
                id: known ? idAt(customer, "id") : `guest-checkout-${token}`,
                phone,
                name: name?.slice(0, 64),
              },
            }
          : {}),
        amount: moneyAt(checkout, "total_price"),
        currency: text(checkout.currency) ?? "CNY",
        items: itemsOf(checkout.line_items),
        url,
        ...(completedAt ? { completedAt } : {}),
        ...(region ? { region } : {}),
      },
    }),
  ];
}

/**
 * A customer's SMS marketing consent (`customers_marketing_consent/update`; Shopify keeps it per customer
 * since API 2025-01, outside the customer payloads: Shopify developer changelog, "New customer's webhook and
 * changes to existing customer's webhooks payload"). `subscribed` is a consent; `unsubscribed` and
 * `redacted` a withdrawal; `not_subscribed` and `pending` (a double opt-in not confirmed yet) change
 * nothing. Its time is `consent_updated_at` (else the customer's `updated_at`); its source
 * `shopify:<consent_collected_from>` ("CustomerConsentCollectedFrom": SHOPIFY or OTHER).
 */
function smsConsent(body: Json, defaultCountry: string): ShopEvent[] {
  const consent = objectAt(body.sms_marketing_consent, "sms_marketing_consent");
  const raw = text(consent.state) ?? text(consent.marketing_state);
  const state = raw?.toLowerCase();
  if (state === undefined || state === "not_subscribed" || state === "pending") return [];
  if (state !== "subscribed" && state !== "unsubscribed" && state !== "redacted")
    throw new WebhookPayloadError(
      "sms_marketing_consent.state",
      `unknown consent state ${JSON.stringify(raw)}`,
    );
  const at = text(consent.consent_updated_at) ?? text(body.updated_at);
  if (!at || Number.isNaN(Date.parse(at)))
    throw new WebhookPayloadError("sms_marketing_consent.consent_updated_at", "expected an ISO 8601 time");
  const customerId = body.customer_id !== undefined ? idAt(body, "customer_id") : idAt(body, "id");
  const collectedFrom = text(consent.consent_collected_from)?.toLowerCase();
  const phone = typeof body.phone === "string" ? toE164(body.phone, defaultCountry) : undefined;
  return [
    toShopEvent({
      type: "customer.consent",
      at,
      customerId,
      ...(phone ? { phone } : {}),
      state: state === "subscribed" ? "subscribed" : "unsubscribed",
      source: collectedFrom ? `shopify:${collectedFrom}` : "shopify",
    }),
  ];
}
