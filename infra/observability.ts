import { Duration } from "aws-cdk-lib";
import {
  Alarm,
  ComparisonOperator,
  Dashboard,
  GraphWidget,
  type IMetric,
  MathExpression,
  Metric,
  TextWidget,
  TreatMissingData,
} from "aws-cdk-lib/aws-cloudwatch";
import { SnsAction } from "aws-cdk-lib/aws-cloudwatch-actions";
import type { ITopic } from "aws-cdk-lib/aws-sns";
import type { IQueue } from "aws-cdk-lib/aws-sqs";
import { Construct } from "constructs";
import { METRIC, METRICS_NAMESPACE, METRICS_SERVICE } from "../functions/handlers/telemetry.js";
import type { JourneyStateMachine } from "./journey-state-machine.js";

/** Properties of {@link ShopcareObservability}. */
export interface ShopcareObservabilityProps {
  /** The journey machines, by journey id. */
  readonly journeys: ReadonlyMap<string, JourneyStateMachine>;
  /** Where alarms notify: the operators' topic. */
  readonly alarmTopic: ITopic;
  /** The events queue's SQS dead-letter queue (batches that crashed dispatch). */
  readonly deadLetterQueue: IQueue;
  /** Alarm when a day's SMS spend passes this, in `currency`. */
  readonly dailySpendAlarm: number;
  readonly currency: string;
  /** Provider errors in 5 minutes that raise the alarm. @default 5 */
  readonly providerErrorThreshold?: number;
}

/**
 * What operators watch: a CloudWatch dashboard (messages, skips, handoffs, conversions and cost per
 * journey; executions failed; dead letters and provider errors) and alarms on dead letters, provider
 * errors and daily SMS spend, all notifying the operators' topic. The per-machine failed / throttled /
 * timed-out alarms live with each {@link JourneyStateMachine}.
 */
export class ShopcareObservability extends Construct {
  readonly dashboard: Dashboard;
  readonly alarms: readonly Alarm[];

  constructor(scope: Construct, id: string, props: ShopcareObservabilityProps) {
    super(scope, id);
    const journeys = [...props.journeys.keys()];
    const metric = (
      metricName: string,
      dimensions: Record<string, string> = {},
      period = Duration.minutes(5),
    ) =>
      new Metric({
        namespace: METRICS_NAMESPACE,
        metricName,
        dimensionsMap: { service: METRICS_SERVICE, ...dimensions },
        statistic: "Sum",
        period,
      });
    const perJourney = (metricName: string) =>
      journeys.map((journey) => metric(metricName, { journey }).with({ label: journey }));
    const action = new SnsAction(props.alarmTopic);
    const alarm = (name: string, metricToWatch: IMetric, threshold: number, description: string) => {
      const created = new Alarm(this, name, {
        metric: metricToWatch,
        threshold,
        evaluationPeriods: 1,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: TreatMissingData.NOT_BREACHING,
        alarmDescription: description,
      });
      created.addAlarmAction(action);
      return created;
    };

    const daily = Duration.days(1);
    const spend = new MathExpression({
      expression: journeys.map((_, index) => `FILL(m${index}, 0)`).join(" + "),
      usingMetrics: Object.fromEntries(
        journeys.map((journey, index) => [`m${index}`, metric(METRIC.smsCost, { journey }, daily)]),
      ),
      period: daily,
      label: `SMS spend per day (${props.currency})`,
    });
    this.alarms = [
      alarm(
        "DeadLetters",
        metric(METRIC.deadLetters),
        1,
        "An event kept failing dispatch: see `shopcare replay --dead-letters`.",
      ),
      alarm(
        "CrashedBatches",
        props.deadLetterQueue.metricApproximateNumberOfMessagesVisible({
          period: Duration.minutes(5),
          statistic: "Maximum",
        }),
        1,
        "Dispatch batches crashed into the SQS dead-letter queue: `shopcare replay --dlq-arn`.",
      ),
      alarm(
        "ProviderErrors",
        metric(METRIC.providerErrors),
        props.providerErrorThreshold ?? 5,
        "The SMS provider keeps failing or rejecting sends.",
      ),
      alarm(
        "DailySpend",
        spend,
        props.dailySpendAlarm,
        `SMS spend passed ${props.dailySpendAlarm} ${props.currency} in a day.`,
      ),
    ];

    const graph = (title: string, left: IMetric[]) =>
      new GraphWidget({ title, left, width: 12, height: 6, stacked: true });
    this.dashboard = new Dashboard(this, "Dashboard", { dashboardName: `${scopeName(scope)}-shopcare` });
    this.dashboard.addWidgets(
      new TextWidget({
        markdown:
          "# shopcare\nMessages, skips, handoffs, conversions and cost per journey. The effect report (`npx shopcare report`) has attribution, holdout lift and ROI.",
        width: 24,
        height: 2,
      }),
    );
    this.dashboard.addWidgets(
      graph("Sent per journey", perJourney(METRIC.sent)),
      graph("Conversions per journey", perJourney(METRIC.conversions)),
    );
    this.dashboard.addWidgets(
      graph("Skipped by journey and reason", [
        new MathExpression({
          expression: `SEARCH('{${METRICS_NAMESPACE},journey,reason,service} MetricName="${METRIC.skipped}"', 'Sum', 300)`,
          label: "skipped",
          period: Duration.minutes(5),
        }),
      ]),
      graph("Handoffs per journey", perJourney(METRIC.handoffs)),
    );
    this.dashboard.addWidgets(
      graph(`SMS cost per journey (${props.currency})`, perJourney(METRIC.smsCost)),
      graph(
        "Executions failed or timed out",
        [...props.journeys].flatMap(([journey, machine]) => [
          machine.stateMachine.metricFailed({ label: `${journey} failed` }),
          machine.stateMachine.metricTimedOut({ label: `${journey} timed out` }),
        ]),
      ),
    );
    this.dashboard.addWidgets(
      graph("Dead letters and provider errors", [
        metric(METRIC.deadLetters).with({ label: "dead letters" }),
        props.deadLetterQueue.metricApproximateNumberOfMessagesVisible({ label: "crashed batches (SQS)" }),
        metric(METRIC.providerErrors).with({ label: "provider errors" }),
      ]),
    );
  }
}

function scopeName(scope: Construct): string {
  return scope.node.id.replace(/[^A-Za-z0-9_-]/g, "-");
}
