import { type CountryCode, parsePhoneNumberFromString } from "libphonenumber-js/min";

/**
 * A phone number in E.164 (`+8613800000000`), from whatever a platform or a customer typed: national
 * formats need the country (an address's `country_code`), international ones do not.
 * @returns undefined when the text is not a valid number
 */
export function toE164(raw: unknown, country?: unknown): string | undefined {
  if (typeof raw !== "string" || raw.trim() === "") return undefined;
  const defaultCountry = typeof country === "string" && /^[A-Z]{2}$/.test(country) ? country : undefined;
  const parsed = parsePhoneNumberFromString(raw.trim(), defaultCountry as CountryCode | undefined);
  return parsed?.isValid() ? parsed.number : undefined;
}
