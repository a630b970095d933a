import { describe, expect, it } from "vitest";
import { parseShopConfig } from "../../functions/core/config/config.js";
import {
  applySendingRules,
  earliestSendTime,
  type SendingRuleInput,
} from "../../functions/core/engine/policy.js";
import type { Repositories as Store } from "../../functions/core/shared/ports.js";

const config = parseShopConfig({});
const iso = (local: string) => new Date(local).toISOString();

/** A store that fails the test if touched: notices and held messages must not count against caps. */
const untouchable = new Proxy({} as Store, {
  get: (_, name) => () => {
    throw new Error(`store.${String(name)} must not be called`);
  },
});

function input(now: string, overrides: Partial<SendingRuleInput> = {}): SendingRuleInput {
  return {
    config,
    store: untouchable,
    now: new Date(now),
    step: "first",
    verdict: { kind: "send", step: "first" },
    messageClass: "notice",
    dueAt: new Date(now),
    customerId: "c1",
    phone: "+8613800000000",
    ledgerKey: "payment-reminder#o1#first",
    ...overrides,
  };
}

describe("sending rules (one place for every journey)", () => {
  it("holds a notice due at night to 08:00, keeping the first due time", async () => {
    expect(await applySendingRules(input("2026-06-18T23:00:00+08:00"))).toEqual({
      kind: "hold",
      step: "first",
      sendAt: iso("2026-06-19T08:00:00+08:00"),
      dueAt: iso("2026-06-18T23:00:00+08:00"),
    });
  });

  it("skips with the deadline's reason when holding would pass it", async () => {
    const deadline = { at: new Date("2026-06-19T06:00:00+08:00"), reason: "auto-closed" };
    expect(await applySendingRules(input("2026-06-18T23:00:00+08:00", { deadline }))).toEqual({
      kind: "skip",
      step: "first",
      reason: "auto-closed",
    });
  });

  it("sends marketing only at a slot inside the marketing window", () => {
    expect(earliestSendTime(new Date("2026-06-18T08:00:00+08:00"), "marketing", config)).toEqual(
      new Date("2026-06-18T10:00:00+08:00"),
    );
    expect(earliestSendTime(new Date("2026-06-18T10:00:01+08:00"), "marketing", config)).toEqual(
      new Date("2026-06-18T17:00:00+08:00"),
    );
    expect(earliestSendTime(new Date("2026-06-18T17:30:00+08:00"), "marketing", config)).toEqual(
      new Date("2026-06-19T10:00:00+08:00"),
    );
  });

  it("keeps slots at local wall-clock time across a DST change", () => {
    const berlin = parseShopConfig({ timeZone: "Europe/Berlin" });
    // The night of 2026-03-29 loses an hour in Berlin: 10:00 is +02:00 after it, +01:00 before.
    expect(earliestSendTime(new Date("2026-03-28T18:00:00+01:00"), "marketing", berlin)).toEqual(
      new Date("2026-03-29T10:00:00+02:00"),
    );
    expect(earliestSendTime(new Date("2026-10-24T18:00:00+02:00"), "marketing", berlin)).toEqual(
      new Date("2026-10-25T10:00:00+01:00"),
    );
  });

  it("skips marketing for an opted-out customer but still lets notices through", async () => {
    const consent = { state: "unsubscribed", source: "sms-reply", at: "2026-06-01T00:00:00+08:00" } as const;
    expect(
      await applySendingRules(input("2026-06-18T10:00:00+08:00", { messageClass: "marketing", consent })),
    ).toEqual({ kind: "skip", step: "first", reason: "opted-out" });
    expect(await applySendingRules(input("2026-06-18T10:00:00+08:00", { consent }))).toEqual({
      kind: "send",
      step: "first",
    });
  });

  it("with marketing.consent required, skips marketing without consent (no-consent) and sends it with; notices need none", async () => {
    // Arrange: a US shop, where consent is required by default.
    const us = parseShopConfig({ timeZone: "America/New_York", webhooks: { defaultCountry: "US" } });
    const fits = { reserveMarketingSend: async () => true };
    const at = "2026-06-18T10:00:00-04:00";
    const subscribed = { state: "subscribed", source: "checkout", at: "2026-06-01T00:00:00Z" } as const;
    const rules = (overrides: Partial<SendingRuleInput>) =>
      applySendingRules(input(at, { config: us, store: fits, ...overrides }));

    // Act
    const without = await rules({ messageClass: "marketing" });
    const withConsent = await rules({ messageClass: "marketing", consent: subscribed });
    const notice = await rules({});

    // Assert
    expect(without).toEqual({ kind: "skip", step: "first", reason: "no-consent" });
    expect(withConsent).toEqual({ kind: "send", step: "first" });
    expect(notice).toEqual({ kind: "send", step: "first" });
  });
});
