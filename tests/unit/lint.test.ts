import { describe, expect, it } from "vitest";
import { parseShopConfig, templateWarnings } from "../../functions/core/config/config.js";
import { lintTemplates, optOutLineOf } from "../../functions/core/config/lint.js";
import { DECLARED_VARIABLE_LENGTHS, TEMPLATE_SPECS } from "../../functions/core/config/templates.js";
import { problemsIn, problemsOf } from "../support/config.js";

describe("template lint", () => {
  it("passes the shipped templates with no finding at all", () => {
    expect(lintTemplates(parseShopConfig({}))).toEqual([]);
  });

  it("rejects words providers block (好评返现, 好评有礼) and a configurable list, naming the template", () => {
    expect(
      problemsOf({
        journeys: { gift30: { template: "【{shop}】{name}，好评返现{couponAmount}元！回T退订" } },
      }),
    ).toEqual(['shop.journeys.gift30.template: contains "好评返现", which SMS providers reject']);
    expect(
      problemsOf({
        lint: { bannedWords: ["刷单"] },
        journeys: { paymentReminder: { templates: { first: "【{shop}】{name}，刷单有奖" } } },
      }),
    ).toEqual(['shop.journeys.paymentReminder.templates.first: contains "刷单", which SMS providers reject']);
  });

  it("rejects a missing signature and marketing without the opt-out line", () => {
    expect(
      problemsOf({ journeys: { paymentReminder: { templates: { first: "{name}您好，请付款" } } } }),
    ).toEqual([
      "shop.journeys.paymentReminder.templates.first: missing signature: start with the shop's 【{shop}】 (or [{shop}] in Latin script)",
    ]);
    expect(
      problemsOf({ journeys: { winback: { templates: { second: "【{shop}】{name}，回来看看" } } } }),
    ).toEqual([
      'shop.journeys.winback.templates.second: marketing must tell how to refuse with a keyword shopcare honours (T, TD, 退订, R, STOP): end it with "拒收请回复R"',
    ]);
    // An English shop configures its own line; notices need none.
    const english = {
      sms: { optOutLine: "Reply STOP to opt out" },
      journeys: {
        gift30: { template: "【{shop}】{name}, a {couponAmount} gift: {coupon}. Reply STOP to opt out" },
      },
    };
    expect(problemsIn(english).filter((p) => p.includes("gift30"))).toEqual([]);
  });

  it("takes any ending that tells how to refuse with an honoured keyword: 拒收请回复R (the default), 回T退订, 回TD退订", () => {
    // Arrange: the wordings deployed shops already use, and ones that name no keyword shopcare honours.
    const gift = (ending: string) => ({
      journeys: { gift30: { template: `【{shop}】{name}，送您{couponAmount}元券{coupon}。${ending}` } },
    });
    // Act
    const problems = (ending: string) => problemsIn(gift(ending)).filter((p) => p.includes("gift30"));
    // Assert
    for (const ending of ["拒收请回复R", "回T退订", "回TD退订", "回复退订即可退订"])
      expect(problems(ending), ending).toEqual([]);
    for (const ending of ["退订请联系客服", "回复TEA有惊喜", ""])
      expect(problems(ending), ending).toHaveLength(1);
  });

  it("defaults the opt-out line to 拒收请回复R for a Chinese shop and ends every default marketing template with it", () => {
    const chinese = parseShopConfig({});
    const english = parseShopConfig({ webhooks: { defaultCountry: "US" } });
    const marketing = Object.entries(TEMPLATE_SPECS).filter(([, spec]) => spec.messageClass === "marketing");

    expect(optOutLineOf(chinese)).toBe("拒收请回复R");
    expect(optOutLineOf(english)).toBe("Reply STOP to opt out");
    expect(marketing.length).toBeGreaterThan(5);
    for (const [id, spec] of marketing) expect(spec.text, id).toMatch(/拒收请回复R$/);
    expect(chinese.sms.optOutKeywords).toEqual(expect.arrayContaining(["R", "T", "TD", "退订"]));
  });

  it("warns on a generic opening and on more than one segment at worst-case lengths; errors past maxSegments", () => {
    const config = parseShopConfig({
      journeys: { paymentReminder: { templates: { first: "【{shop}】亲，您的订单{orderId}还未付款哦" } } },
    });
    expect(templateWarnings(config)).toEqual([
      'shop.journeys.paymentReminder.templates.first: generic opening "亲": address the customer by {name} instead',
    ]);
    const long = `【{shop}】{name}您好，${"请尽快付款。".repeat(12)}`;
    const twoSegments = parseShopConfig({
      sms: { maxSegments: 2 },
      journeys: { paymentReminder: { templates: { second: long } } },
    });
    expect(templateWarnings(twoSegments)).toEqual([
      "shop.journeys.paymentReminder.templates.second: 2 SMS segments (85 UCS-2 units) at worst-case variable lengths",
    ]);
    expect(
      problemsOf({ sms: { maxSegments: 1 }, journeys: { paymentReminder: { templates: { second: long } } } }),
    ).toEqual([
      "shop.journeys.paymentReminder.templates.second: 2 SMS segments (85 UCS-2 units) at worst-case variable lengths; sms.maxSegments is 1",
    ]);
  });
});

describe("template lint of short links", () => {
  it("counts {link} at its real length, the base URL with /l/ and an 8-character code, in the segment estimate", () => {
    // 25 UCS-2 units besides the link: one segment (70) with a short domain, two with a long one.
    const template = "【{shop}】王芳您好，订单尾款请于今晚付清，点此支付：{link}";
    const config = (baseUrl: string) =>
      parseShopConfig({
        name: "小店",
        links: { baseUrl, targets: { "payment-reminder": "https://shop.cn/pay/{orderId}" } },
        journeys: { paymentReminder: { templates: { first: template } } },
      });

    const short = templateWarnings(config("https://s.shop.cn"));
    const long = templateWarnings(config("https://campaigns.example-shop-domain.com/sms/2026"));

    // 25 + 17 + 3 + 8 = 53 units; 25 + 50 + 3 + 8 = 86 units.
    expect(short).toEqual([]);
    expect(long).toEqual([
      "shop.journeys.paymentReminder.templates.first: 2 SMS segments (86 UCS-2 units) at worst-case variable lengths",
    ]);
  });
});

describe("worst-case variable lengths", () => {
  it("declares a worst-case length for every variable a journey's template may use", () => {
    const measuredFromConfig = new Set(["shop", "link"]);
    const undeclared = Object.entries(TEMPLATE_SPECS).flatMap(([id, spec]) =>
      spec.variables
        .filter((variable) => !measuredFromConfig.has(variable) && !(variable in DECLARED_VARIABLE_LENGTHS))
        .map((variable) => `${id}: {${variable}}`),
    );

    expect(undeclared).toEqual([]);
  });

  it("takes a journey's declared length, and the shop's lint.variableLengths over it", () => {
    // 58 UCS-2 units besides {promotion}: one segment (70) at payment-reminder's declared 8, two at 20 (the
    // length of a variable nobody declares).
    const template = `【{shop}】{name}您好，{promotion}活动今晚结束。${"请尽快下单".repeat(8)}`;
    const withLength = (variableLengths?: Record<string, number>) =>
      parseShopConfig({
        name: "小店",
        sms: { maxSegments: 2 },
        lint: variableLengths ? { variableLengths } : {},
        journeys: { paymentReminder: { templates: { firstPromotion: template } } },
      });

    const declared = templateWarnings(withLength());
    const overridden = templateWarnings(withLength({ promotion: 20 }));

    expect(DECLARED_VARIABLE_LENGTHS.promotion).toBe(8);
    expect(declared).toEqual([]);
    expect(overridden).toEqual([
      "shop.journeys.paymentReminder.templates.firstPromotion: 2 SMS segments (78 UCS-2 units) at worst-case variable lengths",
    ]);
  });
});
