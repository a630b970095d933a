import type { Consent, CustomerRecord } from "../shared/model.js";
import { SHOPCARE_SOURCE } from "../shared/model.js";
import type { NumberMarketing } from "../shared/ports.js";

/**
 * Whether marketing may go to a customer's number (docs/consent.md). The customer's and the number's
 * records together: their latest consents and their opt-outs (an opt-out recorded before consent records
 * were kept counts as a withdrawal at its time). The latest by time decides; at the same instant a
 * withdrawal wins; a consent shopcare itself wrote never undoes a withdrawal — only the customer's does.
 * @returns the deciding record, or undefined when there is none (`unknown`)
 */
export function effectiveConsent(
  customer: Pick<CustomerRecord, "optedOutAt" | "consent"> | undefined,
  number: NumberMarketing | undefined,
): Consent | undefined {
  // Most customers have no record at all: decided before any list is built (every decision asks).
  if (!customer?.consent && !customer?.optedOutAt && !number?.consent && !number?.optedOutAt)
    return undefined;
  const withdrawal = (at: string | undefined): Consent[] =>
    at === undefined ? [] : [{ state: "unsubscribed", source: "opt-out", at }];
  const records = [
    ...(customer?.consent ? [customer.consent] : []),
    ...(number?.consent ? [number.consent] : []),
    ...withdrawal(customer?.optedOutAt),
    ...withdrawal(number?.optedOutAt),
  ].sort(
    (a, b) =>
      Date.parse(a.at) - Date.parse(b.at) || (a.state === b.state ? 0 : a.state === "unsubscribed" ? 1 : -1),
  );
  let deciding: Consent | undefined;
  for (const record of records) {
    const ownResubscribe =
      record.state === "subscribed" &&
      record.source === SHOPCARE_SOURCE &&
      deciding?.state === "unsubscribed";
    if (!ownResubscribe) deciding = record;
  }
  return deciding;
}

/** How marketing is gated: only to those who consented, or to all but those who withdrew. */
export type ConsentMode = "required" | "unless-opted-out";

/** Why marketing may not go out under `mode`: `opted-out`, `no-consent`, or undefined when it may. */
export function consentBlock(
  mode: ConsentMode,
  consent: Consent | undefined,
): "opted-out" | "no-consent" | undefined {
  if (consent?.state === "unsubscribed") return "opted-out";
  if (mode === "required" && consent?.state !== "subscribed") return "no-consent";
  return undefined;
}
