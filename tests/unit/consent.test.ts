import { describe, expect, it } from "vitest";
import { consentBlock, effectiveConsent } from "../../functions/core/customers/consent.js";
import type { Consent } from "../../functions/core/shared/model.js";

const consent = (state: Consent["state"], source: string, at: string): Consent => ({ state, source, at });

describe("the consent that decides marketing", () => {
  it("is unknown without records, and a withdrawal for an opt-out kept before consent records were", () => {
    const none = effectiveConsent(undefined, undefined);
    const legacy = effectiveConsent({ optedOutAt: "2026-06-01T00:00:00Z" }, undefined);

    expect(none).toBeUndefined();
    expect(legacy).toEqual(consent("unsubscribed", "opt-out", "2026-06-01T00:00:00Z"));
  });

  it("takes the latest of the customer's and the number's records, a withdrawal winning a tie", () => {
    const optIn = consent("subscribed", "checkout", "2026-06-02T00:00:00Z");
    const numberOut = { optedOutAt: "2026-06-03T00:00:00Z" };
    const tie = { consent: consent("subscribed", "form", "2026-06-03T00:00:00Z") };

    const later = effectiveConsent({ consent: optIn }, numberOut);
    const tied = effectiveConsent(tie, numberOut);

    expect(later).toEqual(consent("unsubscribed", "opt-out", "2026-06-03T00:00:00Z"));
    expect(tied?.state).toBe("unsubscribed");
  });

  it("re-subscribes after an opt-out only on the customer's own consent, never on one shopcare wrote", () => {
    const optedOut = { optedOutAt: "2026-06-01T00:00:00Z" };

    const byCustomer = effectiveConsent(
      { ...optedOut, consent: consent("subscribed", "checkout", "2026-06-05T00:00:00Z") },
      undefined,
    );
    const byShopcare = effectiveConsent(
      { ...optedOut, consent: consent("subscribed", "shopcare", "2026-06-05T00:00:00Z") },
      undefined,
    );

    expect(byCustomer?.state).toBe("subscribed");
    expect(byShopcare).toEqual(consent("unsubscribed", "opt-out", "2026-06-01T00:00:00Z"));
  });

  it("blocks marketing as the mode says: opted-out always, no-consent only when consent is required", () => {
    const out = consent("unsubscribed", "sms-reply", "2026-06-01T00:00:00Z");
    const inn = consent("subscribed", "checkout", "2026-06-01T00:00:00Z");

    const blocks = [
      consentBlock("unless-opted-out", undefined),
      consentBlock("unless-opted-out", out),
      consentBlock("required", undefined),
      consentBlock("required", out),
      consentBlock("required", inn),
    ];

    expect(blocks).toEqual([undefined, "opted-out", "no-consent", "opted-out", undefined]);
  });
});
