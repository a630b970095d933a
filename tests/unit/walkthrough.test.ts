import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";

/**
 * docs/adding-a-journey.md walks through a real change: `docs/adding-a-journey.patch`. It must keep
 * applying to this tree, or the walkthrough no longer shows how the code is changed.
 */
describe("the Add a journey walkthrough", () => {
  it("still applies to the tree, touching only the files the walkthrough names (generated ones aside)", () => {
    const patch = "docs/adding-a-journey.patch";

    const check = () => execFileSync("git", ["apply", "--check", patch], { encoding: "utf8", stdio: "pipe" });
    const touched = execFileSync("git", ["apply", "--numstat", patch], { encoding: "utf8" })
      .trim()
      .split("\n")
      .map((line) => line.split("\t")[2]);

    expect(check).not.toThrow();
    expect(touched).toEqual([
      "docs/events.md",
      "docs/journeys.md",
      "examples/shop.en.json",
      "functions/core/intake/order-events.ts",
      "functions/core/journeys/balance-reminder.ts",
      "functions/core/journeys/index.ts",
      "tests/integration/balance-reminder.test.ts",
    ]);
  });
});
