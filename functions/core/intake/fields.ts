import * as z from "zod/mini";
import { isTimeZone } from "../shared/time.js";

/** The field schemas events share: a time, an id, a phone number, an amount, a birthday. */

/** An ISO 8601 time with its offset (`2026-06-18T10:05:00+08:00`). */
export const at = z.iso.datetime({ offset: true, error: "expected an ISO 8601 time with offset" });
/** A platform's id for an order, a customer or a refund. */
export const id = z.string().check(z.minLength(1), z.maxLength(128));
/** A phone number in E.164. */
export const phone = z
  .string()
  .check(z.regex(/^\+[1-9]\d{6,14}$/, { error: "expected an E.164 phone number like +8613800000000" }));
/** An amount of money or a count that cannot be negative. */
export const nonNegative = z.number().check(z.nonnegative());

/** A birthday without the year: `"MM-DD"` (`"02-29"` is celebrated on 28 February in other years). */
export const birthday = z.string().check(
  z.regex(/^(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/, { error: 'expected a birthday like "05-20" (MM-DD)' }),
  z.refine((value) => !["02-30", "02-31", "04-31", "06-31", "09-31", "11-31"].includes(value), {
    error: "no such day in any year",
  }),
);

/** An IANA time zone (`America/Los_Angeles`), as `Intl` knows them. */
export const timeZone = z
  .string()
  .check(z.refine(isTimeZone, { error: 'expected an IANA time zone like "America/Los_Angeles"' }));

/** A country or its subdivision as ISO 3166 writes it: `US`, `US-FL`, `CN-ZJ`. */
export const region = z
  .string()
  .check(z.regex(/^[A-Z]{2}(-[A-Z0-9]{1,3})?$/, { error: 'expected an ISO 3166 region like "US-FL"' }));
