import { Duration } from "aws-cdk-lib";
import {
  Alarm,
  type AlarmProps,
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
import type { IFunction } from "aws-cdk-lib/aws-lambda";
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
  /** Replies and receipts the inbound-sns function could not apply (after Lambda's async retries). */
  readonly inboundDeadLetterQueue: IQueue;
  /**
   * Campaign starts EventBridge Scheduler gave up on (after 6 hours of retries).
   * @default no campaign alarm (a config without campaigns)
   */
  readonly campaignDeadLetterQueue?: IQueue;
  /**
   * No webhook accepted for this long inside the notice window raises the silence alarm. Whole hours.
   * @default Duration.hours(6)
   */
  readonly silentAfter?: Duration;
  /** The notice window in UTC hours, `[startHour, endHour)`; outside it silence is expected. @default all day */
  readonly noticeWindow?: { readonly startHour: number; readonly endHour: number };
  /** Alarm when a day's SMS spend passes this, in `currency`. */
  readonly dailySpendAlarm: number;
  readonly currency: string;
  /** Provider errors in 5 minutes that raise the alarm. @default 5 */
  readonly providerErrorThreshold?: number;
  /**
   * The function behind `GET /l/{code}`: its errors are customers' links answering 5xx.
   * @default no short-link alarm
   */
  readonly linkFunction?: IFunction;
}

/** One of shopcare's own metrics (telemetry's namespace and service), summed over `period`. */
function metric(
  metricName: string,
  dimensions: Record<string, string> = {},
  period = Duration.minutes(5),
): Metric {
  return new Metric({
    namespace: METRICS_NAMESPACE,
    metricName,
    dimensionsMap: { service: METRICS_SERVICE, ...dimensions },
    statistic: "Sum",
    period,
  });
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

  private readonly action: SnsAction;

  constructor(scope: Construct, id: string, props: ShopcareObservabilityProps) {
    super(scope, id);
    this.action = new SnsAction(props.alarmTopic);
    this.alarms = this.createAlarms(props);
    this.dashboard = this.createDashboard(scope, props);
  }

  /** An alarm to the operators' topic: breaching at `threshold` in one period unless `shape` says more. */
  private alarm(
    name: string,
    metricToWatch: IMetric,
    threshold: number,
    description: string,
    shape: Partial<
      Pick<AlarmProps, "evaluationPeriods" | "datapointsToAlarm" | "comparisonOperator" | "treatMissingData">
    > = {},
  ): Alarm {
    const created = new Alarm(this, name, {
      metric: metricToWatch,
      threshold,
      evaluationPeriods: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: TreatMissingData.NOT_BREACHING,
      alarmDescription: description,
      ...shape,
    });
    created.addAlarmAction(this.action);
    return created;
  }

  /** The shop's alarms: dead letters, the provider, campaigns not started, short links, webhooks, spend. */
  private createAlarms(props: ShopcareObservabilityProps): Alarm[] {
    const alarm = this.alarm.bind(this);
    const daily = Duration.days(1);
    // The shop-wide cost metric (telemetry emits it beside the per-journey ones): an alarm's metric math
    // may hold at most 10 metrics ("Alarming on metric math expressions", CloudWatch user guide), fewer
    // than the journeys.
    const spend = metric(METRIC.smsCost, {}, daily);
    return [
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
        "ProviderMisconfigured",
        metric(METRIC.providerErrors, { kind: "misconfigured" }),
        1,
        "The SMS provider refuses the account itself (access denied, bad key, sandbox, spend limit): sends are retried, not sent. Run `npx shopcare doctor`.",
      ),
      alarm(
        "InboundDeadLetters",
        props.inboundDeadLetterQueue.metricApproximateNumberOfMessagesVisible({
          period: Duration.minutes(5),
          statistic: "Maximum",
        }),
        1,
        "Opt-outs, delivery receipts or link clicks could not be applied and wait in the inbound dead-letter queue.",
      ),
      ...(props.campaignDeadLetterQueue
        ? [
            alarm(
              "CampaignNotStarted",
              props.campaignDeadLetterQueue.metricApproximateNumberOfMessagesVisible({
                period: Duration.minutes(5),
                statistic: "Maximum",
              }),
              1,
              "A campaign's schedule could not start it (AccessDenied, a missing alias, throttling for 6 hours): run `npx shopcare doctor`, fix the cause, then `npx shopcare campaign status ID --table …` and deploy again to start it late.",
            ),
          ]
        : []),
      ...(props.linkFunction
        ? [
            alarm(
              "ShortLinkErrors",
              props.linkFunction.metricErrors({ period: Duration.minutes(5), statistic: "Sum" }),
              5,
              "Customers' short links answer errors (GET /l/{code}: the link function fails): see its log group.",
            ),
          ]
        : []),
      alarm(
        "WebhooksNotQueued",
        metric(METRIC.webhooksNotQueued),
        1,
        "A webhook was kept but its events could not be queued (answered 5xx): the sender's retry queues it; if none comes, `shopcare replay --from … --to …`.",
      ),
      this.silenceAlarm(props),
      alarm(
        "DailySpend",
        spend,
        props.dailySpendAlarm,
        `SMS spend passed ${props.dailySpendAlarm} ${props.currency} in a day.`,
      ),
    ];
  }

  /** The operators' dashboard: messages, skips, handoffs, conversions and cost per journey; failures. */
  private createDashboard(scope: Construct, props: ShopcareObservabilityProps): Dashboard {
    const perJourney = (metricName: string) =>
      [...props.journeys.keys()].map((journey) => metric(metricName, { journey }).with({ label: journey }));
    const graph = (title: string, left: IMetric[]) =>
      new GraphWidget({ title, left, width: 12, height: 6, stacked: true });
    const dashboard = new Dashboard(this, "Dashboard", { dashboardName: `${scopeName(scope)}-shopcare` });
    dashboard.addWidgets(
      new TextWidget({
        markdown:
          "# shopcare\nMessages, skips, handoffs, conversions and cost per journey. The effect report (`npx shopcare report`) has attribution, holdout lift and ROI.",
        width: 24,
        height: 2,
      }),
    );
    dashboard.addWidgets(
      graph("Sent per journey", perJourney(METRIC.sent)),
      graph("Conversions per journey", perJourney(METRIC.conversions)),
    );
    dashboard.addWidgets(
      graph("Skipped by journey and reason", [
        new MathExpression({
          expression: `SEARCH('{${METRICS_NAMESPACE},journey,reason,service} MetricName="${METRIC.skipped}"', 'Sum', 300)`,
          label: "skipped",
          period: Duration.minutes(5),
        }),
      ]),
      graph("Handoffs per journey", perJourney(METRIC.handoffs)),
    );
    dashboard.addWidgets(
      graph(`SMS cost per journey (${props.currency})`, perJourney(METRIC.smsCost)),
      graph(
        "Executions failed or timed out",
        [...props.journeys].flatMap(([journey, machine]) => [
          machine.stateMachine.metricFailed({ label: `${journey} failed` }),
          machine.stateMachine.metricTimedOut({ label: `${journey} timed out` }),
        ]),
      ),
    );
    dashboard.addWidgets(
      graph("Dead letters and provider errors", [
        metric(METRIC.deadLetters).with({ label: "dead letters" }),
        props.deadLetterQueue.metricApproximateNumberOfMessagesVisible({ label: "crashed batches (SQS)" }),
        metric(METRIC.providerErrors).with({ label: "provider errors" }),
      ]),
    );
    return dashboard;
  }

  /**
   * No webhook accepted for `silentAfter` inside the notice window. Hourly sums with the gaps filled with 0
   * (`FILL`); hours outside the window count as 1 (`HOUR()` is UTC), so only in-window silence adds up to
   * the alarm's run of breaching hours ("Metric math syntax and functions", CloudWatch user guide).
   */
  private silenceAlarm(props: ShopcareObservabilityProps): Alarm {
    const hours = Math.max(1, Math.round((props.silentAfter ?? Duration.hours(6)).toHours()));
    const { startHour, endHour } = props.noticeWindow ?? { startHour: 0, endHour: 24 };
    const inWindow =
      startHour === endHour
        ? "1"
        : startHour < endHour
          ? `(HOUR(filled) >= ${startHour} AND HOUR(filled) < ${endHour})`
          : `(HOUR(filled) >= ${startHour} OR HOUR(filled) < ${endHour})`;
    const accepted = metric(METRIC.webhooksAccepted, {}, Duration.hours(1));
    const silence = new MathExpression({
      expression: `IF(${inWindow}, filled, 1)`,
      usingMetrics: {
        filled: new MathExpression({ expression: "FILL(accepted, 0)", usingMetrics: { accepted } }),
      },
      period: Duration.hours(1),
      label: "webhooks accepted per hour in the notice window",
    });
    const created = new Alarm(this, "WebhooksSilent", {
      metric: silence,
      threshold: 1,
      evaluationPeriods: hours,
      datapointsToAlarm: hours,
      comparisonOperator: ComparisonOperator.LESS_THAN_THRESHOLD,
      // FILL gives every hour a value; should the whole range come back empty, that is silence too.
      treatMissingData: TreatMissingData.BREACHING,
      alarmDescription: `No webhook accepted for ${hours} h inside the notice window: check the platform's webhook subscription and the signing secrets (\`npx shopcare doctor\`).`,
    });
    created.addAlarmAction(this.action);
    return created;
  }
}

function scopeName(scope: Construct): string {
  return scope.node.id.replace(/[^A-Za-z0-9_-]/g, "-");
}
