/**
 * Consent kept in sync with the shop platform, one way only: an opt-out recorded here (a keyword reply, a
 * likely opt-out an operator confirmed, `shopcare forget`) withdraws the customer's SMS marketing consent
 * there too, so the platform's own tools stop marketing to them as well. Never the other way round:
 * shopcare never subscribes anyone.
 */

/** Withdraws a customer's SMS marketing consent on the shop platform (Shopify's Admin API). */
export interface ConsentWriteBack {
  /** @throws when the platform refused or could not be reached: the caller retries, then dead-letters it */
  unsubscribe(customerId: string, at: string): Promise<void>;
}

/**
 * Whether a customer id is the platform's own (Shopify's are integers): a guest (`guest-…`) or another
 * source's customer has nothing to write back to.
 */
export const isPlatformCustomerId = (customerId: string): boolean => /^[1-9]\d{0,19}$/.test(customerId);

/**
 * Writes one opt-out back: to the customer it names, or to every customer filed under the number it names.
 * @returns how many customers the platform was told about
 */
export async function writeBackOptOut(
  deps: {
    /** The customers filed under a number (`PersonalData.customersOfPhone`). */
    readonly store: { customersOfPhone(phone: string): Promise<string[]> };
    readonly consentWriteBack?: ConsentWriteBack;
  },
  subject: { readonly customerId?: string; readonly phone?: string },
  at: string,
): Promise<number> {
  const { consentWriteBack } = deps;
  if (!consentWriteBack) return 0;
  const customers = new Set<string>();
  if (subject.customerId !== undefined) customers.add(subject.customerId);
  if (subject.phone !== undefined)
    for (const customerId of await deps.store.customersOfPhone(subject.phone)) customers.add(customerId);
  let told = 0;
  for (const customerId of customers) {
    if (!isPlatformCustomerId(customerId)) continue;
    await consentWriteBack.unsubscribe(customerId, at);
    told += 1;
  }
  return told;
}
