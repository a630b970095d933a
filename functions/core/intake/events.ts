import * as z from "zod/mini";
import en from "zod/v4/locales/en.js";
import { at, birthday, id, nonNegative, phone, region, timeZone } from "./fields.js";
import { ORDER_EVENT_SCHEMAS, type OrderEventType } from "./order-events.js";

// zod/mini, not classic zod: ingest validates every webhook with these schemas, and the mini API is
// tree-shaken to what they use, which keeps the ingest bundle small. It loads no locale by itself: without
// English messages every problem would read "Invalid input".
z.config(en());

/**
 * The generic event format (docs/design.md): the contract for webhooks and for `simulate`.
 * Unknown extra fields are kept (loose objects), so adapters can pass through what they do not map.
 */

const Customer = z.looseObject({
  id,
  phone: z.optional(phone),
  name: z.optional(z.string().check(z.maxLength(64))),
  /** Platforms hand out virtual numbers that expire; after this instant the number is unreachable. */
  phoneExpiresAt: z.optional(at),
  birthday: z.optional(birthday),
  /** Their own IANA time zone, when the shop knows it: quiet hours are judged in it first. */
  timeZone: z.optional(timeZone),
});

const Item = z.looseObject({
  sku: z.optional(z.string()),
  name: z.optional(z.string()),
  category: z.optional(z.string()),
  quantity: z._default(z.int().check(z.positive()), 1),
  price: z.optional(nonNegative),
});

const Order = z.looseObject({
  id,
  customer: Customer,
  amount: nonNegative,
  currency: z._default(z.string().check(z.length(3)), "CNY"),
  paymentMethod: z._default(z.enum(["online", "cod"]), "online"),
  gift: z._default(z.boolean(), false),
  items: z._default(z.array(Item), []),
  /** The checkout the order completed (Shopify's `checkout_token`): it ends that checkout's reminders. */
  checkoutToken: z.optional(id),
  /** Who paid, when it is not the recipient (a gift): shipping notices may go to them instead. */
  payer: z.optional(z.looseObject({ phone: z.optional(phone) })),
  /** Where it ships: the customer's province and city (segments pick customers by them). */
  address: z.optional(
    z.looseObject({
      province: z.optional(z.string().check(z.maxLength(64))),
      city: z.optional(z.string().check(z.maxLength(64))),
      /** The region as ISO 3166-2 writes it (`US-FL`): the jurisdiction whose sending rules apply. */
      region: z.optional(region),
    }),
  ),
});

/**
 * A checkout the buyer started and has not completed (Shopify's checkouts/create and checkouts/update): what
 * is in it, and the URL that takes them back to it.
 */
const Checkout = z.looseObject({
  token: id,
  /** Who started it, when they gave a number or are a known customer. */
  customer: z.optional(
    z.looseObject({
      id,
      phone: z.optional(phone),
      name: z.optional(z.string().check(z.maxLength(64))),
      timeZone: z.optional(timeZone),
    }),
  ),
  amount: nonNegative,
  currency: z._default(z.string().check(z.length(3)), "CNY"),
  items: z._default(z.array(Item), []),
  /** The checkout's recovery URL: the reminder's tracked short link leads there. */
  url: z.optional(z.url({ protocol: /^https?$/, error: "expected an http(s) URL" })),
  /** When the buyer completed it (an order was placed): it needs no reminder. */
  completedAt: z.optional(at),
  /** Where it ships, when the buyer got that far: whose sending rules apply (`US-FL`). */
  region: z.optional(region),
});

/**
 * One generic event; `type` picks the variant. The events about one order are declared in
 * `order-events.ts` (their fields, the time they carry, the facts they set).
 */
export const ShopEventSchema = z.discriminatedUnion("type", [
  z.looseObject({ type: z.literal("order.created"), at, order: Order }),
  ...ORDER_EVENT_SCHEMAS,
  z
    .looseObject({
      type: z.literal("customer.opted_out"),
      at,
      customerId: z.optional(id),
      phone: z.optional(phone),
      /** How it came (`sms-reply` when a keyword reply is handed on). @default `event` */
      source: z.optional(z.string().check(z.minLength(1), z.maxLength(64))),
      /** The reply's text, when it came as one. */
      reply: z.optional(z.string().check(z.maxLength(1000))),
    })
    .check(
      z.refine((event) => event.customerId !== undefined || event.phone !== undefined, {
        error: "customerId or phone is required",
        path: ["customerId"],
      }),
    ),
  z.looseObject({ type: z.literal("customer.declined"), at, customerId: id }),
  // A checkout started or changed (the abandoned-checkout journey `checkout`): the latest by `at` stands.
  z.looseObject({ type: z.literal("checkout.updated"), at, checkout: Checkout }),
  // A customer's data rights, as a platform relays them (Shopify's customers/redact and
  // customers/data_request): forget them, or tell the operators to hand over their data (docs/data-rights.md).
  z.looseObject({ type: z.literal("customer.redact"), at, customerId: id }),
  // A platform's request to erase everything about every customer of the shop (Shopify's shop/redact, 48 hours
  // after the app was uninstalled), confirmed for this shop by its domain.
  z.looseObject({
    type: z.literal("shop.redact"),
    at,
    shop: z.string().check(z.minLength(1), z.maxLength(255)),
  }),
  z.looseObject({
    type: z.literal("customer.data_request"),
    at,
    customerId: id,
    requestId: z.optional(z.string().check(z.maxLength(128))),
  }),
  // The customer's consent to marketing by SMS, as the shop collected it (a checkout box, a form, a keyword):
  // the latest by `at` stands, and the customer's history keeps every one (docs/consent.md).
  z
    .looseObject({
      type: z.literal("customer.consent"),
      at,
      customerId: z.optional(id),
      phone: z.optional(phone),
      state: z.enum(["subscribed", "unsubscribed"]),
      /** Where it was collected: `checkout`, `shopify`, `sms-keyword`, a form's name. */
      source: z.string().check(z.minLength(1), z.maxLength(64)),
    })
    .check(
      z.refine((event) => event.customerId !== undefined || event.phone !== undefined, {
        error: "customerId or phone is required",
        path: ["customerId"],
      }),
    ),
  // New contact details or a birthday, outside an order (a CRM import, a member profile edit).
  z.looseObject({
    type: z.literal("customer.updated"),
    at,
    customer: z.looseObject({
      id,
      phone: z.optional(phone),
      name: z.optional(z.string().check(z.maxLength(64))),
      birthday: z.optional(birthday),
      timeZone: z.optional(timeZone),
    }),
  }),
]);

/** A validated generic event. */
export type ShopEvent = z.infer<typeof ShopEventSchema>;
/** An event about one order (`order-events.ts`). */
export type OrderEvent = Extract<ShopEvent, { type: OrderEventType }>;
/** The `type` values of generic events. */
export type ShopEventType = ShopEvent["type"];
/** The `checkout` of a `checkout.updated` event. */
export type CheckoutDetails = Extract<ShopEvent, { type: "checkout.updated" }>["checkout"];
/** The `order` of an `order.created` event. */
export type OrderDetails = Extract<ShopEvent, { type: "order.created" }>["order"];

/** A rejected event: where it was, which field is at fault and why. */
export interface EventProblem {
  readonly field: string;
  readonly message: string;
}

/** Thrown when an event does not match the generic format. */
export class InvalidEventError extends Error {
  constructor(readonly problems: readonly EventProblem[]) {
    super(problems.map((problem) => `${problem.field}: ${problem.message}`).join("; "));
    this.name = "InvalidEventError";
  }
}

/**
 * Validates one generic event.
 * @throws {InvalidEventError} naming the fields at fault, e.g. `order.customer.phone: expected an E.164 …`
 */
export function parseShopEvent(raw: unknown): ShopEvent {
  const result = ShopEventSchema.safeParse(raw);
  if (result.success) return result.data;
  throw new InvalidEventError(
    result.error.issues.map((issue) => ({
      field: issue.path.length > 0 ? issue.path.map(String).join(".") : "(event)",
      message: issue.message,
    })),
  );
}

/**
 * A refund's identity among its order's refunds: the platform's `refundId`, else its time and amount, so a
 * refund delivered twice is one refund (the store counts it once; the refund notice goes out once).
 */
export function refundKey(refund: {
  readonly at: string;
  readonly amount: number;
  readonly refundId?: string;
}): string {
  return refund.refundId ?? `${Date.parse(refund.at)}/${refund.amount}`;
}

/** The customer, order and number an event names, whatever its type (`order.customer`, `customerId`, …). */
export function idsNamedBy(event: ShopEvent): { customerId?: string; orderId?: string; phone?: string } {
  const named = event as {
    order?: { id?: unknown; customer?: { id?: unknown } };
    checkout?: { customer?: { id?: unknown } };
    customer?: { id?: unknown };
    customerId?: unknown;
    orderId?: unknown;
    phone?: unknown;
  };
  const text = (value: unknown) => (typeof value === "string" ? value : undefined);
  return {
    customerId: text(
      named.order?.customer?.id ?? named.checkout?.customer?.id ?? named.customer?.id ?? named.customerId,
    ),
    orderId: text(named.order?.id ?? named.orderId),
    phone: text(named.phone),
  };
}
