import { z } from "zod";

/**
 * The generic event format (DESIGN.md): the contract for webhooks and for `simulate`.
 * Unknown extra fields are kept (loose objects), so adapters can pass through what they do not map.
 */

const at = z.iso.datetime({ offset: true, error: "expected an ISO 8601 time with offset" });
const id = z.string().min(1).max(128);
const phone = z
  .string()
  .regex(/^\+[1-9]\d{6,14}$/, { error: "expected an E.164 phone number like +8613800000000" });

const Customer = z.looseObject({
  id,
  phone: phone.optional(),
  name: z.string().max(64).optional(),
  /** Platforms hand out virtual numbers that expire; after this instant the number is unreachable. */
  phoneExpiresAt: at.optional(),
});

const Item = z.looseObject({
  sku: z.string().optional(),
  name: z.string().optional(),
  category: z.string().optional(),
  quantity: z.number().int().positive().default(1),
  price: z.number().nonnegative().optional(),
});

const Order = z.looseObject({
  id,
  customer: Customer,
  amount: z.number().nonnegative(),
  currency: z.string().length(3).default("CNY"),
  paymentMethod: z.enum(["online", "cod"]).default("online"),
  gift: z.boolean().default(false),
  items: z.array(Item).default([]),
});

const orderEvent = <T extends string>(type: T) => z.looseObject({ type: z.literal(type), at, orderId: id });

/** One generic event; `type` picks the variant. */
export const ShopEventSchema = z.discriminatedUnion("type", [
  z.looseObject({ type: z.literal("order.created"), at, order: Order }),
  orderEvent("order.paid"),
  orderEvent("order.cancelled"),
  orderEvent("order.shipped").extend({ carrier: z.string().min(1), trackingNo: z.string().min(1) }),
  orderEvent("parcel.arrived_city"),
  orderEvent("parcel.out_for_delivery"),
  orderEvent("parcel.delivered"),
  orderEvent("order.completed"),
  orderEvent("refund.completed").extend({ amount: z.number().nonnegative() }),
  orderEvent("review.posted").extend({
    rating: z.enum(["good", "neutral", "bad"]),
    auto: z.boolean().default(false),
    text: z.string().max(2000).optional(),
  }),
  z
    .looseObject({
      type: z.literal("customer.opted_out"),
      at,
      customerId: id.optional(),
      phone: phone.optional(),
    })
    .refine((event) => event.customerId !== undefined || event.phone !== undefined, {
      error: "customerId or phone is required",
      path: ["customerId"],
    }),
  z.looseObject({ type: z.literal("customer.declined"), at, customerId: id }),
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
