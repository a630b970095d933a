import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  configurationReference,
  REFERENCE_END,
  REFERENCE_START,
  withReference,
} from "../../functions/local/cli/config-reference.js";

describe("the configuration reference (docs/configuration.md)", () => {
  it("lists every setting exactly as the config schema has it (npm run schema rewrites it)", () => {
    const page = readFileSync("docs/configuration.md", "utf8");

    const generated = page.slice(
      page.indexOf(REFERENCE_START),
      page.indexOf(REFERENCE_END) + REFERENCE_END.length,
    );

    expect(generated).toBe(configurationReference());
  });

  it("names nested, journey and provider settings with their defaults", () => {
    const reference = configurationReference();

    expect(reference).toContain('| `journeys.paymentReminder.firstAfter` | string | `"60m"` |');
    expect(reference).toContain(
      '| `sms.provider` | "sns" \\| "end-user-messaging" \\| "aliyun" \\| "outbox" | `"sns"` |',
    );
    expect(reference).toContain("| `caps.marketingPerDay` | integer | `1` |");
  });

  it("replaces only its own block of a page", () => {
    const page = `# Title\n\nprose\n\n${REFERENCE_START}\nstale\n${REFERENCE_END}\n\nafter\n`;

    const rewritten = withReference(page);

    expect(rewritten.startsWith("# Title\n\nprose\n\n")).toBe(true);
    expect(rewritten.endsWith("\n\nafter\n")).toBe(true);
    expect(rewritten).not.toContain("stale");
  });
});
