import * as z from "zod/mini";
import en from "zod/v4/locales/en.js";

// zod/mini, not classic zod: ingest validates every webhook with these schemas, and the mini API is
// tree-shaken to what they use, which keeps the ingest bundle small. It loads no locale by itself: without
// English messages every problem would read "Invalid input".
z.config(en());

/**
 * The generic event format (docs/design.md): the contract for webhooks and for `simulate`.
 * Unknown extra fields are kept (loose objects), so adapters can pass through what they do not map.
 */

const at = z.iso.datetime({ offset: true, error: "expected an ISO 8601 time with offset" });
const id = z.string().check(z.minLength(1), z.maxLength(128));
const phone = z
  .string()
  .check(z.regex(/^\+[1-9]\d{6,14}$/, { error: "expected an E.164 phone number like +8613800000000" }));
const nonNegative = z.number().check(z.nonnegative());

/** A birthday without the year: `"MM-DD"` (`"02-29"` is celebrated on 28 February in other years). */
const birthday = z.string().check(
  z.regex(/^(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/, { error: 'expected a birthday like "05-20" (MM-DD)' }),
  z.refine((value) => !["02-30", "02-31", "04-31", "06-31", "09-31", "11-31"].includes(value), {
    error: "no such day in any year",
  }),
);

const Customer = z.looseObject({
  id,
  phone: z.optional(phone),
  name: z.optional(z.string().check(z.maxLength(64))),
  /** Platforms hand out virtual numbers that expire; after this instant the number is unreachable. */
  phoneExpiresAt: z.optional(at),
  birthday: z.optional(birthday),
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
  /** Who paid, when it is not the recipient (a gift): shipping notices may go to them instead. */
  payer: z.optional(z.looseObject({ phone: z.optional(phone) })),
  /** Where it ships: the customer's province and city (segments pick customers by them). */
  address: z.optional(
    z.looseObject({
      province: z.optional(z.string().check(z.maxLength(64))),
      city: z.optional(z.string().check(z.maxLength(64))),
    }),
  ),
});

const orderEvent = <T extends string, S extends z.core.$ZodLooseShape = Record<never, never>>(
  type: T,
  extra?: S,
) => z.looseObject({ type: z.literal(type), at, orderId: id, ...(extra as S) });

/** One generic event; `type` picks the variant. */
export const ShopEventSchema = z.discriminatedUnion("type", [
  z.looseObject({ type: z.literal("order.created"), at, order: Order }),
  orderEvent("order.paid"),
  orderEvent("order.cancelled"),
  orderEvent("order.shipped", {
    carrier: z.string().check(z.minLength(1)),
    trackingNo: z.string().check(z.minLength(1)),
  }),
  orderEvent("parcel.arrived_city"),
  orderEvent("parcel.out_for_delivery"),
  orderEvent("parcel.delivered"),
  // A parcel in trouble: stuck, lost, damaged or mis-sorted (物流异常, 疑难件); `reason` as the carrier says it.
  orderEvent("parcel.exception", { reason: z.optional(z.string().check(z.maxLength(200))) }),
  // Refused by the buyer (拒签): customer service may still save the sale before it goes back.
  orderEvent("parcel.rejected"),
  // On its way back to the shop (退签, 退回).
  orderEvent("parcel.returned"),
  // Customer service reminded the buyer to pay, in chat: the SMS reminder waits on.
  orderEvent("order.reminded", { by: z._default(z.enum(["cs"]), "cs") }),
  orderEvent("order.completed"),
  // One refund of an order (orders can be refunded in parts). `refundId` is the platform's id for it, which
  // tells two equal partial refunds from one refund delivered twice.
  orderEvent("refund.completed", { amount: nonNegative, refundId: z.optional(id) }),
  orderEvent("review.posted", {
    rating: z.enum(["good", "neutral", "bad"]),
    auto: z._default(z.boolean(), false),
    text: z.optional(z.string().check(z.maxLength(2000))),
  }),
  z
    .looseObject({
      type: z.literal("customer.opted_out"),
      at,
      customerId: z.optional(id),
      phone: z.optional(phone),
    })
    .check(
      z.refine((event) => event.customerId !== undefined || event.phone !== undefined, {
        error: "customerId or phone is required",
        path: ["customerId"],
      }),
    ),
  z.looseObject({ type: z.literal("customer.declined"), at, customerId: id }),
  // New contact details or a birthday, outside an order (a CRM import, a member profile edit).
  z.looseObject({
    type: z.literal("customer.updated"),
    at,
    customer: z.looseObject({
      id,
      phone: z.optional(phone),
      name: z.optional(z.string().check(z.maxLength(64))),
      birthday: z.optional(birthday),
    }),
  }),
]);

/** A validated generic event. */
export type ShopEvent = z.infer<typeof ShopEventSchema>;
/** The `type` values of generic events. */
export type ShopEventType = ShopEvent["type"];
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
