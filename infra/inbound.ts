import { RemovalPolicy, Stack } from "aws-cdk-lib";
import type { ITable } from "aws-cdk-lib/aws-dynamodb";
import type { IGrantable } from "aws-cdk-lib/aws-iam";
import { Key } from "aws-cdk-lib/aws-kms";
import type { Function as LambdaFunction } from "aws-cdk-lib/aws-lambda";
import { SqsDestination } from "aws-cdk-lib/aws-lambda-destinations";
import { SnsEventSource } from "aws-cdk-lib/aws-lambda-event-sources";
import type { ISecret } from "aws-cdk-lib/aws-secretsmanager";
import { Topic } from "aws-cdk-lib/aws-sns";
import type { Queue } from "aws-cdk-lib/aws-sqs";
import type { Construct } from "constructs";
import type { ShopConfig } from "../functions/core/config/config.js";
import { INBOUND_PATHS } from "../functions/handlers/inbound.js";
import { allowServiceToPublish, type OperatorsChannel } from "./operators.js";
import { StackRoom } from "./rooms.js";
import { deadLetterQueue } from "./sending.js";
import { ShopFunction } from "./shop-function.js";
import type { WebhookApi } from "./webhook-api.js";

/** Properties of {@link Inbound}. */
export interface InboundProps {
  readonly config: ShopConfig;
  readonly table: ITable;
  readonly operators: OperatorsChannel;
  readonly webhookApi: WebhookApi;
  /** Aliyun's AccessKey and inbound push token: with it, Aliyun's HTTP push routes. @default none */
  readonly aliyunSecret?: ISecret;
  /**
   * The events queue opt-out replies are handed on to, for dispatch to write them back to Shopify.
   * @default none: replies are applied here only
   */
  readonly events?: { readonly queueUrl: string; grantSendEvents(grantee: IGrantable): void };
}

/**
 * What customers send back — replies (opt-outs) and delivery receipts: Aliyun pushes them over HTTP
 * (`/inbound/aliyun/{replies,receipts}`, aliyun only, refused without the secret URL token); End User
 * Messaging publishes two-way SMS replies and configuration-set events to the inbound topic, which only it
 * (of this account) may publish to. What cannot be applied lands in the inbound dead-letter queue.
 */
export class Inbound extends StackRoom {
  /** Where two-way SMS replies and End User Messaging delivery events are published. */
  readonly topic: Topic;
  /** Replies, receipts and click batches that could not be applied after Lambda's retries. */
  readonly failures: Queue;

  constructor(scope: Construct, id: string, props: InboundProps) {
    super(scope, id);
    const { aliyunSecret } = props;
    if (aliyunSecret) {
      const inboundHttp = new ShopFunction(this, "inbound-http", {
        handler: "inbound-http",
        config: props.config,
        table: props.table,
        environment: {
          ALIYUN_SECRET_ARN: aliyunSecret.secretArn,
          HANDOFF_TOPIC_ARN: props.operators.topic.topicArn,
        },
        alarmAction: props.operators.alarmAction,
      }).lambda;
      props.table.grantReadWriteData(inboundHttp);
      aliyunSecret.grantRead(inboundHttp);
      props.operators.grantHandoffs(inboundHttp);
      handOnOptOuts(inboundHttp, props.events);
      props.webhookApi.addRoute("InboundIntegration", inboundHttp, [
        INBOUND_PATHS.aliyunReplies,
        INBOUND_PATHS.aliyunReports,
      ]);
    }
    // A customer managed key: the AWS managed SNS key cannot let End User Messaging publish.
    const key = new Key(this, "InboundKey", {
      enableKeyRotation: true,
      description: "shopcare inbound SMS topic",
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.topic = new Topic(this, "InboundTopic", {
      displayName: `${props.config.name} shopcare inbound SMS`,
      masterKey: key,
      enforceSSL: true,
    });
    allowServiceToPublish(
      this.topic,
      key,
      "sms-voice.amazonaws.com",
      Stack.of(this).formatArn({ service: "sms-voice", resource: "*" }),
    );
    this.failures = deadLetterQueue(
      this,
      "InboundDeadLetters",
      "the inbound subscription and the inbound-sns function's on-failure destination",
    );
    // SNS invokes the function asynchronously: after Lambda's two retries a failed reply or receipt goes to
    // the on-failure destination ("How Lambda handles errors and retries with asynchronous invocation");
    // the subscription's redrive queue only catches what SNS could not deliver to Lambda at all.
    const inboundSns = new ShopFunction(this, "inbound-sns", {
      handler: "inbound-sns",
      config: props.config,
      table: props.table,
      environment: { HANDOFF_TOPIC_ARN: props.operators.topic.topicArn },
      onFailure: new SqsDestination(this.failures),
      alarmAction: props.operators.alarmAction,
    }).lambda;
    props.table.grantReadWriteData(inboundSns);
    props.operators.grantHandoffs(inboundSns);
    handOnOptOuts(inboundSns, props.events);
    inboundSns.addEventSource(new SnsEventSource(this.topic, { deadLetterQueue: this.failures }));
  }
}

/** Lets an inbound function hand opt-out replies on to the events queue, when Shopify gets them back. */
function handOnOptOuts(fn: LambdaFunction, events: InboundProps["events"]): void {
  if (!events) return;
  fn.addEnvironment("EVENTS_QUEUE_URL", events.queueUrl);
  events.grantSendEvents(fn);
}
