import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseShopConfig } from "../../functions/core/config/config.js";
import { maskName } from "../../functions/core/config/messaging.js";
import { isOptOutReply, normalizeReply } from "../../functions/core/intake/replies.js";
import type { WebhookPayloadError } from "../../functions/core/intake/webhooks/payload.js";
import { shopifyToEvents } from "../../functions/core/intake/webhooks/shopify.js";
import {
  kuaidi100CallbackToken,
  kuaidi100CallbackUrl,
} from "../../functions/core/intake/webhooks/sources.js";
import { REPLACEMENT, terminalSafe, terminalSafeLines } from "../../functions/core/shared/terminal.js";
import { environmentSecrets } from "../../functions/handlers/ingest.js";
import { optOutLineCheck } from "../../functions/local/aws/doctor.js";
import { localSecretLines } from "../../functions/local/emulator/runtime.js";
import { operatorRefusal } from "../../functions/local/emulator/server.js";
import { fixture } from "../support/webhooks.js";

/** Issue 32: what a phone keyboard, a terminal and a hostile sender put in front of shopcare. */

const KEYWORDS = ["T", "TD", "退订", "R", "STOP"];

describe("opt-out keywords as a person typed them", () => {
  it("takes full-width letters, trailing punctuation, zero-width and bidi characters; leaves questions alone", () => {
    // Arrange
    const optOuts = [
      "Ｔ",
      "ｔｄ",
      "Ｔ　",
      "T。",
      "退订！",
      "stop.",
      "T\u200b",
      "\u202eTD\u202c",
      "\ufeffR",
      " 退订 ",
    ];
    const questions = ["Tea", "退订单号是多少", "TDD", "不要退订", "T D", "", "。"];

    // Act / Assert
    for (const reply of optOuts) expect(isOptOutReply(reply, KEYWORDS), JSON.stringify(reply)).toBe(true);
    for (const reply of questions) expect(isOptOutReply(reply, KEYWORDS), JSON.stringify(reply)).toBe(false);
  });

  it("matches every keyword under random wrappings of space, punctuation, invisible characters, width and case", () => {
    const wrapping = fc.array(
      fc.constantFrom(
        " ",
        "\u3000",
        "\t",
        "。",
        ".",
        "!",
        "！",
        ",",
        "，",
        "\u200b",
        "\u200d",
        "\u2060",
        "\ufeff",
        "\u200e",
        "\u202a",
        "\u2066",
      ),
      { maxLength: 4 },
    );
    const toFullWidth = (text: string) =>
      [...text]
        .map((c) => (c >= "!" && c <= "~" ? String.fromCodePoint((c.codePointAt(0) ?? 0) + 0xfee0) : c))
        .join("");
    fc.assert(
      fc.property(
        fc.constantFrom(...KEYWORDS),
        wrapping,
        wrapping,
        fc.boolean(),
        fc.constantFrom("upper", "lower", "mixed"),
        (keyword, before, after, fullWidth, letterCase) => {
          const cased =
            letterCase === "upper"
              ? keyword.toUpperCase()
              : letterCase === "lower"
                ? keyword.toLowerCase()
                : [...keyword].map((c, i) => (i % 2 ? c.toLowerCase() : c.toUpperCase())).join("");
          const typed = `${before.join("")}${fullWidth ? toFullWidth(cased) : cased}${after.join("")}`;
          return isOptOutReply(typed, KEYWORDS) && normalizeReply(typed) === normalizeReply(keyword);
        },
      ),
      { numRuns: 2_000 },
    );
  });
});

describe("nothing from outside reaches a terminal raw", () => {
  it("shows C0, C1 and ESC as U+FFFD, keeping shopcare's own newlines between lines", () => {
    expect(terminalSafe("\u001b]0;pwned\u0007")).toBe(`${REPLACEMENT}]0;pwned${REPLACEMENT}`);
    expect(terminalSafe("a\u009bb\rc\nd")).toBe(`a${REPLACEMENT}b${REPLACEMENT}c${REPLACEMENT}d`);
    expect(terminalSafeLines("one\u001b[2J\ntwo\n")).toBe(`one${REPLACEMENT}[2J\ntwo\n`);
    expect(terminalSafe("王芳，您好")).toBe("王芳，您好");
  });
});

describe("privacy as written", () => {
  it("masks every name: its first character and one star, a one-character name a star", () => {
    expect(maskName("王小明")).toBe("王*");
    expect(maskName("王芳")).toBe("王*");
    expect(maskName("王")).toBe("*");
    expect(maskName("Jon")).toBe("J*");
    expect(maskName(undefined)).toBeUndefined();
  });
});

describe("local secrets", () => {
  it("gives every source the local default while none is set, and refuses the others once one is", async () => {
    // Arrange
    const none = environmentSecrets({}, "local-default");
    const genericOnly = environmentSecrets({ SHOPCARE_GENERIC_SECRET: "g-secret" }, "local-default");

    // Act
    const defaults = await Promise.all(["generic", "shopify", "kuaidi100"].map((s) => none.get(s as never)));
    const chosen = await Promise.all(
      ["generic", "shopify", "kuaidi100"].map((s) => genericOnly.get(s as never)),
    );

    // Assert
    expect(defaults).toEqual(["local-default", "local-default", "local-default"]);
    expect(chosen).toEqual(["g-secret", undefined, undefined]);
    expect(genericOnly.missing).toBe("refused");
  });

  it("says in the banner where each source's secret comes from", () => {
    expect(localSecretLines({ SHOPCARE_GENERIC_SECRET: "g-secret" }).map((line) => line.trim())).toEqual([
      "generic    from SHOPCARE_GENERIC_SECRET",
      "shopify    none set: refused (set SHOPCARE_SHOPIFY_SECRET)",
      "kuaidi100  none set: refused (set SHOPCARE_KUAIDI100_SECRET)",
      "aliyun     none set: refused (set SHOPCARE_ALIYUN_INBOUND_TOKEN)",
    ]);
    expect(localSecretLines({})[0]?.trim()).toBe(
      'generic    "shopcare-local-secret", the local default (set SHOPCARE_GENERIC_SECRET)',
    );
  });
});

describe("the signed content decides", () => {
  it("builds Kuaidi100 callback URLs with the order's HMAC token", () => {
    const url = new URL(kuaidi100CallbackUrl("https://api.example.com/", "o/1 2", "salt"));

    expect(url.pathname).toBe("/webhooks/kuaidi100");
    expect(url.searchParams.get("orderId")).toBe("o/1 2");
    expect(url.searchParams.get("token")).toBe(kuaidi100CallbackToken("o/1 2", "salt"));
    expect(kuaidi100CallbackToken("o1", "salt")).not.toBe(kuaidi100CallbackToken("o2", "salt"));
    expect(kuaidi100CallbackToken("o1", "salt")).toMatch(/^[0-9a-f]{64}$/);
  });

  it("refuses a Shopify body that does not fit its topic, naming the field", () => {
    // Arrange: an unpaid order, and a fulfillment-less order under fulfillment topics.
    const order = JSON.parse(fixture("shopify-orders-create.json")) as Record<string, unknown>;
    const fieldOf = (topic: Parameters<typeof shopifyToEvents>[0], body: unknown) => {
      try {
        shopifyToEvents(topic, body);
        return "accepted";
      } catch (error) {
        return (error as WebhookPayloadError).field;
      }
    };

    // Act / Assert
    expect(fieldOf("orders/paid", { ...order, financial_status: "pending" })).toBe("financial_status");
    expect(fieldOf("orders/paid", { ...order, financial_status: "paid" })).toBe("accepted");
    expect(fieldOf("orders/paid", { ...order, financial_status: "partially_paid" })).toBe("accepted");
    expect(fieldOf("orders/cancelled", order)).toBe("cancelled_at");
    expect(fieldOf("orders/fulfilled", order)).toBe("fulfillments");
    expect(fieldOf("fulfillments/create", order)).toBe("order_id");
    expect(fieldOf("fulfillments/update", order)).toBe("order_id");
    expect(fieldOf("refunds/create", order)).toBe("order_id");
  });
});

describe("the local operator routes' guard", () => {
  const request = (headers: Record<string, string>, method = "POST") => ({ method, headers });
  const own = { host: "127.0.0.1:3000", "content-type": "application/json", "x-shopcare-token": "t0k3n" };

  it("names why it refuses: Host, Origin, body type, token", () => {
    expect(operatorRefusal(request(own), 3000, "t0k3n")).toBeUndefined();
    expect(operatorRefusal(request({ ...own, host: "[::1]:3000" }), 3000, "t0k3n")).toBeUndefined();
    expect(operatorRefusal(request({ ...own, host: "evil.test:3000" }), 3000, "t0k3n")).toMatch(/^Host/);
    expect(operatorRefusal(request({ ...own, origin: "null" }), 3000, "t0k3n")).toMatch(/^Origin/);
    expect(
      operatorRefusal(request({ ...own, "content-type": "text/plain;charset=UTF-8" }), 3000, "t0k3n"),
    ).toMatch(/application\/json/);
    expect(operatorRefusal(request({ ...own, "x-shopcare-token": "t0k3N" }), 3000, "t0k3n")).toMatch(/token/);
    // The page itself needs its own host, and no token (it carries it).
    expect(operatorRefusal(request({ host: "localhost:3000" }, "GET"), 3000, "t0k3n")).toBeUndefined();
    expect(operatorRefusal(request({ host: "rebind.test:3000" }, "GET"), 3000, "t0k3n")).toMatch(/^Host/);
  });
});

describe("China's opt-out line", () => {
  it("doctor suggests 拒收请回复R for a Chinese shop's own templates that end with 回T退订, naming each", () => {
    // Arrange: a deployed config from before the change still validates.
    const config = parseShopConfig({
      journeys: { gift30: { template: "【{shop}】{name}，送您{couponAmount}元券{coupon}。回T退订" } },
    });

    // Act
    const check = optOutLineCheck(config);

    // Assert
    expect(check).toMatchObject({ check: "opt-out-line", status: "warn" });
    expect(check?.fix).toContain("shop.journeys.gift30.template");
    expect(check?.fix).toContain('"拒收请回复R"');
    expect(optOutLineCheck(parseShopConfig({}))?.status).toBe("ok");
    expect(optOutLineCheck(parseShopConfig({ webhooks: { defaultCountry: "US" } }))).toBeUndefined();
  });
});
