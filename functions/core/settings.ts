import * as z from "zod";
import { DURATION_HINT, isDuration } from "./duration.js";

/**
 * The zod building blocks of settings, shared by the shop config and every journey module's settings:
 * a wrong value fails with a message naming its path.
 */

/** A duration like `"60m"`, `"72h"`, `"30d"`. */
export const duration = z.string().refine(isDuration, { error: DURATION_HINT });

/** A local time of day like `"10:00"`. */
export const timeOfDay = z
  .string()
  .regex(/^([01]\d|2[0-3]):[0-5]\d$/, { error: 'expected a local time like "10:00"' });

/** Gift orders go to someone other than the buyer, whose number the order carries. */
export const giftOrders = z.enum(["skip", "send"]).default("skip");

/** A coupon: a fixed code, or one issued at send time. */
export const coupon = z
  .strictObject({
    /** The coupon code or link the message shows as `{coupon}`. */
    code: z.string().max(64).default(""),
    /** A coupon-issuing endpoint: POST `{journey, customerId, amount}` → `{"coupon": "…"}`; overrides `code`. */
    issueUrl: z.url().optional(),
  })
  .prefault({});

/** A template's text in settings, defaulting to the journey's shipped text. */
export const templateText = (defaultText: string) => z.string().min(1).default(defaultText);
