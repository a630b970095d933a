import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { aliyunTemplatesOf } from "../../functions/core/config/aliyun-templates.js";
import { parseShopConfig } from "../../functions/core/config/config.js";
import { aliyunTemplateName } from "../../functions/local/cli/commands/connect-aliyun.js";
import { cli } from "../support/cli.js";
import { FakeAliyunSms } from "../support/fake-aliyun.js";

/**
 * Issue 37: `shopcare connect aliyun` as an operator runs it — a child process with their AccessKey, against
 * a protocol-level fake of Aliyun's SMS template API (signature V1 checked, 30 s pacing and a daily limit
 * enforced, templates walked through review).
 */

const SHOP = { name: "小店", sms: { provider: "aliyun", aliyun: { signName: "小店", templateCodes: {} } } };

describe("shopcare connect aliyun", () => {
  let aliyun: FakeAliyunSms;
  let config: string;
  const run = (...args: string[]) =>
    cli(["connect", "aliyun", "--config", config, ...args], {
      SHOPCARE_ALIYUN_SMS_URL: aliyun.url,
      ALIBABA_CLOUD_ACCESS_KEY_ID: "LTAI-operator",
      ALIBABA_CLOUD_ACCESS_KEY_SECRET: "operator-secret",
      SHOPCARE_ALIYUN_PACE_MS: "25",
      SHOPCARE_ALIYUN_POLL_MS: "10",
    });
  const templates = aliyunTemplatesOf(
    parseShopConfig({ ...SHOP, sms: { ...SHOP.sms, provider: "sns" } }) as Parameters<
      typeof aliyunTemplatesOf
    >[0],
  );

  beforeEach(async () => {
    aliyun = await new FakeAliyunSms("LTAI-operator", "operator-secret").start();
    aliyun.signatures.add("小店");
    aliyun.minGapMs = 20;
    config = join(mkdtempSync(join(tmpdir(), "shopcare-aliyun-")), "shop.json");
    writeFileSync(config, JSON.stringify(SHOP));
  });
  afterEach(() => aliyun.stop());

  it("takes a default config to a synthesizing one: submits, follows the review, writes the approved codes", async () => {
    // Arrange
    const before = await run();
    expect(() => parseShopConfig(JSON.parse(readFileSync(config, "utf8")))).toThrow(/templateCodes/);

    // Act
    const connected = await run("--submit", "--wait", "--write");

    // Assert
    expect(before.code, before.stderr).toBe(0);
    expect(before.stdout).toMatch(/^payment-reminder\.first\s+-\s+no code$/m);
    expect(connected.code, connected.stderr).toBe(0);
    expect(aliyun.templates).toHaveLength(templates.length);
    expect(connected.stdout).toMatch(/^signature 小店\s+-\s+approved$/m);
    const written = JSON.parse(readFileSync(config, "utf8"));
    expect(Object.keys(written.sms.aliyun.templateCodes).sort()).toEqual(templates.map((t) => t.key).sort());
    expect(() => parseShopConfig(written)).not.toThrow();
    const first = aliyun.templates.find((template) => template.name === "payment-reminder.first");
    // Aliyun writes a variable as a dollar sign and the name in braces.
    expect(first?.content).toContain(`$${"{"}orderId}`);
    expect(first?.type).toBe("1");
  });

  it("registers a template with a short link as Aliyun's link rules ask: the link's fixed part written out, only its code a variable", async () => {
    // Arrange: the abandoned-checkout reminder carries {link}.
    const withLinks = {
      ...SHOP,
      links: { baseUrl: "https://s.shop.cn/" },
      journeys: { checkout: { enabled: true } },
    };
    writeFileSync(config, JSON.stringify(withLinks));

    // Act
    const connected = await run("--submit");

    // Assert: the fake refuses a link_param not right after a fixed URL, and an unknown variable property.
    expect(connected.code, connected.stderr).toBe(0);
    const reminder = aliyun.templates.find((template) => template.name === "checkout.reminder");
    expect(reminder?.content).toContain(`https://s.shop.cn/l/$${"{"}link}`);
    const inUse = aliyunTemplatesOf(
      parseShopConfig({ ...withLinks, sms: { ...SHOP.sms, provider: "sns" } }) as Parameters<
        typeof aliyunTemplatesOf
      >[0],
    );
    expect(aliyun.templates.map((template) => template.name).sort()).toEqual(
      inUse.map((template) => aliyunTemplateName(template.key)).sort(),
    );
  });

  it("resumes where the day's limit stopped it, submitting nothing twice, and prints a rejection with its reason", async () => {
    // Arrange
    aliyun.dailyLimit = 5;
    aliyun.rejectWhen = "认识满一个月";

    // Act
    const today = await run("--submit");
    aliyun.submittedToday = 0;
    aliyun.dailyLimit = 100;
    const tomorrow = await run("--submit", "--wait");

    // Assert
    expect(today.code, today.stderr).toBe(0);
    expect(today.stderr).toContain("submitted 5: Aliyun's flow control or daily limit (100) reached");
    expect(aliyun.templates.map((t) => t.name)).toEqual([...new Set(aliyun.templates.map((t) => t.name))]);
    expect(aliyun.templates).toHaveLength(templates.length);
    expect(tomorrow.code).toBe(1);
    expect(tomorrow.stderr).toContain("gift-30.gift rejected: 模板内容不符合规范");
  });
});
