import { describe, expect, it } from "vitest";
import { countSegments, renderTemplate } from "../../functions/core/config/template.js";

describe("templates and segments", () => {
  it("fills variables", () => {
    expect(
      renderTemplate("【{shop}】{name}您好，订单{orderId}", { shop: "Shop", name: "王芳", orderId: "o1" }),
    ).toBe("【Shop】王芳您好，订单o1");
  });

  it("counts GSM-7: 160 in one segment, then 153 per segment", () => {
    expect(countSegments("a".repeat(160))).toEqual({ encoding: "GSM-7", units: 160, segments: 1 });
    expect(countSegments("a".repeat(161)).segments).toBe(2);
    expect(countSegments("a".repeat(306)).segments).toBe(2);
    expect(countSegments("a".repeat(307)).segments).toBe(3);
  });

  it("counts GSM-7 extension characters twice", () => {
    expect(countSegments("€".repeat(80)).units).toBe(160);
    expect(countSegments("€".repeat(81)).segments).toBe(2);
  });

  it("counts UCS-2 (Chinese): 70 in one segment, then 67 per segment", () => {
    expect(countSegments("好".repeat(70))).toEqual({ encoding: "UCS-2", units: 70, segments: 1 });
    expect(countSegments("好".repeat(71)).segments).toBe(2);
    expect(countSegments("好".repeat(134)).segments).toBe(2);
    expect(countSegments("好".repeat(135)).segments).toBe(3);
  });

  it("switches the whole message to UCS-2 for one non-GSM character", () => {
    expect(countSegments(`${"a".repeat(100)}好`)).toEqual({ encoding: "UCS-2", units: 101, segments: 2 });
  });
});
