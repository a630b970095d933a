import { Duration } from "aws-cdk-lib";
import { Rule, Schedule } from "aws-cdk-lib/aws-events";
import { LambdaFunction } from "aws-cdk-lib/aws-events-targets";
import type { Construct } from "constructs";
import { StackRoom } from "./rooms.js";
import type { SendingProps } from "./sending.js";
import { ShopFunction } from "./shop-function.js";

/**
 * `retention` applied daily (docs/data-rights.md): a function an EventBridge rule invokes once a day that
 * forgets the customers inactive for `retention.customers` and drops the message texts older than
 * `retention.messageTexts`. Its errors alarm reaches the operators; a failed day is retried by EventBridge
 * (twice) and, failing that, by the next day's run, which starts where the last one finished.
 */
export class Retention extends StackRoom {
  /** The retention function. */
  readonly function: ShopFunction;

  constructor(scope: Construct, id: string, props: Pick<SendingProps, "config" | "table" | "operators">) {
    super(scope, id);
    this.function = new ShopFunction(this, "retention", {
      handler: "retention",
      config: props.config,
      table: props.table,
      // A first run on a table of years may forget many customers: Lambda's longest.
      timeout: Duration.minutes(15),
      alarmAction: props.operators.alarmAction,
    });
    props.table.grantReadWriteData(this.function.lambda);
    new Rule(this, "RetentionDaily", {
      description: "Applies the shop's retention once a day (shopcare)",
      schedule: Schedule.rate(Duration.days(1)),
      targets: [new LambdaFunction(this.function.lambda, { retryAttempts: 2 })],
    });
  }
}
