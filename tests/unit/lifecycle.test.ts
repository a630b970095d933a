import { describe, expect, it } from "vitest";
import { fullyRefunded } from "../../functions/core/journeys/vocabulary.js";
import type { OrderRecord } from "../../functions/core/shared/model.js";

const order = (amount: number, refundedAmount?: number): OrderRecord => ({
  orderId: "o1",
  amount,
  ...(refundedAmount === undefined ? {} : { refundedAt: "2026-01-08T12:00:00+08:00", refundedAmount }),
});

describe("fullyRefunded", () => {
  it("is true once the refunds reach the order's amount, to the cent", () => {
    // 0.7 + 0.1 is 0.7999999999999999 in floating point: the parts of 0.80 still add up to it.
    expect(fullyRefunded(order(0.8, 0.7 + 0.1))).toBe(true);
    expect(fullyRefunded(order(129, 129))).toBe(true);
    expect(fullyRefunded(order(129, 130))).toBe(true);
  });

  it("is false for a part, for no refund and for an unknown order", () => {
    expect(fullyRefunded(order(0.8, 0.79))).toBe(false);
    expect(fullyRefunded(order(129, 60))).toBe(false);
    expect(fullyRefunded(order(129))).toBe(false);
    expect(fullyRefunded(undefined)).toBe(false);
  });
});
