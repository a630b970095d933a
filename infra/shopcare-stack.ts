import type { CfnElement } from "aws-cdk-lib";
import {
  Annotations,
  CfnOutput,
  Duration,
  RemovalPolicy,
  Stack,
  type StackProps,
  Validations,
} from "aws-cdk-lib";
import { AttributeType, BillingMode, ProjectionType, Table, TableEncryption } from "aws-cdk-lib/aws-dynamodb";
import { Secret } from "aws-cdk-lib/aws-secretsmanager";
import type { Topic } from "aws-cdk-lib/aws-sns";
import type { Construct } from "constructs";
import { TABLE_KEYS } from "../functions/adapters/dynamodb/store.js";
import { CAMPAIGN_JOURNEY } from "../functions/core/config/campaign-settings.js";
import { ConfigError, type ShopConfig } from "../functions/core/config/config.js";
import { subscribesParcels } from "../functions/core/config/shop-settings.js";
import { parseDuration } from "../functions/core/shared/duration.js";
import { INBOUND_PATHS } from "../functions/handlers/inbound.js";
import { Campaigns } from "./campaigns.js";
import { Inbound } from "./inbound.js";
import { JourneyEngine } from "./journey-engine.js";
import type { JourneyStateMachine } from "./journey-state-machine.js";
import { ShopcareObservability } from "./observability.js";
import { OperatorsChannel } from "./operators.js";
import { ParcelTracking } from "./parcels.js";
import { Retention } from "./retention.js";
import { RoomLogicalIds } from "./rooms.js";
import { ShortLinks } from "./short-links.js";
import { WebhookApi } from "./webhook-api.js";

export { DISPATCH_CONCURRENCY } from "./journey-engine.js";
export { compiledConfigDefine, HANDLERS, type HandlerName } from "./shop-function.js";

/** Properties of the {@link ShopcareStack}. */
export interface ShopcareStackProps extends StackProps {
  /** The validated shop configuration (from `cdk.json`'s `shop`). */
  readonly config: ShopConfig;
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
 * One shop's shopcare: the webhook API → ingest → SQS → dispatch → one Step Functions machine per journey,
 * each looping on the step function; campaigns; replies and receipts; short links; the operators' topic and
 * what watches it all. Composed of rooms ({@link StackRoom}): constructs that keep every resource's logical
 * id as it was when the stack was flat, so a deployed shop updates in place (`tests/infra/logical-ids.test.ts`).
 */
export class ShopcareStack extends Stack {
  readonly table: Table;
  readonly api: WebhookApi;
  readonly operatorsTopic: Topic;
  /** Where two-way SMS replies and End User Messaging delivery events are published. */
  readonly inboundTopic: Topic;
  readonly journeys: ReadonlyMap<string, JourneyStateMachine>;
  /** The one state machine every campaign runs on (`core/customers/campaigns.ts`), one execution per campaign. */
  readonly campaigns: JourneyStateMachine;
  /** The webhook sources' signing secrets (`{generic, shopify, kuaidi100}`). */
  readonly webhookSecret: Secret;
  /** Aliyun's AccessKey and the inbound push token (`{accessKeyId, accessKeySecret, inboundToken}`); aliyun only. */
  readonly aliyunSecret?: Secret;
  /** The Shopify Admin API access token (`{accessToken}`) `shopcare connect shopify` reads; with `shopify.shop`. */
  readonly shopifyAdminSecret?: Secret;

  constructor(scope: Construct, id: string, props: ShopcareStackProps) {
    super(scope, id, props);
    const { config } = props;
    checkProvider(this, config);
    this.table = shopTable(this);
    const operators = new OperatorsChannel(this, "Operators", { shopName: config.name });
    this.operatorsTopic = operators.topic;
    this.aliyunSecret = config.sms.provider === "aliyun" ? aliyunSecret(this, config) : undefined;
    this.shopifyAdminSecret = config.shopify.shop ? shopifyAdminSecret(this, config) : undefined;
    const sending = { config, table: this.table, operators, aliyunSecret: this.aliyunSecret };
    const engine = new JourneyEngine(this, "Engine", {
      ...sending,
      shopifyAdminSecret: this.shopifyAdminSecret,
    });
    this.journeys = engine.journeys;
    const campaigns = new Campaigns(this, "Campaigns", sending);
    new Retention(this, "Retention", sending);
    this.campaigns = campaigns.machine;
    this.api = new WebhookApi(this, "Webhooks", {
      config,
      table: this.table,
      engine,
      alarmAction: operators.alarmAction,
    });
    this.webhookSecret = this.api.secret;
    if (subscribesParcels(config)) this.trackParcels(config, engine, operators);
    const inbound = new Inbound(this, "Inbound", {
      ...sending,
      webhookApi: this.api,
      // Opt-out replies written back to Shopify go through dispatch, with its retries and dead letters.
      events: this.shopifyAdminSecret
        ? { queueUrl: engine.events.queueUrl, grantSendEvents: (grantee) => engine.grantSendEvents(grantee) }
        : undefined,
    });
    this.inboundTopic = inbound.topic;
    const links = new ShortLinks(this, "ShortLinks", {
      config,
      table: this.table,
      webhookApi: this.api,
      failures: inbound.failures,
      alarmAction: operators.alarmAction,
    });
    new ShopcareObservability(this, "Observability", {
      journeys: new Map([...engine.journeys, [CAMPAIGN_JOURNEY, this.campaigns]]),
      alarmTopic: this.operatorsTopic,
      deadLetterQueue: engine.deadLetters,
      inboundDeadLetterQueue: inbound.failures,
      campaignDeadLetterQueue: campaigns.deadLetters,
      linkFunction: links.link,
      dailySpendAlarm: config.effect.dailySpendAlarm,
      currency: config.sms.currency,
      silentAfter: Duration.millis(parseDuration(config.alarms.silentAfter)),
      noticeWindow: noticeWindowInUtc(config),
    });
    this.outputs(config, engine, inbound);
  }

  /** Resources inside rooms keep the logical ids they had on the flat stack ({@link RoomLogicalIds}). */
  protected override allocateLogicalId(element: CfnElement): string {
    return RoomLogicalIds.of(this).allocate(element);
  }

  /** What `shopcare replay`, `shopcare doctor` and operators need to find. */
  /** Shipped parcels subscribed with Kuaidi100: the tracking room, dispatch allowed to queue its tries. */
  private trackParcels(config: ShopConfig, engine: JourneyEngine, operators: OperatorsChannel): void {
    const parcels = new ParcelTracking(this, "Parcels", {
      config,
      table: this.table,
      operators,
      webhookSecret: this.webhookSecret,
      webhookBaseUrl: this.api.url,
    });
    parcels.grantQueueTries(engine.dispatch.lambda);
    engine.dispatch.lambda.addEnvironment("TRACKING_QUEUE_URL", parcels.queue.queueUrl);
    // Doctor checks the Kuaidi100 account where parcels are subscribed.
    new CfnOutput(this, "TrackingQueueUrl", { value: parcels.queue.queueUrl });
  }

  private outputs(config: ShopConfig, engine: JourneyEngine, inbound: Inbound): void {
    const url = this.api.url;
    new CfnOutput(this, "WebhookUrl", { value: `${url}/webhooks/` });
    new CfnOutput(this, "TableName", { value: this.table.tableName });
    // What `links.baseUrl` is set to (or a custom domain mapped to the API): messages carry `<it>/l/<code>`.
    new CfnOutput(this, "LinkBaseUrl", { value: url });
    // What the messages carry (`links.baseUrl`), for `shopcare doctor` to follow: empty without links.
    new CfnOutput(this, "ShortLinkBaseUrl", { value: config.links.baseUrl ?? "" });
    new CfnOutput(this, "EventsQueueUrl", { value: engine.events.queueUrl });
    new CfnOutput(this, "EventsDeadLetterQueueArn", { value: engine.deadLetters.queueArn });
    new CfnOutput(this, "EventsDeadLetterQueueUrl", { value: engine.deadLetters.queueUrl });
    new CfnOutput(this, "InboundDeadLetterQueueUrl", { value: inbound.failures.queueUrl });
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
          [...this.journeys, [CAMPAIGN_JOURNEY, this.campaigns] as const].map(([journey, machine]) => [
            journey,
            machine.stateMachine.stateMachineArn,
          ]),
        ),
      ),
    });
    if (this.shopifyAdminSecret)
      new CfnOutput(this, "ShopifyAdminSecretArn", { value: this.shopifyAdminSecret.secretArn });
    if (this.aliyunSecret) {
      new CfnOutput(this, "AliyunSecretArn", { value: this.aliyunSecret.secretArn });
      new CfnOutput(this, "AliyunInboundUrls", {
        value: `${url}${INBOUND_PATHS.aliyunReplies}?token=<inboundToken> and ${url}${INBOUND_PATHS.aliyunReports}?token=<inboundToken>`,
      });
    }
  }
}

/** Refuses the local-only provider, and warns of one that cannot reach the shop's default country. */
function checkProvider(stack: Stack, config: ShopConfig): void {
  if (config.sms.provider === "outbox") {
    throw new ConfigError([
      'shop.sms.provider: "outbox" exists only in the local runtime; deploy with "sns", "end-user-messaging" or "aliyun"',
    ]);
  }
  if (config.sms.provider !== "aliyun" && config.webhooks.defaultCountry === "CN") {
    // China: no long codes, no sender IDs, no international sending; only a registered in-country short
    // code ("Supported countries – Asia", AWS End User Messaging user guide).
    Annotations.of(stack).addWarningV2(
      "shopcare:sms-country",
      `sms.provider "${config.sms.provider}" cannot reach mainland Chinese numbers (webhooks.defaultCountry is CN) without a registered Chinese short code: use "aliyun" for a mainland shop`,
    );
  }
}

/** The one table (PITR, TTL, kept when the stack is deleted) and its two indexes. */
function shopTable(stack: Stack): Table {
  const table = new Table(stack, "Table", {
    partitionKey: { name: TABLE_KEYS.partitionKey, type: AttributeType.STRING },
    sortKey: { name: TABLE_KEYS.sortKey, type: AttributeType.STRING },
    billingMode: BillingMode.PAY_PER_REQUEST,
    encryption: TableEncryption.AWS_MANAGED,
    pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
    timeToLiveAttribute: TABLE_KEYS.ttl,
    removalPolicy: RemovalPolicy.RETAIN,
  });
  table.addGlobalSecondaryIndex({
    indexName: TABLE_KEYS.gsi1,
    partitionKey: { name: TABLE_KEYS.gsi1PartitionKey, type: AttributeType.STRING },
    sortKey: { name: TABLE_KEYS.gsi1SortKey, type: AttributeType.STRING },
    projectionType: ProjectionType.ALL,
  });
  // Kept webhooks by receive time for replay: keys only, so a 256 KB raw body is written once, not again
  // into an index (whose every write would cost as many write units as the body is kilobytes).
  table.addGlobalSecondaryIndex({
    indexName: TABLE_KEYS.gsi2,
    partitionKey: { name: TABLE_KEYS.gsi2PartitionKey, type: AttributeType.STRING },
    sortKey: { name: TABLE_KEYS.gsi2SortKey, type: AttributeType.STRING },
    projectionType: ProjectionType.KEYS_ONLY,
  });
  // Whose personal data an item holds (a customer, an order, a number), keys only: forget and export read a
  // customer's items by it instead of scanning the table.
  table.addGlobalSecondaryIndex({
    indexName: TABLE_KEYS.gsi3,
    partitionKey: { name: TABLE_KEYS.gsi3PartitionKey, type: AttributeType.STRING },
    sortKey: { name: TABLE_KEYS.gsi3SortKey, type: AttributeType.STRING },
    projectionType: ProjectionType.KEYS_ONLY,
  });
  return table;
}

/**
 * Aliyun's AccessKey lives in Secrets Manager, never in cdk.json: fill it in after the first deploy. It
 * starts as the JSON the functions read, with the inbound push token generated.
 */
function aliyunSecret(stack: Stack, config: ShopConfig): Secret {
  const secret = new Secret(stack, "AliyunAccessKey", {
    description: `${config.name} shopcare: Aliyun SMS AccessKey and inbound push token as {"accessKeyId": "…", "accessKeySecret": "…", "inboundToken": "…"}`,
    generateSecretString: {
      secretStringTemplate: JSON.stringify({ accessKeyId: "", accessKeySecret: "" }),
      generateStringKey: "inboundToken",
      excludePunctuation: true,
      passwordLength: 40,
    },
    // Operator-entered keys outlive the stack.
    removalPolicy: RemovalPolicy.RETAIN,
  });
  Validations.of(secret).acknowledge({
    id: "AwsSolutions-SMG4",
    reason: "An Aliyun AccessKey is rotated in the Aliyun console; Secrets Manager cannot rotate it.",
  });
  return secret;
}

/**
 * Where the Shopify Admin API token is kept (never in cdk.json): `{"accessToken": "shpat_…"}`, entered by the
 * operator after the first deploy; `shopcare connect shopify --stack` reads it with the operator's rights.
 */
function shopifyAdminSecret(stack: Stack, config: ShopConfig): Secret {
  const secret = new Secret(stack, "ShopifyAdminToken", {
    description: `${config.name} shopcare: the Shopify Admin API access token of ${config.shopify.shop} as {"accessToken": "…"}`,
    secretObjectValue: {},
    removalPolicy: RemovalPolicy.RETAIN,
  });
  Validations.of(secret).acknowledge({
    id: "AwsSolutions-SMG4",
    reason: "A Shopify Admin API token is rotated in the Shopify admin; Secrets Manager cannot rotate it.",
  });
  return secret;
}
