import { Metrics, MetricUnit } from "@aws-lambda-powertools/metrics";
import type { ShopConfig } from "../core/config/config.js";
import type { StepTelemetry } from "../core/engine/decide.js";
import type { DispatchTelemetry } from "../core/engine/dispatch.js";

/** The CloudWatch namespace and service dimension of every shopcare metric (the dashboard reads these). */
export const METRICS_NAMESPACE = "shopcare";
export const METRICS_SERVICE = "shopcare";

/** Metric names, shared with the dashboard and alarms in `infra/`. */
export const METRIC = {
  sent: "Sent",
  skipped: "Skipped",
  handoffs: "Handoffs",
  segments: "SmsSegments",
  smsCost: "SmsCost",
  conversions: "Conversions",
  revenue: "Revenue",
  providerErrors: "ProviderErrors",
  deadLetters: "DeadLetters",
  /** Counted from ingest's log by metric filters (infra/shopcare-stack.ts), not emitted. */
  webhooksAccepted: "WebhooksAccepted",
  webhooksNotQueued: "WebhooksNotQueued",
} as const;

const metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName: METRICS_SERVICE });

/**
 * One EMF record per metric, with its own dimensions, flushed to the log at once (no end-of-handler
 * step). A single-metric instance publishes on its first `addMetric`, so each value needs its own.
 */
function emit(
  dimensions: Record<string, string>,
  values: [string, number, (typeof MetricUnit)[keyof typeof MetricUnit]][],
): void {
  for (const [name, value, unit] of values) {
    const single = metrics.singleMetric();
    for (const [dimension, dimensionValue] of Object.entries(dimensions))
      single.addDimension(dimension, dimensionValue);
    single.addMetric(name, unit, value);
  }
}

/**
 * Decisions, provider errors, conversions and dead letters as CloudWatch metrics in Embedded Metric
 * Format: sent, segments and cost per journey; skips per journey and reason; conversions per journey.
 */
export function cloudWatchTelemetry(
  config: ShopConfig,
): StepTelemetry & DispatchTelemetry & { deadLetter(): void } {
  return {
    decision(record) {
      const journey = { journey: record.journey };
      if (record.outcome === "sent") {
        const segments = record.segments ?? 0;
        emit(journey, [
          [METRIC.sent, 1, MetricUnit.Count],
          [METRIC.segments, segments, MetricUnit.Count],
          [METRIC.smsCost, segments * config.sms.pricePerSegment, MetricUnit.NoUnit],
        ]);
        // Shop-wide as well: the spend alarm reads one metric (an alarm's math may hold at most 10, and
        // there are more journeys than that — "Alarming on metric math expressions", CloudWatch guide).
        emit({}, [[METRIC.smsCost, segments * config.sms.pricePerSegment, MetricUnit.NoUnit]]);
      } else if (record.outcome === "handoff") emit(journey, [[METRIC.handoffs, 1, MetricUnit.Count]]);
      else emit({ ...journey, reason: record.reason ?? "?" }, [[METRIC.skipped, 1, MetricUnit.Count]]);
    },
    providerError(_provider, kind) {
      emit({}, [[METRIC.providerErrors, 1, MetricUnit.Count]]);
      if (kind === "rejected" || kind === "misconfigured")
        emit({ kind }, [[METRIC.providerErrors, 1, MetricUnit.Count]]);
    },
    conversion(journey, revenue) {
      emit({ journey }, [
        [METRIC.conversions, 1, MetricUnit.Count],
        [METRIC.revenue, revenue, MetricUnit.NoUnit],
      ]);
    },
    deadLetter() {
      emit({}, [[METRIC.deadLetters, 1, MetricUnit.Count]]);
    },
  };
}
