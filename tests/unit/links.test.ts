import { describe, expect, it } from "vitest";
import { fillTarget, LINK_CODE, linkUrl, newLinkCode } from "../../functions/core/engine/links.js";

describe("short-link codes", () => {
  it("draws 8 base62 characters, none repeated in 20,000 draws, every character about as often", () => {
    // Act
    const codes = Array.from({ length: 20_000 }, () => newLinkCode());

    // Assert
    for (const code of codes) expect(code).toMatch(LINK_CODE);
    expect(new Set(codes).size).toBe(codes.length);
    const counts = new Map<string, number>();
    for (const character of codes.join("")) counts.set(character, (counts.get(character) ?? 0) + 1);
    expect(counts.size).toBe(62);
    // 160,000 characters over 62: 2,581 each (σ ≈ 51); folding 256 bytes onto 62 would give the first 8
    // characters 25% more (5 bytes each, not 4).
    for (const count of counts.values()) expect(Math.abs(count - 160_000 / 62)).toBeLessThan(250);
  });

  it("skips the bytes a modulo would bias (248 and above) rather than folding them onto the first characters", () => {
    // Arrange: a source whose bytes run 248…255 before 0…7.
    const bytes = [248, 249, 250, 251, 252, 253, 254, 255, 0, 1, 2, 3, 4, 5, 6, 7];

    // Act
    const code = newLinkCode((size) =>
      Uint8Array.from({ length: size }, (_, index) => bytes[index % 16] ?? 0),
    );

    // Assert
    expect(code).toBe("01234567");
  });

  it("puts the code under /l/ of the base URL, and URL-encodes what fills a target", () => {
    expect(linkUrl("https://s.shop.cn/", "Ab3dE9xZ")).toBe("https://s.shop.cn/l/Ab3dE9xZ");
    expect(
      fillTarget("https://shop.cn/o/{orderId}?c={customerId}", { orderId: "A 1/2", customerId: "c&d" }),
    ).toBe("https://shop.cn/o/A%201%2F2?c=c%26d");
  });
});
