import { Duration, Stack, Validations } from "aws-cdk-lib";
import type { ITable } from "aws-cdk-lib/aws-dynamodb";
import { PolicyStatement } from "aws-cdk-lib/aws-iam";
import type { ISecret } from "aws-cdk-lib/aws-secretsmanager";
import { Queue, QueueEncryption } from "aws-cdk-lib/aws-sqs";
import type { Construct } from "constructs";
import type { ShopConfig } from "../functions/core/config/config.js";
import type { OperatorsChannel } from "./operators.js";
import { type HandlerName, ShopFunction } from "./shop-function.js";

/** What a function that decides and sends messages is given. */
export interface SendingProps {
  readonly config: ShopConfig;
  readonly table: ITable;
  readonly operators: OperatorsChannel;
  /** Aliyun's AccessKey (aliyun only). @default none */
  readonly aliyunSecret?: ISecret;
}

/**
 * A function that decides and sends messages (the journeys' step, the campaigns' task): the table, the
 * operators' topic for handoffs, the Aliyun secret, and the provider's send action.
 */
export function sendingFunction(
  scope: Construct,
  handler: Extract<HandlerName, "step" | "campaign">,
  props: SendingProps,
  timeout?: Duration,
): ShopFunction {
  const { config, aliyunSecret } = props;
  const fn = new ShopFunction(scope, handler, {
    handler,
    config,
    table: props.table,
    environment: {
      HANDOFF_TOPIC_ARN: props.operators.topic.topicArn,
      ...(aliyunSecret ? { ALIYUN_SECRET_ARN: aliyunSecret.secretArn } : {}),
    },
    timeout,
    alarmAction: props.operators.alarmAction,
  });
  const lambda = fn.lambda;
  props.table.grantReadWriteData(lambda);
  props.operators.grantHandoffs(lambda);
  aliyunSecret?.grantRead(lambda);
  if (config.sms.provider === "sns") {
    // SMS to a phone number is an SNS Publish without a topic: IAM cannot narrow it to a resource.
    lambda.addToRolePolicy(new PolicyStatement({ actions: ["sns:Publish"], resources: ["*"] }));
  }
  if (config.sms.provider === "end-user-messaging") {
    // SendTextMessage authorizes the origination identity End User Messaging sends from (a phone number,
    // sender ID or pool, chosen at send time unless configured), the configuration set and any protect
    // configuration ("Actions, resources, and condition keys for AWS End User Messaging SMS and Voice V2").
    const stack = Stack.of(scope);
    const { configurationSetName } = config.sms.endUserMessaging;
    const kinds = ["phone-number", "sender-id", "pool", "protect-configuration"];
    const resources = [
      ...kinds.map((kind) => stack.formatArn({ service: "sms-voice", resource: kind, resourceName: "*" })),
      stack.formatArn({
        service: "sms-voice",
        resource: "configuration-set",
        resourceName: configurationSetName ?? "*",
      }),
    ];
    lambda.addToRolePolicy(new PolicyStatement({ actions: ["sms-voice:SendTextMessage"], resources }));
    for (const kind of [...kinds, ...(configurationSetName ? [] : ["configuration-set"])]) {
      Validations.of(lambda).acknowledge({
        id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:sms-voice:<AWS::Region>:<AWS::AccountId>:${kind}/*]`,
        reason: `End User Messaging picks the ${kind} at send time; the grant covers only this account's and region's ${kind}s.`,
      });
    }
  }
  return fn;
}

/**
 * A dead-letter queue (SQS-managed encryption, TLS only, 14 days): `whose` failures land in it, and it has
 * no dead-letter queue of its own (cdk-nag's SQS3, acknowledged).
 */
export function deadLetterQueue(scope: Construct, id: string, whose: string): Queue {
  const queue = new Queue(scope, id, {
    encryption: QueueEncryption.SQS_MANAGED,
    enforceSSL: true,
    retentionPeriod: Duration.days(14),
  });
  Validations.of(queue).acknowledge({
    id: "AwsSolutions-SQS3",
    reason: `This queue is itself the dead-letter queue of ${whose}.`,
  });
  return queue;
}
