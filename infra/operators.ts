import { ArnFormat, RemovalPolicy, Stack, Validations } from "aws-cdk-lib";
import { SnsAction } from "aws-cdk-lib/aws-cloudwatch-actions";
import { type IGrantable, PolicyStatement, ServicePrincipal } from "aws-cdk-lib/aws-iam";
import { Key } from "aws-cdk-lib/aws-kms";
import type { IFunction } from "aws-cdk-lib/aws-lambda";
import { type ITopic, Topic } from "aws-cdk-lib/aws-sns";
import type { Construct } from "constructs";
import { StackRoom } from "./rooms.js";

/**
 * Lets an AWS service publish to an encrypted topic on this account's behalf only: `sns:Publish` in the
 * topic policy and `kms:GenerateDataKey*` / `kms:Decrypt` in the key policy, both under `aws:SourceAccount`
 * and `aws:SourceArn` so no other account's resource can use the service as a confused deputy ("Enable
 * compatibility between event sources from AWS services and encrypted topics", SNS developer guide;
 * "Topic policies for Amazon SNS topics", End User Messaging SMS user guide).
 */
export function allowServiceToPublish(
  topic: ITopic,
  key: Key,
  service: string,
  sourceArnPattern: string,
): void {
  const principal = new ServicePrincipal(service);
  const conditions = {
    StringEquals: { "aws:SourceAccount": Stack.of(topic).account },
    ArnLike: { "aws:SourceArn": sourceArnPattern },
  };
  topic.addToResourcePolicy(
    new PolicyStatement({
      principals: [principal],
      actions: ["sns:Publish"],
      resources: [topic.topicArn],
      conditions,
    }),
  );
  key.addToResourcePolicy(
    new PolicyStatement({
      principals: [principal],
      actions: ["kms:GenerateDataKey*", "kms:Decrypt"],
      resources: ["*"],
      conditions,
    }),
  );
}

/** Properties of the {@link OperatorsChannel}. */
export interface OperatorsChannelProps {
  /** The shop's name, in the topic's display name and the key's description. */
  readonly shopName: string;
}

/**
 * Where people hear from the shop: the operators' SNS topic (handoffs and every alarm), encrypted with a
 * customer managed key — CloudWatch cannot use the AWS managed `alias/aws/sns` key, so alarms on a topic
 * encrypted with it are dropped (SNS developer guide, "Enable compatibility between event sources from AWS
 * services and encrypted topics") — that CloudWatch alarms of this account may publish to.
 */
export class OperatorsChannel extends StackRoom {
  /** The operators' topic. */
  readonly topic: Topic;
  /** The alarm action that notifies the topic. */
  readonly alarmAction: SnsAction;

  constructor(scope: Construct, id: string, props: OperatorsChannelProps) {
    super(scope, id);
    const key = new Key(this, "OperatorsKey", {
      enableKeyRotation: true,
      description: `${props.shopName} shopcare operators' topic (alarms and handoffs)`,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.topic = new Topic(this, "OperatorsTopic", {
      displayName: `${props.shopName} shopcare operators`,
      masterKey: key,
      enforceSSL: true,
    });
    allowServiceToPublish(
      this.topic,
      key,
      "cloudwatch.amazonaws.com",
      Stack.of(this).formatArn({
        service: "cloudwatch",
        resource: "alarm",
        resourceName: "*",
        arnFormat: ArnFormat.COLON_RESOURCE_NAME,
      }),
    );
    this.alarmAction = new SnsAction(this.topic);
  }

  /**
   * Lets `grantee` hand off to the operators. Publishing to the encrypted topic: SNS calls KMS as the
   * publisher (GenerateDataKey* covers GenerateDataKey, the call SNS makes), so the role holds both on the
   * operators' key only.
   */
  grantHandoffs(grantee: IGrantable & IFunction): void {
    this.topic.grantPublish(grantee);
    Validations.of(grantee).acknowledge({
      id: "AwsSolutions-IAM5[Action::kms:GenerateDataKey*]",
      reason: "Publishing to the KMS-encrypted operators' topic; the grant is on that topic's key alone.",
    });
  }
}
