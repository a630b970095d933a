import { afterEach, describe, expect, it, vi } from "vitest";
import { parseShopConfig } from "../../functions/core/config/config.js";
import { logger } from "../../functions/handlers/logger.js";
import { cloudWatchTelemetry } from "../../functions/handlers/telemetry.js";

/** Captures what Powertools writes: one EMF JSON document per line. */
function captureEmf(): { documents: () => Record<string, unknown>[] } {
  const lines: string[] = [];
  const capture = (chunk: unknown) => {
    lines.push(
      ...String(chunk)
        .split("\n")
        .filter((line) => line.trim().startsWith("{")),
    );
    return true;
  };
  vi.spyOn(process.stdout, "write").mockImplementation(capture as typeof process.stdout.write);
  vi.spyOn(console, "log").mockImplementation((...args: unknown[]) => void capture(args.join(" ")));
  return { documents: () => lines.map((line) => JSON.parse(line) as Record<string, unknown>) };
}

describe("CloudWatch telemetry (Embedded Metric Format)", () => {
  afterEach(() => vi.restoreAllMocks());

  it("emits sent, segments and cost per journey, skips per journey and reason, and conversions", () => {
    const emf = captureEmf();
    const telemetry = cloudWatchTelemetry(parseShopConfig({}));

    telemetry.decision({
      at: "2026-06-18T11:00:00+08:00",
      journey: "gift-30",
      step: "gift",
      customerId: "c1",
      outcome: "sent",
      template: "gift-30.gift",
      segments: 2,
    });
    telemetry.decision({
      at: "2026-06-18T11:00:00+08:00",
      journey: "winback",
      step: "first",
      customerId: "c1",
      outcome: "skipped",
      reason: "holdout",
      template: "winback.first",
    });
    telemetry.conversion("gift-30", 129);

    const docs = emf.documents();
    // One document per metric, each with its dimensions (the dashboard and the spend alarm read them).
    expect(docs.map(({ _aws, ...fields }) => fields)).toEqual([
      { service: "shopcare", journey: "gift-30", Sent: 1 },
      { service: "shopcare", journey: "gift-30", SmsSegments: 2 },
      { service: "shopcare", journey: "gift-30", SmsCost: 0.09 },
      { service: "shopcare", SmsCost: 0.09 },
      { service: "shopcare", journey: "winback", reason: "holdout", Skipped: 1 },
      { service: "shopcare", journey: "gift-30", Conversions: 1 },
      { service: "shopcare", journey: "gift-30", Revenue: 129 },
    ]);
    const metadata = docs[0]?._aws as { CloudWatchMetrics: { Namespace: string; Dimensions: string[][] }[] };
    expect(metadata.CloudWatchMetrics[0]?.Namespace).toBe("shopcare");
    expect(metadata.CloudWatchMetrics[0]?.Dimensions[0]).toEqual(
      expect.arrayContaining(["service", "journey"]),
    );
  });

  it("logs JSON with phone numbers masked, in messages and in attributes", () => {
    const emf = captureEmf();
    // The suite runs with POWERTOOLS_LOG_LEVEL=SILENT; this test needs the output.
    logger.setLogLevel("INFO");
    logger.info("sent to +8613812345678", { to: "13812345678", orderId: "820982911946154508" });
    const [line] = emf.documents();
    expect(line).toMatchObject({
      message: "sent to +86138****5678",
      to: "138****5678",
      orderId: "820982911946154508",
    });
    expect(JSON.stringify(line)).not.toContain("12345678");
    logger.setLogLevel("SILENT");
  });
});
