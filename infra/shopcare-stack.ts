import { Duration, RemovalPolicy, Stack, type StackProps, Validations } from "aws-cdk-lib";
import { HttpApi, HttpMethod } from "aws-cdk-lib/aws-apigatewayv2";
import { HttpLambdaIntegration } from "aws-cdk-lib/aws-apigatewayv2-integrations";
import { SnsAction } from "aws-cdk-lib/aws-cloudwatch-actions";
import { AttributeType, BillingMode, ProjectionType, Table, TableEncryption } from "aws-cdk-lib/aws-dynamodb";
import { PolicyStatement } from "aws-cdk-lib/aws-iam";
import { Alias } from "aws-cdk-lib/aws-kms";
import { Architecture, Runtime, Tracing } from "aws-cdk-lib/aws-lambda";
import { SqsEventSource } from "aws-cdk-lib/aws-lambda-event-sources";
import { NodejsFunction, OutputFormat } from "aws-cdk-lib/aws-lambda-nodejs";
import { LogGroup, RetentionDays } from "aws-cdk-lib/aws-logs";
import { Topic } from "aws-cdk-lib/aws-sns";
import { Queue, QueueEncryption } from "aws-cdk-lib/aws-sqs";
import type { Construct } from "constructs";
import type { ShopConfig } from "../functions/core/config.js";
import { JourneyIdSchema } from "../functions/core/model.js";
import { TABLE_KEYS } from "../functions/core/store.js";
import { WORKFLOWS } from "../workflows/index.js";
import { JourneyStateMachine } from "./journey-state-machine.js";

/** Properties of the {@link ShopcareStack}. */
export interface ShopcareStackProps extends StackProps {
  /** The validated shop configuration (from `cdk.json`'s `shop`). */
  readonly config: ShopConfig;
  /** Largest webhook body accepted, in bytes. @default 262144 (256 KB) */
  readonly maxWebhookBytes?: number;
}

/** The handler names; each Lambda carries its own in `SHOPCARE_HANDLER`, which the local runner maps back. */
export const HANDLERS = ["ingest", "dispatch", "plan", "check", "deliver"] as const;
export type HandlerName = (typeof HANDLERS)[number];

const ENTRY_DIR = new URL("../functions/lambda/", import.meta.url).pathname;

/** cdk-nag findings every shopcare function shares, each acknowledged with its reason. */
function acknowledgeFunctionFindings(lambda: NodejsFunction): void {
  const findings = {
    "AwsSolutions-L1":
      "shopcare targets nodejs22.x on purpose: the local runtime and tests run the same major Node line.",
    "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]":
      "The basic execution role grants only writing this function's CloudWatch logs.",
    "AwsSolutions-IAM5[Resource::*]":
      "X-Ray PutTraceSegments/PutTelemetryRecords and SNS Publish to a phone number (SMS) have no resource-level permissions.",
    "AwsSolutions-IAM5[Resource::<TableCD117FA1.Arn>/index/*]":
      "Queries go to the table's own global secondary indexes; the wildcard covers only this table's indexes.",
  };
  for (const [id, reason] of Object.entries(findings)) Validations.of(lambda).acknowledge({ id, reason });
}

/**
 * One shop's shopcare: webhook API → ingest → SQS → dispatch → one Step Functions machine per journey,
 * whose plan / check / deliver Lambdas share one DynamoDB table and send through SNS SMS.
 */
export class ShopcareStack extends Stack {
  readonly table: Table;
  readonly api: HttpApi;
  readonly operatorsTopic: Topic;
  readonly journeys: ReadonlyMap<string, JourneyStateMachine>;

  constructor(scope: Construct, id: string, props: ShopcareStackProps) {
    super(scope, id, props);
    const { config } = props;

    this.table = new Table(this, "Table", {
      partitionKey: { name: TABLE_KEYS.partitionKey, type: AttributeType.STRING },
      sortKey: { name: TABLE_KEYS.sortKey, type: AttributeType.STRING },
      billingMode: BillingMode.PAY_PER_REQUEST,
      encryption: TableEncryption.AWS_MANAGED,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      timeToLiveAttribute: TABLE_KEYS.ttl,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.table.addGlobalSecondaryIndex({
      indexName: TABLE_KEYS.gsi1,
      partitionKey: { name: TABLE_KEYS.gsi1PartitionKey, type: AttributeType.STRING },
      sortKey: { name: TABLE_KEYS.gsi1SortKey, type: AttributeType.STRING },
      projectionType: ProjectionType.ALL,
    });

    this.operatorsTopic = new Topic(this, "OperatorsTopic", {
      displayName: `${config.name} shopcare operators`,
      masterKey: Alias.fromAliasName(this, "SnsKey", "alias/aws/sns"),
      enforceSSL: true,
    });
    const alarmAction = new SnsAction(this.operatorsTopic);

    const deadLetters = new Queue(this, "EventsDeadLetters", {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    const events = new Queue(this, "Events", {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      visibilityTimeout: Duration.seconds(180),
      deadLetterQueue: { queue: deadLetters, maxReceiveCount: 5 },
    });

    const fn = (name: HandlerName, environment: Record<string, string>, timeout = Duration.seconds(30)) => {
      const logGroup = new LogGroup(this, `${name}Logs`, {
        retention: RetentionDays.THREE_MONTHS,
        removalPolicy: RemovalPolicy.DESTROY,
      });
      const lambda = new NodejsFunction(this, `${name}Function`, {
        entry: `${ENTRY_DIR}${name}.ts`,
        runtime: Runtime.NODEJS_22_X,
        architecture: Architecture.ARM_64,
        memorySize: 512,
        timeout,
        tracing: Tracing.ACTIVE,
        logGroup,
        environment: {
          SHOPCARE_HANDLER: name,
          TABLE_NAME: this.table.tableName,
          POWERTOOLS_SERVICE_NAME: "shopcare",
          ...environment,
        },
        bundling: {
          minify: true,
          sourceMap: true,
          format: OutputFormat.CJS,
          // The config is compiled into the bundle: Lambda's 4 KB environment cannot hold templates, and a
          // config change then ships as a new function version.
          define: { "process.env.SHOPCARE_CONFIG": JSON.stringify(JSON.stringify(config)) },
        },
      });
      acknowledgeFunctionFindings(lambda);
      return lambda;
    };

    const plan = fn("plan", {});
    const check = fn("check", {});
    const deliver = fn("deliver", {
      HANDOFF_TOPIC_ARN: this.operatorsTopic.topicArn,
      ...(config.sms.senderId ? { SMS_SENDER_ID: config.sms.senderId } : {}),
    });
    for (const step of [plan, check]) this.table.grantReadData(step);
    this.table.grantReadWriteData(check);
    this.table.grantReadWriteData(deliver);
    this.operatorsTopic.grantPublish(deliver);
    // SMS to a phone number is an SNS Publish without a topic: IAM cannot narrow it to a resource.
    deliver.addToRolePolicy(new PolicyStatement({ actions: ["sns:Publish"], resources: ["*"] }));

    const machines = new Map<string, JourneyStateMachine>();
    for (const journey of JourneyIdSchema.options) {
      const definition = WORKFLOWS[journey](this, { plan, check, deliver });
      const machine = new JourneyStateMachine(this, `${journey}Journey`, {
        journey,
        definition,
        alarmAction,
      });
      machine.acknowledgeInvokes([plan, check, deliver]);
      machines.set(journey, machine);
    }
    this.journeys = machines;

    const dispatch = fn(
      "dispatch",
      {
        JOURNEY_STATE_MACHINES: JSON.stringify(
          Object.fromEntries(
            [...machines].map(([journey, machine]) => [journey, machine.stateMachine.stateMachineArn]),
          ),
        ),
      },
      Duration.seconds(60),
    );
    this.table.grantReadWriteData(dispatch);
    for (const machine of machines.values()) machine.grantStartExecution(dispatch);
    dispatch.addEventSource(new SqsEventSource(events, { batchSize: 10, reportBatchItemFailures: true }));

    const ingest = fn("ingest", {
      EVENTS_QUEUE_URL: events.queueUrl,
      MAX_WEBHOOK_BYTES: String(props.maxWebhookBytes ?? 262_144),
    });
    this.table.grantWriteData(ingest);
    events.grantSendMessages(ingest);

    const accessLogs = new LogGroup(this, "ApiAccessLogs", {
      retention: RetentionDays.THREE_MONTHS,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.api = new HttpApi(this, "WebhookApi", { description: `${config.name} shopcare webhooks` });
    this.api.addRoutes({
      path: "/webhooks/generic",
      methods: [HttpMethod.POST],
      integration: new HttpLambdaIntegration("IngestIntegration", ingest),
    });
    const stage = this.api.defaultStage?.node.defaultChild as import("aws-cdk-lib/aws-apigatewayv2").CfnStage;
    stage.accessLogSettings = {
      destinationArn: accessLogs.logGroupArn,
      format: JSON.stringify({
        requestId: "$context.requestId",
        ip: "$context.identity.sourceIp",
        requestTime: "$context.requestTime",
        routeKey: "$context.routeKey",
        status: "$context.status",
        responseLength: "$context.responseLength",
      }),
    };
    stage.defaultRouteSettings = { throttlingBurstLimit: 500, throttlingRateLimit: 200 };
    Validations.of(this.api).acknowledge({
      id: "AwsSolutions-APIG4",
      reason:
        "Webhook senders (shop platform, ERP, parcel tracker) cannot use IAM or Cognito; requests are verified by HMAC signature in the ingest function.",
    });
  }
}
