import { describe, expect, it } from "vitest";
import { expectedParityDecisions, PARITY_ORDERS, parityDecisions } from "../support/parity.js";

describe("the journey redesign changes no decision of the existing journeys", () => {
  it(`decides the synthetic ${PARITY_ORDERS.toLocaleString("en")}-order month line by line as the code before it did`, async () => {
    const [actual, expected] = await Promise.all([parityDecisions(), expectedParityDecisions()]);
    // The first lines that differ, with their numbers, rather than one 80,000-line diff.
    const differing: string[] = [];
    for (let line = 0; line < Math.max(actual.length, expected.length) && differing.length < 5; line += 1) {
      if (actual[line] !== expected[line])
        differing.push(
          `line ${line + 1}:\n  was ${expected[line] ?? "(none)"}\n  now ${actual[line] ?? "(none)"}`,
        );
    }
    expect(differing).toEqual([]);
    expect(actual).toHaveLength(expected.length);
  }, 300_000);
});
