import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parseShopConfig, shopConfigJsonSchema, templateWarnings } from "../../functions/core/config.js";
import { parseDuration } from "../../functions/core/duration.js";
import { problemsOf } from "../support/config.js";

describe("shop config", () => {
  it("fills every default from DESIGN.md when the operator leaves it out", () => {
    const config = parseShopConfig({});
    expect(config.timeZone).toBe("Asia/Shanghai");
    expect(config.windows).toEqual({
      notice: { start: "08:00", end: "22:00" },
      marketing: { start: "09:00", end: "21:00" },
    });
    expect(config.marketingSlots).toEqual(["10:00", "17:00"]);
    expect(config.journeys.paymentReminder).toMatchObject({
      firstAfter: "60m",
      firstAfterInPromotion: "10m",
      secondAt: "10:00",
      autoCloseAfter: "72h",
      highValueAmount: 1000,
    });
  });

  it("keeps what the operator set and defaults the rest of the same object", () => {
    const config = parseShopConfig({ journeys: { paymentReminder: { firstAfter: "30m" } } });
    expect(config.journeys.paymentReminder.firstAfter).toBe("30m");
    expect(config.journeys.paymentReminder.autoCloseAfter).toBe("72h");
  });

  it("names the path of a wrong duration", () => {
    expect(problemsOf({ journeys: { paymentReminder: { firstAfter: "an hour" } } })).toEqual([
      'shop.journeys.paymentReminder.firstAfter: expected a duration like "60m"',
    ]);
  });

  it("names wrong time zones, times of day, unknown keys and reversed windows", () => {
    expect(problemsOf({ timeZone: "Mars/Olympus" })).toEqual([
      'shop.timeZone: expected an IANA time zone like "Asia/Shanghai"',
    ]);
    expect(problemsOf({ marketingSlots: ["9am"] })).toEqual([
      'shop.marketingSlots.0: expected a local time like "10:00"',
    ]);
    expect(problemsOf({ windows: { notice: { start: "22:00", end: "08:00" } } })).toEqual([
      "shop.windows.notice: window start must be before its end",
    ]);
    expect(problemsOf({ jouneys: {} })[0]).toMatch(/^shop: Unrecognized key: "jouneys"/);
  });

  it("rejects a template that uses an unknown variable, naming the template's path", () => {
    expect(
      problemsOf({ journeys: { paymentReminder: { templates: { second: "【{shop}】{nmae}" } } } }),
    ).toEqual([
      "shop.journeys.paymentReminder.templates.second: unknown template variable {nmae}; allowed: {shop} {name} {orderId} {amount} {closeAt} {coupon} {couponAmount}",
    ]);
  });

  it("names the path of an order-care template with an unknown variable, listing the allowed ones", () => {
    expect(
      problemsOf({
        journeys: { shipped: { templates: { firstTime: "【{shop}】{name} {trackingNumber}" } } },
      }),
    ).toEqual([
      "shop.journeys.shipped.templates.firstTime: unknown template variable {trackingNumber}; allowed: {shop} {name} {orderId} {carrier} {trackingNo}",
    ]);
    expect(
      problemsOf({ journeys: { reviewCare: { templates: { request: "【{shop}】{name}，还满意吗？" } } } }),
    ).toEqual([
      'shop.journeys.reviewCare.templates.request: marketing must carry the opt-out line "回T退订"',
    ]);
  });

  it("the English example config is valid and lints clean: [Shop] signatures, STOP line, one GSM-7 segment", () => {
    const english = JSON.parse(readFileSync(new URL("../../examples/shop.en.json", import.meta.url), "utf8"));
    const config = parseShopConfig(english);
    expect(templateWarnings(config)).toEqual([]);
    expect(config.journeys.shipped.templates.firstTime).toMatch(/^\[\{shop\}\] Hi \{name\}/);
    expect(config.sms.optOutLine).toBe("Reply STOP to opt out");
  });

  it("parses human durations, compound ones included", () => {
    expect(parseDuration("10m")).toBe(600_000);
    expect(parseDuration("72h")).toBe(259_200_000);
    expect(parseDuration("1h30m")).toBe(5_400_000);
    expect(() => parseDuration("10 minutes")).toThrow(/expected a duration like "60m"/);
  });

  it("the committed JSON Schema is the one the code generates (run `npm run schema` after changing it)", () => {
    const committed = JSON.parse(
      readFileSync(new URL("../../shopcare.schema.json", import.meta.url), "utf8"),
    );
    expect(committed).toEqual(shopConfigJsonSchema());
  });

  it("cdk.json's shop config is valid", () => {
    const cdk = JSON.parse(readFileSync(new URL("../../cdk.json", import.meta.url), "utf8"));
    expect(() => parseShopConfig(cdk.context.shop)).not.toThrow();
  });
});
