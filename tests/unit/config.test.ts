import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  parseShopConfig,
  shopConfigJsonSchema,
  templateWarnings,
} from "../../functions/core/config/config.js";
import { optOutLineOf } from "../../functions/core/config/lint.js";
import { parseDuration } from "../../functions/core/shared/duration.js";
import { problemsIn, problemsOf } from "../support/config.js";

describe("shop config", () => {
  it("fills every default from docs/design.md when the operator leaves it out", () => {
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
      "shop.journeys.paymentReminder.templates.second: unknown template variable {nmae}; allowed: {shop} {name} {orderId} {amount} {closeAt} {coupon} {couponAmount} {link}",
    ]);
  });

  it("names the path of an order-care template with an unknown variable, listing the allowed ones", () => {
    expect(
      problemsOf({
        journeys: { shipped: { templates: { firstTime: "【{shop}】{name} {trackingNumber}" } } },
      }),
    ).toEqual([
      "shop.journeys.shipped.templates.firstTime: unknown template variable {trackingNumber}; allowed: {shop} {name} {orderId} {carrier} {trackingNo} {link}",
    ]);
    expect(
      problemsOf({ journeys: { reviewCare: { templates: { request: "【{shop}】{name}，还满意吗？" } } } }),
    ).toEqual([
      'shop.journeys.reviewCare.templates.request: marketing must tell how to refuse with a keyword shopcare honours (T, TD, 退订, R, STOP): end it with "拒收请回复R"',
    ]);
  });

  it("the English example config is valid and lints clean: [Shop] signatures, STOP line, one GSM-7 segment", () => {
    const english = JSON.parse(readFileSync(new URL("../../examples/shop.en.json", import.meta.url), "utf8"));
    const config = parseShopConfig(english);
    expect(templateWarnings(config)).toEqual([]);
    expect(config.journeys.shipped.templates.firstTime).toMatch(/^\[\{shop\}\] Hi \{name\}/);
    expect(optOutLineOf(config)).toBe("Reply STOP to opt out");
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

describe("segments and campaigns in the config", () => {
  const campaign = (fields: Record<string, unknown> = {}) => ({
    id: "newyear",
    segment: "buyers",
    at: "2027-01-01T10:00:00+08:00",
    template: "【{shop}】{name}，新年快乐！回T退订",
    ...fields,
  });

  it("names the path of a wrong segment condition", () => {
    expect(problemsOf({ segments: { vip: { minSpent: 100 } } })).toEqual([
      'shop.segments.vip: Unrecognized key: "minSpent"',
    ]);
    expect(problemsOf({ segments: { vip: { stage: ["loyal"] } } })).toEqual([
      'shop.segments.vip.stage.0: Invalid option: expected one of "prospect"|"new"|"returning"|"dormant"|"churned"',
    ]);
    expect(problemsOf({ segments: { vip: { rfm: { r: [4, 2] } } } })).toEqual([
      "shop.segments.vip.rfm.r: expected [min, max] with min ≤ max",
    ]);
  });

  it("names a segment's level that members.levels does not have, and a campaign's segment that segments does not", () => {
    expect(
      problemsOf({
        members: { levels: [{ name: "银卡", minSpend: 300 }] },
        segments: { buyers: { level: ["金卡"] } },
        campaigns: [campaign({ segment: "vip" })],
      }),
    ).toEqual([
      'shop.segments.buyers.level.0: no member level "金卡" in members.levels',
      'shop.campaigns.0.segment: no segment "vip" in segments',
    ]);
  });

  it("lints a campaign's template at its path: its variables, its opt-out line, its coupon", () => {
    expect(
      problemsOf({
        segments: { buyers: {} },
        campaigns: [
          campaign({ template: "【{shop}】{name}，送您{coupon}。回T退订" }),
          campaign({ id: "no-optout", template: "【{shop}】新年快乐" }),
        ],
      }),
    ).toEqual([
      "shop.campaigns.0.template: unknown template variable {coupon}; allowed: {shop} {name} {level} {link}",
      'shop.campaigns.1.template: marketing must tell how to refuse with a keyword shopcare honours (T, TD, 退订, R, STOP): end it with "拒收请回复R"',
    ]);
    expect(() =>
      parseShopConfig({
        segments: { buyers: {} },
        campaigns: [
          campaign({
            template: "【{shop}】{name}，送您{couponAmount}元券{coupon}。回T退订",
            coupon: { amount: 20, code: "NY" },
          }),
        ],
      }),
    ).not.toThrow();
  });

  it("refuses two campaigns with one id, an until before at, and an id that is not a name", () => {
    expect(
      problemsOf({
        segments: { buyers: {} },
        campaigns: [
          campaign(),
          campaign({ id: "early", until: "2026-12-31T10:00:00+08:00" }),
          campaign({ id: "New Year" }),
        ],
      }),
    ).toEqual([
      "shop.campaigns.1.until: until must be after at",
      'shop.campaigns.2.id: expected an id like "newyear-2027" (lowercase letters, digits, dashes; at most 40)',
    ]);
    expect(problemsOf({ segments: { buyers: {} }, campaigns: [campaign(), campaign()] })).toEqual([
      "shop.campaigns.1.id: another campaign has this id",
    ]);
  });

  it("lets {level} into marketing templates only", () => {
    expect(() =>
      parseShopConfig({
        journeys: {
          gift30: { template: "【{shop}】{name}，{level}会员送您{couponAmount}元券{coupon}。回T退订" },
        },
      }),
    ).not.toThrow();
    expect(
      problemsOf({
        journeys: {
          shipped: { templates: { firstTime: "【{shop}】{name}，{level}您的订单{orderId}已发货" } },
        },
      })[0],
    ).toMatch(/^shop\.journeys\.shipped\.templates\.firstTime: unknown template variable \{level\}/);
  });
});

describe("template variants (A/B tests)", () => {
  it("lints every variant at its own path and refuses one variant, or two with one id", () => {
    const variants = (second: string) => [
      { id: "a", text: "【{shop}】{name}，送您{couponAmount}元券{coupon}。回T退订" },
      { id: "b", weight: 2, text: second },
    ];
    expect(
      problemsOf({ journeys: { gift30: { template: variants("【{shop}】{name}，满月礼{coupon}") } } }),
    ).toEqual([
      'shop.journeys.gift30.template.1.text: marketing must tell how to refuse with a keyword shopcare honours (T, TD, 退订, R, STOP): end it with "拒收请回复R"',
    ]);
    expect(
      problemsOf({ journeys: { gift30: { template: [{ id: "a", text: "【{shop}】x。回T退订" }] } } })[0],
    ).toMatch(/^shop\.journeys\.gift30\.template/);
    expect(
      problemsOf({
        journeys: {
          gift30: {
            template: [
              { id: "a", text: "【{shop}】x。回T退订" },
              { id: "a", text: "【{shop}】y。回T退订" },
            ],
          },
        },
      }),
    ).toContain("shop.journeys.gift30.template: two variants have one id");
    expect(() =>
      parseShopConfig({
        journeys: { gift30: { template: variants("【{shop}】{name}，满月礼{coupon}。回T退订") } },
      }),
    ).not.toThrow();
  });
});

describe("campaigns and variants on Aliyun", () => {
  it("needs a registered template code for each campaign, and one for each variant of an A/B-tested template", () => {
    const variants = [
      { id: "a", text: "【{shop}】{name}，新年快乐！回T退订" },
      { id: "b", text: "【{shop}】{name}，新春快乐！回T退订" },
    ];
    const aliyun = (templateCodes: Record<string, string>) => ({
      sms: { provider: "aliyun", aliyun: { signName: "茶小铺", templateCodes } },
      journeys: {
        gift30: { template: variants.map((v) => ({ ...v, text: v.text.replace("快乐", "礼{coupon}") })) },
      },
      segments: { buyers: {} },
      campaigns: [{ id: "newyear", segment: "buyers", at: "2027-01-01T10:00:00+08:00", template: variants }],
    });

    const problems = problemsIn(aliyun({}));
    const registered = problemsIn(
      aliyun({
        ...Object.fromEntries(
          problemsIn(aliyun({}))
            .map((problem) => /^shop\.sms\.aliyun\.templateCodes\.(.+?): /.exec(problem)?.[1])
            .filter((key): key is string => key !== undefined)
            .map((key) => [key, `SMS_${key}`]),
        ),
      }),
    );

    expect(problems).toContain(
      "shop.sms.aliyun.templateCodes.campaign.newyear#a: the Aliyun provider needs the template code registered for this campaign's message's variant",
    );
    expect(problems).toContain(
      "shop.sms.aliyun.templateCodes.campaign.newyear#b: the Aliyun provider needs the template code registered for this campaign's message's variant",
    );
    expect(problems).toContain(
      "shop.sms.aliyun.templateCodes.gift-30.gift#a: the Aliyun provider needs the template code registered for this template's variant",
    );
    expect(problems).not.toContain(
      "shop.sms.aliyun.templateCodes.gift-30.gift: the Aliyun provider needs the template code registered for this template",
    );
    expect(problems).toContain(
      "shop.sms.aliyun.templateCodes.payment-reminder.first: the Aliyun provider needs the template code registered for this template",
    );
    // With every code registered, variants are accepted.
    expect(registered).toEqual([]);
  });
});

describe("short links in the config", () => {
  const withLink = {
    journeys: { paymentReminder: { templates: { first: "【{shop}】{name}，订单{orderId}待付款：{link}" } } },
  };
  const spring = {
    id: "spring",
    segment: "all",
    at: "2026-03-01T10:00:00+08:00",
    template: [
      { id: "a", text: "【{shop}】{name}，春装上新。回T退订" },
      { id: "b", text: "【{shop}】{name}，春装上新：{link} 回T退订" },
    ],
  };

  it("needs links.baseUrl and the journey's or campaign's target wherever a template uses {link}", () => {
    expect(problemsOf(withLink)).toEqual([
      "shop.journeys.paymentReminder.templates.first: {link} needs links.baseUrl (the stack's LinkBaseUrl output, or the shop's short domain)",
    ]);
    expect(
      problemsOf({
        ...withLink,
        segments: { all: {} },
        campaigns: [spring],
        links: { baseUrl: "https://s.shop.cn" },
      }),
    ).toEqual([
      'shop.journeys.paymentReminder.templates.first: {link} needs a target: links.targets["payment-reminder"]',
      'shop.campaigns.0.template.1.text: {link} needs a target: links.targets["campaign.spring"]',
    ]);
    const config = parseShopConfig({
      ...withLink,
      segments: { all: {} },
      campaigns: [spring],
      links: {
        baseUrl: "https://s.shop.cn",
        targets: {
          "payment-reminder": "https://shop.cn/pay/{orderId}",
          "campaign.spring": "https://shop.cn/spring?c={customerId}",
        },
      },
    });
    expect(config.links.keepFor).toBe("180d");
  });

  it("needs links.baseUrl to turn the abandoned-checkout journey on, and no target: each link leads to its checkout", () => {
    // Arrange
    const on = { journeys: { checkout: { enabled: true } } };

    // Act
    const withoutBase = problemsOf(on);
    const withBase = problemsIn({ ...on, links: { baseUrl: "https://s.shop.cn" } });
    const off = problemsIn({});

    // Assert
    expect(withoutBase).toEqual([
      "shop.journeys.checkout.templates.reminder: {link} needs links.baseUrl (the stack's LinkBaseUrl output, or the shop's short domain)",
      "shop.journeys.checkout.templates.second: {link} needs links.baseUrl (the stack's LinkBaseUrl output, or the shop's short domain)",
    ]);
    expect(withBase).toEqual([]);
    expect(off).toEqual([]);
  });

  it("takes only http(s) targets with {orderId} and {customerId}, for journeys and campaigns that exist", () => {
    const problems = problemsOf({
      segments: { all: {} },
      campaigns: [spring],
      links: {
        baseUrl: "ftp://s.shop.cn",
        targets: {
          refund: "javascript:alert(1)",
          shipped: "https://shop.cn/track/{trackingNo}",
          "paymnt-reminder": "https://shop.cn/pay",
          "campaign.spring": "https://shop.cn/spring/{orderId}",
          arrived: "https://shop.cn/o/{orderId}?c={customerId}",
        },
      },
    });
    const target =
      'expected an http(s) URL, with only {orderId} and {customerId}, like "https://shop.cn/o/{orderId}"';
    expect(problems).toEqual([
      'shop.links.baseUrl: expected an http(s) URL like "https://s.shop.cn"',
      `shop.links.targets.refund: ${target}`,
      `shop.links.targets.shipped: ${target}`,
      'shop.links.targets.paymnt-reminder: no journey or campaign "paymnt-reminder": expected a journey id or "campaign.<id>"',
      "shop.links.targets.campaign.spring: a campaign's message is about no order: {orderId} cannot be filled in",
    ]);
  });
});
