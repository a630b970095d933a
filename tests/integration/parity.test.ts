import { describe, expect, it } from "vitest";
import {
  expectedParityDecisions,
  isReturningReminderChange,
  PARITY_ORDERS,
  parityDecisions,
  parityKey,
} from "../support/parity.js";

describe("the journey redesign changes no decision of the existing journeys", () => {
  it(`decides the synthetic ${PARITY_ORDERS.toLocaleString("en")}-order month line by line as the code before it did, but for issue 22's returning-customer reminder`, async () => {
    const [actual, expected] = await Promise.all([parityDecisions(), expectedParityDecisions()]);
    const actualByKey = new Map(actual.map((line) => [parityKey(line), line]));
    // The first lines that differ, with their numbers, rather than one 80,000-line diff.
    const differing: string[] = [];
    let returningReminders = 0;
    for (const [line, was] of expected.entries()) {
      const now = actualByKey.get(parityKey(was));
      if (now === was) continue;
      if (now !== undefined && isReturningReminderChange(was, now)) {
        returningReminders += 1;
        continue;
      }
      if (differing.length < 5) differing.push(`line ${line + 1}:\n  was ${was}\n  now ${now ?? "(none)"}`);
    }
    expect(differing).toEqual([]);
    expect(actual).toHaveLength(expected.length);
    // The change bites: the synthetic month has returning customers who leave an order unpaid.
    expect(returningReminders).toBeGreaterThan(0);
  }, 300_000);
});
