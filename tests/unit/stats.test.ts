import { describe, expect, it } from "vitest";
import {
  differenceInterval,
  groupSizeToDecide,
  twoProportionP,
  wilsonInterval,
} from "../../functions/core/insight/stats.js";

/** The published values these are held to: Newcombe, "Two-sided confidence intervals for the single proportion" and "Interval estimation for the difference between independent proportions" (Statistics in Medicine, 1998). */
describe("how sure a conversion figure is", () => {
  it("gives Wilson's score interval of a rate, which stays inside [0, 1] for 0 of 20", () => {
    const rate = wilsonInterval(81, 263);
    const none = wilsonInterval(0, 20);

    expect(rate.low).toBeCloseTo(0.2553, 4);
    expect(rate.high).toBeCloseTo(0.3662, 4);
    expect(none.low).toBe(0);
    expect(none.high).toBeCloseTo(0.1611, 4);
  });

  it("gives Newcombe's hybrid score interval of a difference (his example: 56/70 against 48/80)", () => {
    const interval = differenceInterval(56, 70, 48, 80);

    expect(interval.low).toBeCloseTo(0.0524, 4);
    expect(interval.high).toBeCloseTo(0.3339, 4);
  });

  it("tests two rates against each other, and says how big the groups would have to be", () => {
    expect(twoProportionP(56, 70, 48, 80)).toBeCloseTo(0.00805, 4);
    expect(twoProportionP(5, 50, 4, 50)).toBeGreaterThan(0.05);
    expect(twoProportionP(1, 0, 1, 2)).toBe(1);
    // 10% against 8% at 95% and 80% power: about 3,211 a group, the textbook figure.
    expect(groupSizeToDecide(0.1, 0.08)).toBe(3211);
    expect(groupSizeToDecide(0.1, 0.1)).toBeUndefined();
  });
});
