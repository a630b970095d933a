import { CfnOutput, Duration, RemovalPolicy, Stack, type StackProps, Validations } from "aws-cdk-lib";
import { HttpApi, HttpMethod } from "aws-cdk-lib/aws-apigatewayv2";
import { HttpLambdaIntegration } from "aws-cdk-lib/aws-apigatewayv2-integrations";
import { SnsAction } from "aws-cdk-lib/aws-cloudwatch-actions";
import { AttributeType, BillingMode, ProjectionType, Table, TableEncryption } from "aws-cdk-lib/aws-dynamodb";
import { PolicyStatement, ServicePrincipal } from "aws-cdk-lib/aws-iam";
import { Alias, Key } from "aws-cdk-lib/aws-kms";
import { Architecture, Runtime, Tracing } from "aws-cdk-lib/aws-lambda";
import { SnsEventSource, SqsEventSource } from "aws-cdk-lib/aws-lambda-event-sources";
import { NodejsFunction, OutputFormat } from "aws-cdk-lib/aws-lambda-nodejs";
import { LogGroup, RetentionDays } from "aws-cdk-lib/aws-logs";
import { Secret } from "aws-cdk-lib/aws-secretsmanager";
import { Topic } from "aws-cdk-lib/aws-sns";
import { Queue, QueueEncryption } from "aws-cdk-lib/aws-sqs";
import type { CfnStateMachine } from "aws-cdk-lib/aws-stepfunctions";
import { Construct } from "constructs";
import { ConfigError, type ShopConfig } from "../functions/core/config.js";
import { JourneyIdSchema } from "../functions/core/model.js";
import { TABLE_KEYS } from "../functions/core/store.js";
import { WEBHOOK_SOURCES } from "../functions/core/webhooks/sources.js";
import { INBOUND_PATHS } from "../functions/handlers/inbound.js";
import { WORKFLOWS } from "../workflows/index.js";
import { JourneyStateMachine } from "./journey-state-machine.js";
import { ShopcareObservability } from "./observability.js";

/** Properties of the {@link ShopcareStack}. */
export interface ShopcareStackProps extends StackProps {
  /** The validated shop configuration (from `cdk.json`'s `shop`). */
  readonly config: ShopConfig;
}

/**
 * Deliveries of an event before dispatch gives up; the handler keeps the last failure as a dead letter in
 * the table (with its error), and SQS's own dead-letter queue catches only crashed batches.
 */
const MAX_RECEIVE_COUNT = 5;

/**
 * The esbuild `define` that compiles the shop config into every bundle: Lambda's 4 KB environment cannot
 * hold templates, and a config change then ships as a new function version.
 */
export function compiledConfigDefine(config: ShopConfig): Record<string, string> {
  return { "process.env.SHOPCARE_CONFIG": JSON.stringify(JSON.stringify(config)) };
}

/** The handler names; each Lambda carries its own in `SHOPCARE_HANDLER`, which the local runner maps back. */
export const HANDLERS = ["ingest", "dispatch", "step", "inbound-http", "inbound-sns"] as const;
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
 * One shop's shopcare: webhook API → ingest → SQS → dispatch → one Step Functions machine per journey, each
 * looping on the step Lambda; the functions share one DynamoDB table and send through SNS SMS.
 */
export class ShopcareStack extends Stack {
  readonly table: Table;
  readonly api: HttpApi;
  readonly operatorsTopic: Topic;
  /** Where two-way SMS replies and End User Messaging delivery events are published. */
  readonly inboundTopic: Topic;
  readonly journeys: ReadonlyMap<string, JourneyStateMachine>;
  /** The webhook sources' signing secrets (`{generic, shopify, kuaidi100}`). */
  readonly webhookSecret: Secret;

  constructor(scope: Construct, id: string, props: ShopcareStackProps) {
    super(scope, id, props);
    const { config } = props;
    if (config.sms.provider === "outbox") {
      throw new ConfigError([
        'shop.sms.provider: "outbox" exists only in the local runtime; deploy with "sns", "end-user-messaging" or "aliyun"',
      ]);
    }

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
      deadLetterQueue: { queue: deadLetters, maxReceiveCount: MAX_RECEIVE_COUNT },
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
          define: compiledConfigDefine(config),
        },
      });
      acknowledgeFunctionFindings(lambda);
      return lambda;
    };

    // Aliyun's AccessKey lives in Secrets Manager, never in cdk.json: fill it in after the first deploy.
    const aliyunSecret =
      config.sms.provider === "aliyun"
        ? new Secret(this, "AliyunAccessKey", {
            description: `${config.name} shopcare: Aliyun SMS AccessKey as {"accessKeyId": "…", "accessKeySecret": "…"}`,
          })
        : undefined;
    if (aliyunSecret) {
      Validations.of(aliyunSecret).acknowledge({
        id: "AwsSolutions-SMG4",
        reason: "An Aliyun AccessKey is rotated in the Aliyun console; Secrets Manager cannot rotate it.",
      });
    }
    const step = fn("step", {
      HANDOFF_TOPIC_ARN: this.operatorsTopic.topicArn,
      ...(aliyunSecret ? { ALIYUN_SECRET_ARN: aliyunSecret.secretArn } : {}),
    });
    this.table.grantReadWriteData(step);
    this.operatorsTopic.grantPublish(step);
    aliyunSecret?.grantRead(step);
    if (config.sms.provider === "sns") {
      // SMS to a phone number is an SNS Publish without a topic: IAM cannot narrow it to a resource.
      step.addToRolePolicy(new PolicyStatement({ actions: ["sns:Publish"], resources: ["*"] }));
    }
    if (config.sms.provider === "end-user-messaging") {
      step.addToRolePolicy(
        new PolicyStatement({
          actions: ["sms-voice:SendTextMessage"],
          resources: [this.formatArn({ service: "sms-voice", resource: "*" })],
        }),
      );
    }

    const machines = new Map<string, JourneyStateMachine>();
    for (const journey of JourneyIdSchema.options) {
      // Tasks invoke exact Lambda versions, so an execution keeps the code and config it started with.
      const definition = WORKFLOWS[journey](new Construct(this, `${journey}Definition`), {
        step: step.currentVersion,
      });
      const machine = new JourneyStateMachine(this, `${journey}Journey`, {
        journey,
        definition,
        alarmAction,
      });
      machine.acknowledgeInvokes([step]);
      machines.set(journey, machine);
    }
    this.journeys = machines;

    const dispatch = fn(
      "dispatch",
      {
        MAX_RECEIVE_COUNT: String(MAX_RECEIVE_COUNT),
        JOURNEY_STATE_MACHINES: JSON.stringify(
          Object.fromEntries([...machines].map(([journey, machine]) => [journey, machine.startArn])),
        ),
      },
      Duration.seconds(60),
    );
    this.table.grantReadWriteData(dispatch);
    for (const machine of machines.values()) {
      machine.grantStartExecution(dispatch);
      machine.grantStopExecution(dispatch);
      const machineId = this.getLogicalId(machine.stateMachine.node.defaultChild as CfnStateMachine);
      Validations.of(dispatch).acknowledge({
        id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution:<${machineId}.Name>:*]`,
        reason:
          "A new paid order stops the customer's running win-back; execution names are only known at run time.",
      });
    }
    dispatch.addEventSource(new SqsEventSource(events, { batchSize: 10, reportBatchItemFailures: true }));

    // Signing secrets, never in cdk.json: `generic` is generated; set `shopify` (the app's API secret) and
    // `kuaidi100` (the subscription salt) after the first deploy.
    this.webhookSecret = new Secret(this, "WebhookSecrets", {
      description: `${config.name} shopcare webhook signing secrets as {"generic": "…", "shopify": "…", "kuaidi100": "…"}`,
      generateSecretString: {
        secretStringTemplate: JSON.stringify({ shopify: "", kuaidi100: "" }),
        generateStringKey: "generic",
        excludePunctuation: true,
        passwordLength: 48,
      },
    });
    Validations.of(this.webhookSecret).acknowledge({
      id: "AwsSolutions-SMG4",
      reason:
        "The Shopify and Kuaidi100 secrets are issued by those services; rotating them is a manual step there.",
    });
    const ingest = fn("ingest", {
      EVENTS_QUEUE_URL: events.queueUrl,
      WEBHOOK_SECRET_ARN: this.webhookSecret.secretArn,
    });
    // Read as well as write: a repeated delivery is looked up, and parcel pushes find their order.
    this.table.grantReadWriteData(ingest);
    events.grantSendMessages(ingest);
    this.webhookSecret.grantRead(ingest);

    const accessLogs = new LogGroup(this, "ApiAccessLogs", {
      retention: RetentionDays.THREE_MONTHS,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.api = new HttpApi(this, "WebhookApi", { description: `${config.name} shopcare webhooks` });
    const ingestIntegration = new HttpLambdaIntegration("IngestIntegration", ingest);
    for (const source of WEBHOOK_SOURCES) {
      this.api.addRoutes({
        path: `/webhooks/${source}`,
        methods: [HttpMethod.POST],
        integration: ingestIntegration,
      });
    }
    new ShopcareObservability(this, "Observability", {
      journeys: machines,
      alarmTopic: this.operatorsTopic,
      deadLetterQueue: deadLetters,
      dailySpendAlarm: config.effect.dailySpendAlarm,
      currency: config.sms.currency,
    });
    // What `shopcare replay` and operators need to find.
    new CfnOutput(this, "WebhookUrl", { value: `${this.api.apiEndpoint}/webhooks/` });
    new CfnOutput(this, "TableName", { value: this.table.tableName });
    new CfnOutput(this, "EventsQueueUrl", { value: events.queueUrl });
    new CfnOutput(this, "EventsDeadLetterQueueArn", { value: deadLetters.queueArn });
    new CfnOutput(this, "WebhookSecretArn", { value: this.webhookSecret.secretArn });

    // Replies and receipts: Aliyun pushes them over HTTP; SNS / End User Messaging publish to a topic.
    const inboundHttp = fn("inbound-http", {});
    this.table.grantReadWriteData(inboundHttp);
    const inboundIntegration = new HttpLambdaIntegration("InboundIntegration", inboundHttp);
    for (const path of [INBOUND_PATHS.aliyunReplies, INBOUND_PATHS.aliyunReports]) {
      this.api.addRoutes({ path, methods: [HttpMethod.POST], integration: inboundIntegration });
    }
    // A customer managed key: the AWS managed SNS key cannot let End User Messaging publish.
    const inboundKey = new Key(this, "InboundKey", {
      enableKeyRotation: true,
      description: "shopcare inbound SMS topic",
      removalPolicy: RemovalPolicy.DESTROY,
    });
    inboundKey.grant(new ServicePrincipal("sms-voice.amazonaws.com"), "kms:GenerateDataKey*", "kms:Decrypt");
    inboundKey.grant(new ServicePrincipal("sns.amazonaws.com"), "kms:GenerateDataKey*", "kms:Decrypt");
    this.inboundTopic = new Topic(this, "InboundTopic", {
      displayName: `${config.name} shopcare inbound SMS`,
      masterKey: inboundKey,
      enforceSSL: true,
    });
    this.inboundTopic.grantPublish(new ServicePrincipal("sms-voice.amazonaws.com"));
    this.inboundTopic.grantPublish(new ServicePrincipal("sns.amazonaws.com"));
    const inboundFailures = new Queue(this, "InboundDeadLetters", {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    Validations.of(inboundFailures).acknowledge({
      id: "AwsSolutions-SQS3",
      reason: "This queue is the dead-letter queue of the inbound-sns function's asynchronous invocations.",
    });
    const inboundSns = fn("inbound-sns", {});
    this.table.grantReadWriteData(inboundSns);
    inboundSns.addEventSource(new SnsEventSource(this.inboundTopic, { deadLetterQueue: inboundFailures }));
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
        "Webhook senders (shop platform, ERP, parcel tracker) cannot use IAM or Cognito; the ingest function verifies each source's signature (HMAC-SHA256 with a timestamp, Shopify's HMAC, Kuaidi100's MD5 sign) before anything is kept.",
    });
  }
}
