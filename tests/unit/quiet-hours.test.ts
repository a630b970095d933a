import { describe, expect, it } from "vitest";
import { parseShopConfig } from "../../functions/core/config/config.js";
import {
  allowedSendTime,
  quietHoursRule,
  type RecipientPlace,
  recipientPlace,
} from "../../functions/core/engine/quiet-hours.js";
import { localPhonePlaces as phones } from "../../functions/local/emulator/phone-data.js";

/** Issue 35: quiet hours are judged in the recipient's zone, under their region's sending rules. */

const NEW_YORK_SHOP = { timeZone: "America/New_York", marketingSlots: ["09:00", "17:00"] };

/** Where a customer with only this number is, for a shop. */
const placeOfNumber = (config: ReturnType<typeof parseShopConfig>, phone: string): RecipientPlace =>
  recipientPlace(config, { phone }, phone, phones);

describe("the recipient's place", () => {
  it("takes the customer's own zone, else their address's region, else their number's, else the shop's", () => {
    // Arrange
    const config = parseShopConfig(NEW_YORK_SHOP);
    const phone = "+14155550123";

    // Act
    const own = recipientPlace(config, { phone, timeZone: "America/Denver" }, phone, phones);
    const address = recipientPlace(config, { phone, region: "US-FL" }, phone, phones);
    const number = recipientPlace(config, { phone }, phone, phones);
    const tollFree = recipientPlace(config, { phone: "+18005550123" }, "+18005550123", phones);
    const payer = recipientPlace(config, { phone, timeZone: "America/Denver" }, "+12125550123", phones);

    // Assert
    expect(own).toEqual({ zones: ["America/Denver"], zoneSource: "customer", region: "US-CA" });
    expect(address).toEqual({
      zones: ["America/Chicago", "America/New_York"],
      zoneSource: "address",
      region: "US-FL",
    });
    expect(number).toEqual({ zones: ["America/Los_Angeles"], zoneSource: "number", region: "US-CA" });
    // A toll-free number is in every North American zone: it says nothing of its holder's time.
    expect(tollFree).toEqual({ zones: ["America/New_York"], zoneSource: "shop", region: "US" });
    // A gift's payer is someone else: the customer's own zone does not speak for them.
    expect(payer).toEqual({ zones: ["America/New_York"], zoneSource: "number", region: "US-NY" });
  });
});

describe("sending times in the recipient's zone", () => {
  it("sends a New York shop's 09:00 marketing slot at 09:00 in Los Angeles to a +1 415 number", () => {
    // Arrange: 08:00 in New York, a Tuesday.
    const config = parseShopConfig(NEW_YORK_SHOP);
    const now = new Date("2026-07-07T08:00:00-04:00");

    // Act
    const toCalifornia = allowedSendTime(now, "marketing", config, placeOfNumber(config, "+14155550123"));
    const toNewYork = allowedSendTime(now, "marketing", config, placeOfNumber(config, "+12125550123"));

    // Assert
    expect(toCalifornia?.toISOString()).toBe("2026-07-07T16:00:00.000Z"); // 09:00 PDT
    expect(toNewYork?.toISOString()).toBe("2026-07-07T13:00:00.000Z"); // 09:00 EDT
  });

  it("holds a Florida number's marketing until 08:00 and never sends it after 20:00, where the shop's window is wider", () => {
    // Arrange: a shop whose own marketing window is 07:00–22:00, with slots at 07:00 and 20:30.
    const config = parseShopConfig({
      ...NEW_YORK_SHOP,
      windows: { marketing: { start: "07:00", end: "22:00" } },
      marketingSlots: ["07:00", "20:30"],
    });
    const florida = placeOfNumber(config, "+13055550123");
    const georgia = placeOfNumber(config, "+14045550123");

    // Act: from 06:00 and from 20:10 in New York (Miami's time too).
    const morning = allowedSendTime(new Date("2026-07-07T06:00:00-04:00"), "marketing", config, florida);
    const evening = allowedSendTime(new Date("2026-07-07T20:10:00-04:00"), "marketing", config, florida);
    const inGeorgia = allowedSendTime(new Date("2026-07-07T06:00:00-04:00"), "marketing", config, georgia);

    // Assert: Florida allows neither slot, so its messages go when its window opens; Georgia keeps the
    // federal 8–21 and so the 20:30 slot.
    expect(morning?.toISOString()).toBe("2026-07-07T12:00:00.000Z"); // 08:00 EDT
    expect(evening?.toISOString()).toBe("2026-07-08T12:00:00.000Z"); // 08:00 the next day, not 20:30
    expect(inGeorgia?.toISOString()).toBe("2026-07-08T00:30:00.000Z"); // 20:30 EDT
  });

  it("keeps Texas's Sunday noon, and a shop's own row replaces a default for its region", () => {
    // Arrange: Sunday 5 July 2026, 09:30 in Austin; one shop keeps the defaults, one writes its own Texas row.
    const defaults = parseShopConfig({ ...NEW_YORK_SHOP, marketingSlots: ["10:00", "13:00"] });
    const own = parseShopConfig({
      ...NEW_YORK_SHOP,
      marketingSlots: ["10:00", "13:00"],
      sendingRules: [{ region: "US-TX", start: "10:00", end: "21:00", source: "the shop's counsel" }],
    });
    const sunday = new Date("2026-07-05T09:30:00-05:00");
    const austin = "+15125550123";

    // Act
    const underDefaults = allowedSendTime(sunday, "marketing", defaults, placeOfNumber(defaults, austin));
    const underOwn = allowedSendTime(sunday, "marketing", own, placeOfNumber(own, austin));

    // Assert
    expect(underDefaults?.toISOString()).toBe("2026-07-05T18:00:00.000Z"); // 13:00 CDT: not before noon
    expect(underOwn?.toISOString()).toBe("2026-07-05T15:00:00.000Z"); // 10:00 CDT
  });

  it("gives a number in two zones only the hours both allow, and notices the shop's notice window there", () => {
    // Arrange: a South Dakota number (Central and Mountain time) and a notice due at 07:30 Central.
    const config = parseShopConfig(NEW_YORK_SHOP);
    const place = placeOfNumber(config, "+16055550123");

    // Act
    const notice = allowedSendTime(new Date("2026-07-07T07:30:00-05:00"), "notice", config, place);

    // Assert: 08:00 in Denver is 09:00 in Chicago: both windows are open from then.
    expect(place.zones).toEqual(["America/Denver", "America/North_Dakota/Center"]);
    expect(notice?.toISOString()).toBe("2026-07-07T14:00:00.000Z");
  });

  it("changes nothing for a shop's own zone and a region without rules (a Chinese shop's +86 numbers)", () => {
    // Arrange
    const config = parseShopConfig({});
    const place = placeOfNumber(config, "+8613800000000");
    const now = new Date("2026-07-07T08:00:00+08:00");

    // Act
    const at = allowedSendTime(now, "marketing", config, place);

    // Assert
    expect(place).toEqual({ zones: ["Asia/Shanghai"], zoneSource: "number", region: "CN" });
    expect(at?.toISOString()).toBe("2026-07-07T02:00:00.000Z"); // the 10:00 slot
    expect(quietHoursRule(at as Date, "marketing", config, place)).toBeUndefined();
  });
});

describe("the rule explain names", () => {
  it("names the recipient's zone and their state's stricter window", () => {
    // Arrange
    const config = parseShopConfig(NEW_YORK_SHOP);
    const sendAt = new Date("2026-07-07T13:00:00-04:00");

    // Act
    const california = quietHoursRule(sendAt, "marketing", config, placeOfNumber(config, "+14155550123"));
    const florida = quietHoursRule(
      sendAt,
      "marketing",
      config,
      recipientPlace(config, { phone: "+13055550123", region: "US-FL" }, "+13055550123", phones),
    );

    // Assert
    expect(california).toBe("recipient's quiet hours (America/Los_Angeles, California 9–21)");
    expect(florida).toBe("recipient's quiet hours (America/Chicago & America/New_York, Florida 8–20)");
  });
});
