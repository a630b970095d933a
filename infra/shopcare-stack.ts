import {
  Annotations,
  ArnFormat,
  Aws,
  CfnOutput,
  CustomResource,
  Duration,
  RemovalPolicy,
  Stack,
  type StackProps,
  Validations,
} from "aws-cdk-lib";
import { HttpApi, HttpMethod } from "aws-cdk-lib/aws-apigatewayv2";
import { HttpLambdaIntegration } from "aws-cdk-lib/aws-apigatewayv2-integrations";
import { SnsAction } from "aws-cdk-lib/aws-cloudwatch-actions";
import { AttributeType, BillingMode, ProjectionType, Table, TableEncryption } from "aws-cdk-lib/aws-dynamodb";
import { PolicyStatement, Role, ServicePrincipal } from "aws-cdk-lib/aws-iam";
import { Key } from "aws-cdk-lib/aws-kms";
import { Architecture, type IDestination, Runtime, Tracing } from "aws-cdk-lib/aws-lambda";
import { SqsDestination } from "aws-cdk-lib/aws-lambda-destinations";
import { SnsEventSource, SqsEventSource } from "aws-cdk-lib/aws-lambda-event-sources";
import { NodejsFunction, OutputFormat } from "aws-cdk-lib/aws-lambda-nodejs";
import {
  FilterPattern,
  LogGroup,
  MetricFilter,
  RetentionDays,
  SubscriptionFilter,
} from "aws-cdk-lib/aws-logs";
import { LambdaDestination } from "aws-cdk-lib/aws-logs-destinations";
import { CfnScheduleGroup } from "aws-cdk-lib/aws-scheduler";
import { Secret } from "aws-cdk-lib/aws-secretsmanager";
import { type ITopic, Topic } from "aws-cdk-lib/aws-sns";
import { Queue, QueueEncryption } from "aws-cdk-lib/aws-sqs";
import type { CfnStateMachine } from "aws-cdk-lib/aws-stepfunctions";
import { Provider } from "aws-cdk-lib/custom-resources";
import { Construct } from "constructs";
import { TABLE_KEYS } from "../functions/adapters/dynamodb/store.js";
import { CAMPAIGN_JOURNEY } from "../functions/core/config/campaign-settings.js";
import { ConfigError, type ShopConfig } from "../functions/core/config/config.js";
import { campaignStartSpecs } from "../functions/core/customers/campaign-schedules.js";
import { CLICK_LINE_TYPE, LINK_PATH } from "../functions/core/engine/links.js";
import { WEBHOOK_SOURCES } from "../functions/core/intake/webhooks/sources.js";
import { JOURNEY_IDS, journeyModule } from "../functions/core/journeys/index.js";
import { parseDuration } from "../functions/core/shared/duration.js";
import { INBOUND_PATHS } from "../functions/handlers/inbound.js";
import { WEBHOOK_ACCEPTED_LOG, WEBHOOK_NOT_QUEUED_LOG } from "../functions/handlers/ingest.js";
import { METRIC, METRICS_NAMESPACE } from "../functions/handlers/telemetry.js";
import { journeyLoop } from "../workflows/index.js";
import { JourneyStateMachine } from "./journey-state-machine.js";
import { ShopcareObservability } from "./observability.js";

/** Properties of the {@link ShopcareStack}. */
export interface ShopcareStackProps extends StackProps {
  /** The validated shop configuration (from `cdk.json`'s `shop`). */
  readonly config: ShopConfig;
}

/** The campaign task's Lambda timeout: its pages take at most a minute, its last sends a little more. */
const CAMPAIGN_TIMEOUT = Duration.minutes(3);

/**
 * Deliveries of an event before dispatch gives up; the handler keeps the last failure as a dead letter in
 * the table (with its error), and SQS's own dead-letter queue catches only crashed batches.
 */
const MAX_RECEIVE_COUNT = 5;

/** Dispatch's Lambda timeout; the events queue's visibility timeout is six times it. */
const DISPATCH_TIMEOUT = Duration.seconds(60);

/** Concurrent dispatchers the events queue feeds at most (Lambda's minimum for SQS is 2). */
export const DISPATCH_CONCURRENCY = 5;

/**
 * The esbuild `define` that compiles the shop config into every bundle: Lambda's 4 KB environment cannot
 * hold templates, and a config change then ships as a new function version.
 */
export function compiledConfigDefine(config: ShopConfig): Record<string, string> {
  return { "process.env.SHOPCARE_CONFIG": JSON.stringify(JSON.stringify(config)) };
}

/** The handler names; each Lambda carries its own in `SHOPCARE_HANDLER`, which the local runner maps back. */
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
] as const;
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
 * A fixed instant the zone's offset is read at, so the template does not depend on the synth machine's clock
 * (two synths of one config are byte-identical): mid-January, standard time in the northern hemisphere.
 */
const OFFSET_REFERENCE = new Date("2026-01-15T00:00:00Z");

/**
 * The notice window as UTC hours `[start, end)` for the silence alarm (CloudWatch's HOUR() is UTC), at the
 * zone's standard offset ({@link OFFSET_REFERENCE}): a zone with daylight saving is an hour off in summer.
 */
export function noticeWindowInUtc(config: ShopConfig): { startHour: number; endHour: number } {
  const offsetMinutes = zoneOffsetMinutes(config.timeZone, OFFSET_REFERENCE);
  const toUtc = (time: string) => {
    const [hours = 0, minutes = 0] = time.split(":").map(Number);
    const utcMinutes = (((hours * 60 + minutes - offsetMinutes) % 1440) + 1440) % 1440;
    return Math.floor(utcMinutes / 60);
  };
  return { startHour: toUtc(config.windows.notice.start), endHour: toUtc(config.windows.notice.end) };
}

function zoneOffsetMinutes(timeZone: string, at: Date): number {
  const parts = new Intl.DateTimeFormat("en-US", { timeZone, timeZoneName: "longOffset" })
    .formatToParts(at)
    .find((part) => part.type === "timeZoneName")?.value;
  const match = /GMT([+-])(\d{2}):?(\d{2})?/.exec(parts ?? "");
  if (!match) return 0;
  const minutes = Number(match[2]) * 60 + Number(match[3] ?? 0);
  return match[1] === "-" ? -minutes : minutes;
}

/**
 * Lets an AWS service publish to an encrypted topic on this account's behalf only: `sns:Publish` in the
 * topic policy and `kms:GenerateDataKey*` / `kms:Decrypt` in the key policy, both under `aws:SourceAccount`
 * and `aws:SourceArn` so no other account's resource can use the service as a confused deputy ("Enable
 * compatibility between event sources from AWS services and encrypted topics", SNS developer guide;
 * "Topic policies for Amazon SNS topics", End User Messaging SMS user guide).
 */
function allowServiceToPublish(
  stack: Stack,
  topic: ITopic,
  key: Key,
  service: string,
  sourceArnPattern: string,
): void {
  const principal = new ServicePrincipal(service);
  const conditions = {
    StringEquals: { "aws:SourceAccount": stack.account },
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
  /** The one state machine every campaign runs on (`core/campaigns.ts`), one execution per campaign. */
  readonly campaigns: JourneyStateMachine;
  /** The webhook sources' signing secrets (`{generic, shopify, kuaidi100}`). */
  readonly webhookSecret: Secret;
  /** Aliyun's AccessKey and the inbound push token (`{accessKeyId, accessKeySecret, inboundToken}`); aliyun only. */
  readonly aliyunSecret?: Secret;

  constructor(scope: Construct, id: string, props: ShopcareStackProps) {
    super(scope, id, props);
    const { config } = props;
    if (config.sms.provider === "outbox") {
      throw new ConfigError([
        'shop.sms.provider: "outbox" exists only in the local runtime; deploy with "sns", "end-user-messaging" or "aliyun"',
      ]);
    }

    if (config.sms.provider !== "aliyun" && config.webhooks.defaultCountry === "CN") {
      // China: no long codes, no sender IDs, no international sending; only a registered in-country short
      // code ("Supported countries – Asia", AWS End User Messaging user guide).
      Annotations.of(this).addWarningV2(
        "shopcare:sms-country",
        `sms.provider "${config.sms.provider}" cannot reach mainland Chinese numbers (webhooks.defaultCountry is CN) without a registered Chinese short code: use "aliyun" for a mainland shop`,
      );
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
    // Kept webhooks by receive time for replay: keys only, so a 256 KB raw body is written once, not again
    // into an index (whose every write would cost as many write units as the body is kilobytes).
    this.table.addGlobalSecondaryIndex({
      indexName: TABLE_KEYS.gsi2,
      partitionKey: { name: TABLE_KEYS.gsi2PartitionKey, type: AttributeType.STRING },
      sortKey: { name: TABLE_KEYS.gsi2SortKey, type: AttributeType.STRING },
      projectionType: ProjectionType.KEYS_ONLY,
    });

    // A customer managed key: CloudWatch cannot use the AWS managed `alias/aws/sns` key, so alarms on a
    // topic encrypted with it are dropped (SNS developer guide, "Enable compatibility between event sources
    // from AWS services and encrypted topics").
    const operatorsKey = new Key(this, "OperatorsKey", {
      enableKeyRotation: true,
      description: `${config.name} shopcare operators' topic (alarms and handoffs)`,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.operatorsTopic = new Topic(this, "OperatorsTopic", {
      displayName: `${config.name} shopcare operators`,
      masterKey: operatorsKey,
      enforceSSL: true,
    });
    allowServiceToPublish(
      this,
      this.operatorsTopic,
      operatorsKey,
      "cloudwatch.amazonaws.com",
      this.formatArn({
        service: "cloudwatch",
        resource: "alarm",
        resourceName: "*",
        arnFormat: ArnFormat.COLON_RESOURCE_NAME,
      }),
    );
    const alarmAction = new SnsAction(this.operatorsTopic);

    const deadLetters = new Queue(this, "EventsDeadLetters", {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    const events = new Queue(this, "Events", {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      // Six times dispatch's timeout, as Lambda's SQS guide asks, so a batch still running is not delivered
      // again to a second dispatcher ("Using Lambda with Amazon SQS").
      visibilityTimeout: Duration.seconds(DISPATCH_TIMEOUT.toSeconds() * 6),
      deadLetterQueue: { queue: deadLetters, maxReceiveCount: MAX_RECEIVE_COUNT },
    });

    const logGroups = new Map<HandlerName, LogGroup>();
    const fn = (
      name: HandlerName,
      environment: Record<string, string>,
      options: { timeout?: Duration; onFailure?: IDestination } = {},
    ) => {
      const logGroup = new LogGroup(this, `${name}Logs`, {
        retention: RetentionDays.THREE_MONTHS,
        removalPolicy: RemovalPolicy.DESTROY,
      });
      const lambda = new NodejsFunction(this, `${name}Function`, {
        entry: `${ENTRY_DIR}${name}.ts`,
        runtime: Runtime.NODEJS_22_X,
        architecture: Architecture.ARM_64,
        memorySize: 512,
        timeout: options.timeout ?? Duration.seconds(30),
        // Executions waiting for months invoke the version they started with: a deploy must not delete it
        // (CDK's default for `currentVersion` is DESTROY).
        currentVersionOptions: { removalPolicy: RemovalPolicy.RETAIN },
        ...(options.onFailure ? { onFailure: options.onFailure, retryAttempts: 2 } : {}),
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
      logGroups.set(name, logGroup);
      return lambda;
    };

    // Aliyun's AccessKey lives in Secrets Manager, never in cdk.json: fill it in after the first deploy. It
    // starts as the JSON the functions read, with the inbound push token generated.
    const aliyunSecret =
      config.sms.provider === "aliyun"
        ? new Secret(this, "AliyunAccessKey", {
            description: `${config.name} shopcare: Aliyun SMS AccessKey and inbound push token as {"accessKeyId": "…", "accessKeySecret": "…", "inboundToken": "…"}`,
            generateSecretString: {
              secretStringTemplate: JSON.stringify({ accessKeyId: "", accessKeySecret: "" }),
              generateStringKey: "inboundToken",
              excludePunctuation: true,
              passwordLength: 40,
            },
            // Operator-entered keys outlive the stack.
            removalPolicy: RemovalPolicy.RETAIN,
          })
        : undefined;
    this.aliyunSecret = aliyunSecret;
    if (aliyunSecret) {
      Validations.of(aliyunSecret).acknowledge({
        id: "AwsSolutions-SMG4",
        reason: "An Aliyun AccessKey is rotated in the Aliyun console; Secrets Manager cannot rotate it.",
      });
    }
    // The journeys' step and the campaigns' task decide and send messages alike: the same grants.
    const sender = (name: "step" | "campaign", timeout?: Duration) => {
      const lambda = fn(
        name,
        {
          HANDOFF_TOPIC_ARN: this.operatorsTopic.topicArn,
          ...(aliyunSecret ? { ALIYUN_SECRET_ARN: aliyunSecret.secretArn } : {}),
        },
        { timeout },
      );
      this.grantSending(lambda, config, aliyunSecret);
      return lambda;
    };
    const step = sender("step");
    const campaignTask = sender("campaign", CAMPAIGN_TIMEOUT);

    const machines = new Map<string, JourneyStateMachine>();
    const successorMachines: Record<string, string> = {};
    for (const journey of JOURNEY_IDS) {
      // One loop serves every journey: the module's rules run in the step Lambda. Tasks invoke exact Lambda
      // versions, so an execution keeps the code and config it started with.
      const definition = journeyLoop(new Construct(this, `${journey}Definition`), {
        step: step.currentVersion,
      });
      // A journey whose executions start their successors (the birthday's next year) gets a fixed name: the
      // step Lambda starts it by an ARN built from the name, since a reference would close a cycle (the
      // machine's definition names the step Lambda's version).
      const handsOver = journeyModule(journey).successor !== undefined;
      const fixedName = `${this.stackName}-${journey}`;
      // Step Functions names are 1–80 characters ("CreateStateMachine", Step Functions API reference).
      if (handsOver && fixedName.length > 80)
        throw new ConfigError([
          `stackName: "${this.stackName}" makes the ${journey} state machine's name longer than Step Functions' 80 characters`,
        ]);
      const machine = new JourneyStateMachine(this, `${journey}Journey`, {
        journey,
        definition,
        alarmAction,
        stateMachineName: handsOver ? fixedName : undefined,
      });
      machine.grantInvokeAllVersions([step]);
      machines.set(journey, machine);
      if (handsOver) {
        machine.grantStartExecution(step);
        successorMachines[journey] = machine.startArn;
      }
    }
    this.journeys = machines;
    step.addEnvironment("JOURNEY_STATE_MACHINES", JSON.stringify(successorMachines));
    const campaignStarts = this.scheduleCampaigns(config, campaignTask, alarmAction, fn);
    this.campaigns = campaignStarts.machine;

    const dispatch = fn(
      "dispatch",
      {
        MAX_RECEIVE_COUNT: String(MAX_RECEIVE_COUNT),
        EVENTS_QUEUE_URL: events.queueUrl,
        JOURNEY_STATE_MACHINES: JSON.stringify(
          Object.fromEntries([...machines].map(([journey, machine]) => [journey, machine.startArn])),
        ),
      },
      { timeout: DISPATCH_TIMEOUT },
    );
    this.table.grantReadWriteData(dispatch);
    // Requeues the events whose starts found no rate slot in time (a delay instead of a receive counted).
    events.grantSendMessages(dispatch);
    for (const machine of machines.values()) {
      machine.grantStartExecution(dispatch);
      machine.grantStopExecution(dispatch);
      const machineId = this.getLogicalId(machine.stateMachine.node.defaultChild as CfnStateMachine);
      const machineName = machine.fixedName ?? `<${machineId}.Name>`;
      Validations.of(dispatch).acknowledge({
        id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution:${machineName}:*]`,
        reason:
          "A new paid order stops the customer's running win-back; execution names are only known at run time.",
      });
    }
    // At most DISPATCH_CONCURRENCY dispatchers: the start budget is shared anyway, so more would only wait
    // for it (and time out) in Lambda rather than in the queue ("Configuring maximum concurrency for Amazon
    // SQS event sources", Lambda developer guide).
    dispatch.addEventSource(
      new SqsEventSource(events, {
        batchSize: 10,
        reportBatchItemFailures: true,
        maxConcurrency: DISPATCH_CONCURRENCY,
      }),
    );

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
      // Operator-entered secrets (Shopify's, Kuaidi100's) outlive the stack.
      removalPolicy: RemovalPolicy.RETAIN,
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
    // Two of the alarms' metrics, counted from ingest's log lines rather than emitted by ingest.
    for (const [id, message, metricName] of [
      ["WebhooksAcceptedFilter", WEBHOOK_ACCEPTED_LOG, METRIC.webhooksAccepted],
      ["WebhooksNotQueuedFilter", WEBHOOK_NOT_QUEUED_LOG, METRIC.webhooksNotQueued],
    ] as const) {
      new MetricFilter(this, id, {
        logGroup: logGroups.get("ingest") as LogGroup,
        filterPattern: FilterPattern.stringValue("$.message", "=", message),
        metricNamespace: METRICS_NAMESPACE,
        metricName,
        metricValue: "1",
        dimensions: { service: "$.service" },
      });
    }
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
    // Replies and receipts: Aliyun pushes them over HTTP (aliyun only); End User Messaging publishes two-way
    // SMS replies and configuration-set events to the inbound topic.
    if (aliyunSecret) {
      const inboundHttp = fn("inbound-http", {
        ALIYUN_SECRET_ARN: aliyunSecret.secretArn,
        HANDOFF_TOPIC_ARN: this.operatorsTopic.topicArn,
      });
      this.table.grantReadWriteData(inboundHttp);
      aliyunSecret.grantRead(inboundHttp);
      this.grantHandoffs(inboundHttp);
      const inboundIntegration = new HttpLambdaIntegration("InboundIntegration", inboundHttp);
      for (const path of [INBOUND_PATHS.aliyunReplies, INBOUND_PATHS.aliyunReports]) {
        this.api.addRoutes({ path, methods: [HttpMethod.POST], integration: inboundIntegration });
      }
    }
    // A customer managed key: the AWS managed SNS key cannot let End User Messaging publish.
    const inboundKey = new Key(this, "InboundKey", {
      enableKeyRotation: true,
      description: "shopcare inbound SMS topic",
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.inboundTopic = new Topic(this, "InboundTopic", {
      displayName: `${config.name} shopcare inbound SMS`,
      masterKey: inboundKey,
      enforceSSL: true,
    });
    allowServiceToPublish(
      this,
      this.inboundTopic,
      inboundKey,
      "sms-voice.amazonaws.com",
      this.formatArn({ service: "sms-voice", resource: "*" }),
    );
    const inboundFailures = this.deadLetterQueue(
      "InboundDeadLetters",
      "the inbound subscription and the inbound-sns function's on-failure destination",
    );
    // SNS invokes the function asynchronously: after Lambda's two retries a failed reply or receipt goes to
    // the on-failure destination ("How Lambda handles errors and retries with asynchronous invocation");
    // the subscription's redrive queue only catches what SNS could not deliver to Lambda at all.
    const inboundSns = fn(
      "inbound-sns",
      { HANDOFF_TOPIC_ARN: this.operatorsTopic.topicArn },
      { onFailure: new SqsDestination(inboundFailures) },
    );
    this.table.grantReadWriteData(inboundSns);
    this.grantHandoffs(inboundSns);
    inboundSns.addEventSource(new SnsEventSource(this.inboundTopic, { deadLetterQueue: inboundFailures }));

    // Tracked short links. A follow is one GetItem and a 302; the click goes to the link function's log as a
    // line the clicks function is subscribed to, and is counted there (one conditional UpdateItem), off the
    // customer's path. Each function's grant is its one call.
    const link = fn("link", {});
    this.table.grant(link, "dynamodb:GetItem");
    this.api.addRoutes({
      path: LINK_PATH,
      methods: [HttpMethod.GET],
      integration: new HttpLambdaIntegration("LinkIntegration", link),
    });
    // CloudWatch Logs invokes the function asynchronously: after Lambda's two retries a batch of clicks goes
    // to the inbound failures queue (what customers send back, kept for an operator, alarmed on).
    const clicks = fn("clicks", {}, { onFailure: new SqsDestination(inboundFailures) });
    this.table.grant(clicks, "dynamodb:UpdateItem");
    new SubscriptionFilter(this, "ClicksSubscription", {
      logGroup: logGroups.get("link") as LogGroup,
      destination: new LambdaDestination(clicks),
      filterPattern: FilterPattern.stringValue("$.type", "=", CLICK_LINE_TYPE),
    });

    new ShopcareObservability(this, "Observability", {
      journeys: new Map([...machines, [CAMPAIGN_JOURNEY, this.campaigns]]),
      alarmTopic: this.operatorsTopic,
      deadLetterQueue: deadLetters,
      inboundDeadLetterQueue: inboundFailures,
      campaignDeadLetterQueue: campaignStarts.deadLetters,
      linkFunction: link,
      dailySpendAlarm: config.effect.dailySpendAlarm,
      currency: config.sms.currency,
      silentAfter: Duration.millis(parseDuration(config.alarms.silentAfter)),
      noticeWindow: noticeWindowInUtc(config),
    });
    // What `shopcare replay`, `shopcare doctor` and operators need to find.
    new CfnOutput(this, "WebhookUrl", { value: `${this.api.apiEndpoint}/webhooks/` });
    new CfnOutput(this, "TableName", { value: this.table.tableName });
    // What `links.baseUrl` is set to (or a custom domain mapped to the API): messages carry `<it>/l/<code>`.
    new CfnOutput(this, "LinkBaseUrl", { value: this.api.apiEndpoint });
    // What the messages carry (`links.baseUrl`), for `shopcare doctor` to follow: empty without links.
    new CfnOutput(this, "ShortLinkBaseUrl", { value: config.links.baseUrl ?? "" });
    new CfnOutput(this, "EventsQueueUrl", { value: events.queueUrl });
    new CfnOutput(this, "EventsDeadLetterQueueArn", { value: deadLetters.queueArn });
    new CfnOutput(this, "EventsDeadLetterQueueUrl", { value: deadLetters.queueUrl });
    new CfnOutput(this, "InboundDeadLetterQueueUrl", { value: inboundFailures.queueUrl });
    new CfnOutput(this, "WebhookSecretArn", { value: this.webhookSecret.secretArn });
    new CfnOutput(this, "OperatorsTopicArn", { value: this.operatorsTopic.topicArn });
    new CfnOutput(this, "InboundTopicArn", { value: this.inboundTopic.topicArn });
    // `shopcare doctor` checks the provider's account against these.
    new CfnOutput(this, "SmsProvider", { value: config.sms.provider });
    new CfnOutput(this, "EndUserMessaging", { value: JSON.stringify(config.sms.endUserMessaging) });
    new CfnOutput(this, "StateMachineArns", {
      value: Stack.of(this).toJsonString(
        Object.fromEntries(
          // The campaigns' machine too: doctor watches every machine's versions.
          [...machines, [CAMPAIGN_JOURNEY, this.campaigns] as const].map(([journey, machine]) => [
            journey,
            machine.stateMachine.stateMachineArn,
          ]),
        ),
      ),
    });
    if (aliyunSecret) {
      new CfnOutput(this, "AliyunSecretArn", { value: aliyunSecret.secretArn });
      new CfnOutput(this, "AliyunInboundUrls", {
        value: `${this.api.apiEndpoint}${INBOUND_PATHS.aliyunReplies}?token=<inboundToken> and ${this.api.apiEndpoint}${INBOUND_PATHS.aliyunReports}?token=<inboundToken>`,
      });
    }
    const stage = this.api.defaultStage?.node.defaultChild as import("aws-cdk-lib/aws-apigatewayv2").CfnStage;
    stage.accessLogSettings = {
      destinationArn: accessLogs.logGroupArn,
      format: JSON.stringify({
        // No source address: a short link's log line would tie a customer's address to the moment they
        // followed it (docs/webhooks.md, "What a click leaves"). The throttle and WAF see addresses; the log need not.
        requestId: "$context.requestId",
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
        "Webhook senders (shop platform, ERP, parcel tracker, Aliyun's push) cannot use IAM or Cognito; ingest verifies each source's signature (HMAC-SHA256 with a timestamp, Shopify's HMAC, Kuaidi100's MD5 sign) and inbound-http Aliyun's secret URL token before anything is kept.",
    });
  }

  /**
   * The campaigns' state machine (the journeys' loop around the campaign task) and what starts each campaign
   * on the `live` alias at its `at`: a campaign planned months ahead runs the config of the deploy before its
   * time, not of the one it was planned in.
   *
   * Nothing here depends on the synth machine's clock (two synths of one config are byte-identical). A custom
   * resource decides at deploy time (`core/campaign-schedules.ts`): one EventBridge Scheduler one-time
   * schedule per campaign still ahead, in the stack's schedule group; a late one (its `at` passed, its
   * `until` not) started at once by its fixed name; one over never started again. Each schedule calls
   * StartExecution itself (a universal target, "Using universal targets in EventBridge Scheduler", in the
   * stack's partition), retries for 6 hours, then delivers its dead-letter event to a queue the
   * `CampaignNotStarted` alarm watches ("Configuring a schedule's dead-letter queue": the execution role
   * needs `sqs:SendMessage` on it).
   */
  private scheduleCampaigns(
    config: ShopConfig,
    task: NodejsFunction,
    alarmAction: SnsAction,
    fn: (name: HandlerName, environment: Record<string, string>) => NodejsFunction,
  ): { machine: JourneyStateMachine; deadLetters?: Queue } {
    // A campaign paging a large directory at a low send rate loops for days: it hands over to a fresh
    // execution before its history nears Step Functions' 25,000 events (`CAMPAIGN_RELAY_LOOPS`).
    const machine = new JourneyStateMachine(this, "CampaignsJourney", {
      journey: CAMPAIGN_JOURNEY,
      definition: journeyLoop(new Construct(this, "campaignsDefinition"), {
        step: task.currentVersion,
        relay: true,
      }),
      alarmAction,
      relay: true,
    });
    machine.grantInvokeAllVersions([task]);
    if (config.campaigns.length === 0) return { machine };
    const group = new CfnScheduleGroup(this, "CampaignSchedules", {});
    const deadLetters = this.deadLetterQueue("CampaignScheduleDeadLetters", "the campaigns' schedules");
    const role = new Role(this, "CampaignSchedulerRole", {
      description: "EventBridge Scheduler starts each campaign's execution at its time",
      // Only schedules of this account may assume it (the confused-deputy guard, "Set up the execution
      // role", EventBridge Scheduler user guide).
      assumedBy: new ServicePrincipal("scheduler.amazonaws.com", {
        conditions: { StringEquals: { "aws:SourceAccount": this.account } },
      }),
    });
    machine.grantStartExecution(role);
    deadLetters.grantSendMessages(role);
    const starter = fn("campaign-schedules", {
      SCHEDULE_GROUP: group.ref,
      SCHEDULE_TARGET_ARN: `arn:${Aws.PARTITION}:scheduler:::aws-sdk:sfn:startExecution`,
      CAMPAIGNS_STATE_MACHINE_ARN: machine.startArn,
      SCHEDULER_ROLE_ARN: role.roleArn,
      SCHEDULE_DEAD_LETTER_ARN: deadLetters.queueArn,
    });
    // Its schedules only (CreateSchedule, UpdateSchedule and DeleteSchedule authorize the schedule's ARN,
    // "Actions, resources, and condition keys for Amazon EventBridge Scheduler"), and the role passed to them.
    starter.addToRolePolicy(
      new PolicyStatement({
        actions: ["scheduler:CreateSchedule", "scheduler:UpdateSchedule", "scheduler:DeleteSchedule"],
        resources: [
          this.formatArn({
            service: "scheduler",
            resource: "schedule",
            resourceName: `${group.ref}/campaign-*`,
          }),
        ],
      }),
    );
    starter.addToRolePolicy(
      new PolicyStatement({
        actions: ["iam:PassRole"],
        resources: [role.roleArn],
        conditions: { StringEquals: { "iam:PassedToService": "scheduler.amazonaws.com" } },
      }),
    );
    machine.grantStartExecution(starter);
    Validations.of(starter).acknowledge({
      id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:scheduler:<AWS::Region>:<AWS::AccountId>:schedule/<${this.getLogicalId(group)}>/campaign-*]`,
      reason:
        "The campaign starter manages only the `campaign-*` schedules of this stack's schedule group, one per campaign of the config.",
    });
    const provider = new Provider(this, "CampaignStartsProvider", { onEventHandler: starter });
    const starterId = this.getLogicalId(
      starter.node.defaultChild as import("aws-cdk-lib/aws-lambda").CfnFunction,
    );
    for (const id of [
      "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]",
      `AwsSolutions-IAM5[Resource::<${starterId}.Arn>:*]`,
      "AwsSolutions-L1",
    ])
      Validations.of(provider).acknowledge({
        id,
        reason:
          "The CDK provider framework's own function (aws-cdk-lib/custom-resources): it only invokes the campaign starter (any version) and answers CloudFormation; its runtime is CDK's choice.",
      });
    const starts = new CustomResource(this, "CampaignStarts", {
      serviceToken: provider.serviceToken,
      resourceType: "Custom::CampaignStarts",
      properties: { Campaigns: JSON.stringify(campaignStartSpecs(config.campaigns)) },
    });
    // Deleted before its group (the stack's deletion removes the schedules first).
    starts.node.addDependency(group);
    new CfnOutput(this, "CampaignDeadLetterQueueUrl", { value: deadLetters.queueUrl });
    return { machine, deadLetters };
  }

  /**
   * A dead-letter queue (SQS-managed encryption, TLS only, 14 days): `whose` failures land in it, and it has
   * no dead-letter queue of its own (cdk-nag's SQS3, acknowledged).
   */
  private deadLetterQueue(id: string, whose: string): Queue {
    const queue = new Queue(this, id, {
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

  /**
   * What a function that decides and sends messages needs: the table, the operators' topic, the Aliyun
   * secret, and the provider's send action.
   */
  private grantSending(fn: NodejsFunction, config: ShopConfig, aliyunSecret: Secret | undefined): void {
    this.table.grantReadWriteData(fn);
    this.grantHandoffs(fn);
    aliyunSecret?.grantRead(fn);
    if (config.sms.provider === "sns") {
      // SMS to a phone number is an SNS Publish without a topic: IAM cannot narrow it to a resource.
      fn.addToRolePolicy(new PolicyStatement({ actions: ["sns:Publish"], resources: ["*"] }));
    }
    if (config.sms.provider === "end-user-messaging") {
      // SendTextMessage authorizes the origination identity End User Messaging sends from (a phone number,
      // sender ID or pool, chosen at send time unless configured), the configuration set and any protect
      // configuration ("Actions, resources, and condition keys for AWS End User Messaging SMS and Voice V2").
      const { configurationSetName } = config.sms.endUserMessaging;
      const kinds = ["phone-number", "sender-id", "pool", "protect-configuration"];
      const resources = [
        ...kinds.map((kind) => this.formatArn({ service: "sms-voice", resource: kind, resourceName: "*" })),
        this.formatArn({
          service: "sms-voice",
          resource: "configuration-set",
          resourceName: configurationSetName ?? "*",
        }),
      ];
      fn.addToRolePolicy(new PolicyStatement({ actions: ["sms-voice:SendTextMessage"], resources }));
      for (const kind of [...kinds, ...(configurationSetName ? [] : ["configuration-set"])]) {
        Validations.of(fn).acknowledge({
          id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:sms-voice:<AWS::Region>:<AWS::AccountId>:${kind}/*]`,
          reason: `End User Messaging picks the ${kind} at send time; the grant covers only this account's and region's ${kind}s.`,
        });
      }
    }
  }

  /**
   * Lets `fn` hand off to the operators' topic. Publishing to the encrypted topic: SNS calls KMS as the
   * publisher (GenerateDataKey* covers GenerateDataKey, the call SNS makes), so the role holds both on the
   * operators' key only.
   */
  private grantHandoffs(fn: NodejsFunction): void {
    this.operatorsTopic.grantPublish(fn);
    Validations.of(fn).acknowledge({
      id: "AwsSolutions-IAM5[Action::kms:GenerateDataKey*]",
      reason: "Publishing to the KMS-encrypted operators' topic; the grant is on that topic's key alone.",
    });
  }
}
