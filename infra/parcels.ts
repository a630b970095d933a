import { Duration } from "aws-cdk-lib";
import { Alarm, ComparisonOperator, TreatMissingData } from "aws-cdk-lib/aws-cloudwatch";
import type { ITable } from "aws-cdk-lib/aws-dynamodb";
import type { IGrantable } from "aws-cdk-lib/aws-iam";
import { SqsEventSource } from "aws-cdk-lib/aws-lambda-event-sources";
import { FilterPattern, MetricFilter } from "aws-cdk-lib/aws-logs";
import type { ISecret } from "aws-cdk-lib/aws-secretsmanager";
import { Queue, QueueEncryption } from "aws-cdk-lib/aws-sqs";
import type { Construct } from "constructs";
import type { ShopConfig } from "../functions/core/config/config.js";
import type { OperatorsChannel } from "./operators.js";
import { StackRoom } from "./rooms.js";
import { ShopFunction } from "./shop-function.js";

/** Tries SQS makes of one task before its dead-letter queue (the function's own retries are tasks). */
const MAX_RECEIVE_COUNT = 5;
const TRACKING_TIMEOUT = Duration.seconds(30);

/** Properties of {@link ParcelTracking}. */
export interface ParcelTrackingProps {
  readonly config: ShopConfig;
  readonly table: ITable;
  readonly operators: OperatorsChannel;
  /** The webhook secrets (`kuaidi100`, `kuaidi100Key`, `kuaidi100Customer`): the function's only secret. */
  readonly webhookSecret: ISecret;
  /** The stack's webhook API root: callback URLs are `<root>webhooks/kuaidi100?orderId=…&token=…`. */
  readonly webhookBaseUrl: string;
}

/**
 * Parcels subscribed with Kuaidi100 (`functions/core/parcels/subscriptions.ts`): dispatch queues a try per
 * shipped order; the tracking function — the webhook secret's read grant, the table, the operators' topic,
 * nothing else — calls Kuaidi100's `poll` API off the ingest path, queueing its own retries with a delay.
 * Alarms: a task that crashed five times (dead-letter queue), and any subscription handed to the operators.
 */
export class ParcelTracking extends StackRoom {
  /** Where tries wait. */
  readonly queue: Queue;
  /** Tries that crashed the function `MAX_RECEIVE_COUNT` times. */
  readonly deadLetters: Queue;
  readonly tracking: ShopFunction;
  readonly alarms: readonly Alarm[];

  constructor(scope: Construct, id: string, props: ParcelTrackingProps) {
    super(scope, id);
    this.deadLetters = new Queue(this, "TrackingDeadLetters", {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    this.queue = new Queue(this, "Tracking", {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      // Six times the function's timeout ("Using Lambda with Amazon SQS").
      visibilityTimeout: Duration.seconds(TRACKING_TIMEOUT.toSeconds() * 6),
      deadLetterQueue: { queue: this.deadLetters, maxReceiveCount: MAX_RECEIVE_COUNT },
    });
    this.tracking = new ShopFunction(this, "tracking", {
      handler: "tracking",
      config: props.config,
      table: props.table,
      environment: {
        WEBHOOK_SECRET_ARN: props.webhookSecret.secretArn,
        WEBHOOK_BASE_URL: props.webhookBaseUrl,
        TRACKING_QUEUE_URL: this.queue.queueUrl,
        HANDOFF_TOPIC_ARN: props.operators.topic.topicArn,
      },
      timeout: TRACKING_TIMEOUT,
      alarmAction: props.operators.alarmAction,
    });
    const lambda = this.tracking.lambda;
    props.table.grantReadWriteData(lambda);
    props.webhookSecret.grantRead(lambda);
    props.operators.grantHandoffs(lambda);
    this.queue.grantSendMessages(lambda);
    lambda.addEventSource(new SqsEventSource(this.queue, { batchSize: 10, reportBatchItemFailures: true }));
    this.alarms = this.createAlarms(props);
  }

  /** Lets `grantee` queue subscription tries (dispatch). */
  grantQueueTries(grantee: IGrantable): void {
    this.queue.grantSendMessages(grantee);
  }

  private createAlarms(props: ParcelTrackingProps): Alarm[] {
    const handedOff = new MetricFilter(this, "HandedOff", {
      logGroup: this.tracking.logGroup,
      filterPattern: FilterPattern.stringValue("$.message", "=", "tracking subscription handed off"),
      metricNamespace: "Shopcare",
      metricName: "TrackingHandedOff",
      metricValue: "1",
    }).metric({ period: Duration.minutes(5), statistic: "Sum" });
    const alarm = (name: string, metric: typeof handedOff, description: string) => {
      const created = new Alarm(this, name, {
        metric,
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: TreatMissingData.NOT_BREACHING,
        alarmDescription: description,
      });
      created.addAlarmAction(props.operators.alarmAction);
      return created;
    };
    return [
      alarm(
        "SubscriptionsHandedOff",
        handedOff,
        "Kuaidi100 did not take a parcel's subscription after kuaidi100.subscribeRetries tries (tracking-not-subscribed): see the handoff.",
      ),
      alarm(
        "TrackingCrashed",
        this.deadLetters.metricApproximateNumberOfMessagesVisible({
          period: Duration.minutes(5),
          statistic: "Maximum",
        }),
        "Parcel subscription tries crashed the tracking function into its dead-letter queue.",
      ),
    ];
  }
}
