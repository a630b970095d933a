import { describe, expect, it } from "vitest";
import { parseShopConfig } from "../../functions/core/config/config.js";
import { shopifyApiVersionCheck } from "../../functions/local/aws/doctor-shopify.js";

/** Issue 36: doctor and the Admin API version's support window ("API versioning", shopify.dev). */
describe("doctor's shopify-api-version check", () => {
  const config = parseShopConfig({ shopify: { shop: "acme.myshopify.com", apiVersion: "2026-10" } });

  it("passes a version with more than 90 days of support left", () => {
    // Act
    const result = shopifyApiVersionCheck(config, new Date("2027-07-01T00:00:00Z"));

    // Assert
    expect(result).toMatchObject({ status: "ok", summary: "Admin API 2026-10, supported until 2027-10-01" });
  });

  it("warns 90 days before the version retires, naming the current release to move to", () => {
    // Act
    const result = shopifyApiVersionCheck(config, new Date("2027-07-03T00:00:00Z"));

    // Assert
    expect(result).toMatchObject({
      status: "warn",
      summary: "Admin API 2026-10 is supported until 2027-10-01 (90 days)",
    });
    expect(result.fix).toContain("set shopify.apiVersion to 2027-07");
  });

  it("fails once the version is past its support window", () => {
    // Act
    const result = shopifyApiVersionCheck(config, new Date("2027-10-02T00:00:00Z"));

    // Assert
    expect(result.status).toBe("fail");
  });
});
