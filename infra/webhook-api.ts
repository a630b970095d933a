import { RemovalPolicy, Validations } from "aws-cdk-lib";
import { type CfnStage, HttpApi, HttpMethod } from "aws-cdk-lib/aws-apigatewayv2";
import { HttpLambdaIntegration } from "aws-cdk-lib/aws-apigatewayv2-integrations";
import type { IAlarmAction } from "aws-cdk-lib/aws-cloudwatch";
import type { ITable } from "aws-cdk-lib/aws-dynamodb";
import type { IFunction } from "aws-cdk-lib/aws-lambda";
import { FilterPattern, LogGroup, MetricFilter, RetentionDays } from "aws-cdk-lib/aws-logs";
import { Secret } from "aws-cdk-lib/aws-secretsmanager";
import type { Construct } from "constructs";
import type { ShopConfig } from "../functions/core/config/config.js";
import { WEBHOOK_SOURCES } from "../functions/core/intake/webhooks/sources.js";
import { WEBHOOK_ACCEPTED_LOG, WEBHOOK_NOT_QUEUED_LOG } from "../functions/handlers/ingest.js";
import { METRIC, METRICS_NAMESPACE } from "../functions/handlers/telemetry.js";
import type { JourneyEngine } from "./journey-engine.js";
import { StackRoom } from "./rooms.js";
import { ShopFunction } from "./shop-function.js";

/** Properties of the {@link WebhookApi}. */
export interface WebhookApiProps {
  readonly config: ShopConfig;
  readonly table: ITable;
  /** Where accepted events go. */
  readonly engine: JourneyEngine;
  /** Where ingest's errors alarm notifies. @default no errors alarm */
  readonly alarmAction?: IAlarmAction;
}

/**
 * The shop's HTTP API and what comes in through it: `POST /webhooks/{generic,shopify,kuaidi100}` to the
 * ingest function (which verifies each source's signature with the webhook secrets, archives the raw body
 * and queues the events), access logs without source addresses, a throttle, and the two metrics counted
 * from ingest's log lines. Other rooms add their routes (`addRoute`).
 */
export class WebhookApi extends StackRoom {
  /** The HTTP API. */
  readonly api: HttpApi;
  /** The webhook sources' signing secrets (`{generic, shopify, kuaidi100}`). */
  readonly secret: Secret;
  /** The ingest function. */
  readonly ingest: ShopFunction;

  constructor(scope: Construct, id: string, props: WebhookApiProps) {
    super(scope, id);
    const { config } = props;
    // Signing secrets, never in cdk.json: `generic` is generated; set `shopify` (the app's API secret) and
    // `kuaidi100` (the subscription salt) after the first deploy.
    this.secret = new Secret(this, "WebhookSecrets", {
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
    Validations.of(this.secret).acknowledge({
      id: "AwsSolutions-SMG4",
      reason:
        "The Shopify and Kuaidi100 secrets are issued by those services; rotating them is a manual step there.",
    });
    this.ingest = new ShopFunction(this, "ingest", {
      handler: "ingest",
      config,
      table: props.table,
      environment: {
        EVENTS_QUEUE_URL: props.engine.events.queueUrl,
        WEBHOOK_SECRET_ARN: this.secret.secretArn,
      },
      alarmAction: props.alarmAction,
    });
    const ingest = this.ingest.lambda;
    // Read as well as write: a repeated delivery is looked up, and parcel pushes find their order.
    props.table.grantReadWriteData(ingest);
    // Two of the alarms' metrics, counted from ingest's log lines rather than emitted by ingest.
    for (const [filterId, message, metricName] of [
      ["WebhooksAcceptedFilter", WEBHOOK_ACCEPTED_LOG, METRIC.webhooksAccepted],
      ["WebhooksNotQueuedFilter", WEBHOOK_NOT_QUEUED_LOG, METRIC.webhooksNotQueued],
    ] as const) {
      new MetricFilter(this, filterId, {
        logGroup: this.ingest.logGroup,
        filterPattern: FilterPattern.stringValue("$.message", "=", message),
        metricNamespace: METRICS_NAMESPACE,
        metricName,
        metricValue: "1",
        dimensions: { service: "$.service" },
      });
    }
    props.engine.grantSendEvents(ingest);
    this.secret.grantRead(ingest);

    const accessLogs = new LogGroup(this, "ApiAccessLogs", {
      retention: RetentionDays.THREE_MONTHS,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.api = new HttpApi(this, "WebhookApi", { description: `${config.name} shopcare webhooks` });
    const ingestIntegration = new HttpLambdaIntegration("IngestIntegration", ingest);
    for (const source of WEBHOOK_SOURCES)
      this.api.addRoutes({
        path: `/webhooks/${source}`,
        methods: [HttpMethod.POST],
        integration: ingestIntegration,
      });
    const stage = this.api.defaultStage?.node.defaultChild as CfnStage;
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

  /** Routes `paths` to `handler` (its integration named `integrationId`). */
  addRoute(
    integrationId: string,
    handler: IFunction,
    paths: readonly string[],
    method: HttpMethod = HttpMethod.POST,
  ): void {
    const integration = new HttpLambdaIntegration(integrationId, handler);
    for (const path of paths) this.api.addRoutes({ path, methods: [method], integration });
  }

  /** The API's base URL (what `links.baseUrl` is set to, or a custom domain mapped to it). */
  get url(): string {
    return this.api.apiEndpoint;
  }
}
