import { HttpMethod } from "aws-cdk-lib/aws-apigatewayv2";
import type { IAlarmAction } from "aws-cdk-lib/aws-cloudwatch";
import type { ITable } from "aws-cdk-lib/aws-dynamodb";
import type { IFunction } from "aws-cdk-lib/aws-lambda";
import { SqsDestination } from "aws-cdk-lib/aws-lambda-destinations";
import { FilterPattern, SubscriptionFilter } from "aws-cdk-lib/aws-logs";
import { LambdaDestination } from "aws-cdk-lib/aws-logs-destinations";
import type { IQueue } from "aws-cdk-lib/aws-sqs";
import type { Construct } from "constructs";
import type { ShopConfig } from "../functions/core/config/config.js";
import { CLICK_LINE_TYPE, LINK_PATH } from "../functions/core/engine/links.js";
import { StackRoom } from "./rooms.js";
import { ShopFunction } from "./shop-function.js";
import type { WebhookApi } from "./webhook-api.js";

/** Properties of {@link ShortLinks}. */
export interface ShortLinksProps {
  readonly config: ShopConfig;
  readonly table: ITable;
  readonly webhookApi: WebhookApi;
  /** Where a batch of clicks goes after Lambda's retries (what customers send back, kept and alarmed on). */
  readonly failures: IQueue;
  /** Where the clicks function's errors alarm notifies (the link function's is `ShortLinkErrors`). */
  readonly alarmAction?: IAlarmAction;
}

/**
 * Tracked short links. A follow (`GET /l/{code}`) is one GetItem and a 302; the click goes to the link
 * function's log as a line the clicks function is subscribed to, and is counted there (one conditional
 * UpdateItem), off the customer's path. Each function's grant is its one call.
 */
export class ShortLinks extends StackRoom {
  /** The function behind `GET /l/{code}`. */
  readonly link: IFunction;

  constructor(scope: Construct, id: string, props: ShortLinksProps) {
    super(scope, id);
    const link = new ShopFunction(this, "link", {
      handler: "link",
      config: props.config,
      table: props.table,
    });
    this.link = link.lambda;
    props.table.grant(link.lambda, "dynamodb:GetItem");
    props.webhookApi.addRoute("LinkIntegration", link.lambda, [LINK_PATH], HttpMethod.GET);
    // CloudWatch Logs invokes the function asynchronously: after Lambda's two retries a batch of clicks goes
    // to the inbound failures queue.
    const clicks = new ShopFunction(this, "clicks", {
      handler: "clicks",
      config: props.config,
      table: props.table,
      onFailure: new SqsDestination(props.failures),
      alarmAction: props.alarmAction,
    }).lambda;
    props.table.grant(clicks, "dynamodb:UpdateItem");
    new SubscriptionFilter(this, "ClicksSubscription", {
      logGroup: link.logGroup,
      destination: new LambdaDestination(clicks),
      filterPattern: FilterPattern.stringValue("$.type", "=", CLICK_LINE_TYPE),
    });
  }
}
