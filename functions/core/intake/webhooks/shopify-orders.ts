import type { ShopEvent } from "../events.js";
import { toShopEvent, WebhookPayloadError } from "./payload.js";
import { toE164 } from "./phone.js";

/**
 * A Shopify order as the GraphQL Admin API's `orders` query returns it (the fields `shopcare import
 * --shopify` asks for: GraphQL Admin API reference, "Order", "orders"), turned into the generic events a
 * live shop would have received for it: `order.created`, `order.paid` (the buyer paid as far as they can
 * tell: `displayFinancialStatus` PAID, AUTHORIZED, PARTIALLY_PAID or refunded — the webhooks' rule),
 * `order.cancelled`, `order.shipped` per fulfillment with a tracking number, `refund.completed` per refund.
 */

type Money = { readonly shopMoney?: { readonly amount?: string; readonly currencyCode?: string } };
type Address = {
  readonly firstName?: string | null;
  readonly phone?: string | null;
  readonly city?: string | null;
  readonly province?: string | null;
  readonly provinceCode?: string | null;
  readonly countryCodeV2?: string | null;
};

/** The order fields the import reads. */
export interface ShopifyOrderNode {
  readonly id: string;
  readonly createdAt: string;
  readonly processedAt?: string | null;
  readonly cancelledAt?: string | null;
  readonly displayFinancialStatus?: string | null;
  readonly phone?: string | null;
  readonly totalPriceSet?: Money;
  readonly paymentGatewayNames?: readonly string[];
  readonly customer?: {
    readonly id: string;
    readonly firstName?: string | null;
    readonly phone?: string | null;
  } | null;
  readonly shippingAddress?: Address | null;
  readonly billingAddress?: Address | null;
  readonly lineItems?: {
    readonly nodes: readonly {
      readonly sku?: string | null;
      readonly title?: string | null;
      readonly quantity?: number;
      readonly originalUnitPriceSet?: Money;
    }[];
  };
  readonly fulfillments?: readonly {
    readonly createdAt: string;
    readonly trackingInfo?: readonly { readonly number?: string | null; readonly company?: string | null }[];
  }[];
  readonly refunds?: readonly {
    readonly id: string;
    readonly createdAt: string;
    readonly totalRefundedSet?: Money;
  }[];
}

const LINE_ITEM_FIELDS = "sku title quantity originalUnitPriceSet { shopMoney { amount } }";

const FIELDS = `id createdAt processedAt cancelledAt displayFinancialStatus phone
  totalPriceSet { shopMoney { amount currencyCode } } paymentGatewayNames
  customer { id firstName phone }
  shippingAddress { firstName phone city province provinceCode countryCodeV2 }
  billingAddress { phone countryCodeV2 }
  fulfillments(first: 10) { createdAt trackingInfo(first: 1) { number company } }
  refunds(first: 20) { id createdAt totalRefundedSet { shopMoney { amount } } }`;

/** The fields of {@link ShopifyOrderNode}, as the paged `orders` query selects them. */
export const ORDER_FIELDS = `${FIELDS} lineItems(first: 50) { nodes { ${LINE_ITEM_FIELDS} } }`;

/**
 * The same in a bulk operation's query, where connections are written out as edges and every node comes
 * back as a line of its own ("Perform bulk operations with the GraphQL Admin API").
 */
export const BULK_ORDER_FIELDS = `${FIELDS} lineItems { edges { node { ${LINE_ITEM_FIELDS} } } }`;

const PAID = new Set(["PAID", "AUTHORIZED", "PARTIALLY_PAID", "PARTIALLY_REFUNDED", "REFUNDED"]);

/** `gid://shopify/Order/820982911946154508` → `820982911946154508`. */
function legacyId(gid: string, field: string): string {
  const id = /^gid:\/\/shopify\/\w+\/(\d+)$/.exec(gid)?.[1];
  if (!id) throw new WebhookPayloadError(field, `expected a Shopify global id, got ${JSON.stringify(gid)}`);
  return id;
}

const text = (value: unknown): string | undefined =>
  typeof value === "string" && value.trim() !== "" ? value.trim() : undefined;

function region(address: Address | null | undefined): string | undefined {
  const country = text(address?.countryCodeV2)?.toUpperCase();
  if (!country || !/^[A-Z]{2}$/.test(country)) return undefined;
  const subdivision = text(address?.provinceCode)?.toUpperCase();
  return subdivision && /^[A-Z0-9]{1,3}$/.test(subdivision) ? `${country}-${subdivision}` : country;
}

/** The events a live shop would have received for one order. */
export function eventsOfShopifyOrder(order: ShopifyOrderNode, defaultCountry = "CN"): ShopEvent[] {
  const orderId = legacyId(order.id, "id");
  const shipping = order.shippingAddress ?? undefined;
  const country =
    text(shipping?.countryCodeV2) ?? text(order.billingAddress?.countryCodeV2) ?? defaultCountry;
  const phone =
    toE164(order.phone, country) ??
    toE164(order.customer?.phone, country) ??
    toE164(shipping?.phone, country) ??
    toE164(order.billingAddress?.phone, country);
  const customerId = order.customer ? legacyId(order.customer.id, "customer.id") : `guest-${orderId}`;
  const name = text(order.customer?.firstName) ?? text(shipping?.firstName);
  const at = order.createdAt;
  const events: unknown[] = [
    {
      type: "order.created",
      at,
      order: {
        id: orderId,
        customer: { id: customerId, phone, name: name?.slice(0, 64) },
        amount: Number(order.totalPriceSet?.shopMoney?.amount ?? 0),
        currency: order.totalPriceSet?.shopMoney?.currencyCode ?? "CNY",
        paymentMethod: (order.paymentGatewayNames ?? []).some((gateway) =>
          /cash on delivery|\bcod\b/i.test(gateway),
        )
          ? "cod"
          : "online",
        items: (order.lineItems?.nodes ?? []).map((item) => ({
          sku: text(item.sku),
          name: text(item.title),
          quantity: Number.isInteger(item.quantity) && (item.quantity ?? 0) > 0 ? item.quantity : 1,
          price: Number(item.originalUnitPriceSet?.shopMoney?.amount ?? Number.NaN) || undefined,
        })),
        ...(shipping && (text(shipping.province) || text(shipping.city) || region(shipping))
          ? {
              address: {
                province: text(shipping.province)?.slice(0, 64),
                city: text(shipping.city)?.slice(0, 64),
                ...(region(shipping) ? { region: region(shipping) } : {}),
              },
            }
          : {}),
      },
    },
  ];
  if (PAID.has(String(order.displayFinancialStatus)))
    events.push({ type: "order.paid", at: order.processedAt ?? at, orderId });
  // A voided authorization is a cancellation, as on `orders/create`.
  const cancelledAt =
    order.cancelledAt ?? (order.displayFinancialStatus === "VOIDED" ? (order.processedAt ?? at) : undefined);
  if (cancelledAt) events.push({ type: "order.cancelled", at: cancelledAt, orderId });
  for (const fulfillment of order.fulfillments ?? []) {
    const tracking = fulfillment.trackingInfo?.[0];
    if (!text(tracking?.number)) continue;
    events.push({
      type: "order.shipped",
      at: fulfillment.createdAt,
      orderId,
      carrier: text(tracking?.company) ?? "—",
      trackingNo: text(tracking?.number),
    });
  }
  for (const refund of order.refunds ?? [])
    events.push({
      type: "refund.completed",
      at: refund.createdAt,
      orderId,
      amount: Number(refund.totalRefundedSet?.shopMoney?.amount ?? 0),
      refundId: legacyId(refund.id, "refunds.id"),
    });
  return events.map((event) => toShopEvent(event, `orders[${orderId}].`));
}
