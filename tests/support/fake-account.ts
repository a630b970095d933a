import { createHash } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { LoopbackFake, sigV4Service } from "./loopback.js";

/**
 * One AWS account as `shopcare doctor` sees it, behind a single local endpoint (`AWS_ENDPOINT_URL`): the
 * APIs doctor reads (CloudFormation and SNS over the query protocol; Secrets Manager over JSON 1.1; SQS,
 * Step Functions, CloudWatch and End User Messaging over JSON 1.0), each request checked for its
 * protocol, its SigV4 service name and its required members, and answered in the API's own shape from
 * the state a test sets.
 */

export interface FakeAccountState {
  stacks: Record<string, { status: string; outputs: Record<string, string> }>;
  secrets: Record<string, string>;
  sns: { inSandbox: boolean; monthlySpendLimit: string; monthToDateSpent: number };
  subscriptions: Record<string, { protocol: string; endpoint: string; arn: string }[]>;
  alarms: { name: string; state: "OK" | "ALARM" | "INSUFFICIENT_DATA" }[];
  queueDepths: Record<string, number>;
  /** Messages waiting in a queue, by its URL, as ReceiveMessage returns them (a peek takes none). */
  queueMessages?: Record<
    string,
    { Body: string; MessageAttributes: Record<string, { DataType: string; StringValue: string }> }[]
  >;
  machineVersions: Record<string, number>;
  /** Executions by ARN: StopExecution aborts a running one (ExecutionDoesNotExist for others). */
  executions?: Record<string, "RUNNING" | "ABORTED" | "SUCCEEDED">;
  /** State machines by ARN with their status (a destroyed stack's birthday machine may stay DELETING). */
  machines?: Record<string, { name: string; status: "ACTIVE" | "DELETING" }>;
  /** The table's parcel-subscription day tallies (`TRACKSTAT` / day), by day. */
  parcelTallies?: Record<string, Record<string, number>>;
  eum: {
    tier: "SANDBOX" | "PRODUCTION";
    textSpendLimit: number;
    phoneNumbers: { PhoneNumber: string; PhoneNumberId: string; PhoneNumberArn: string }[];
    configurationSets: Record<string, { topicArn?: string; enabled: boolean }>;
  };
}

/** The SigV4 service name each API signs for. */
const SERVICES: Record<string, string> = {
  cloudformation: "cloudformation",
  sns: "sns",
  secretsmanager: "secretsmanager",
  AmazonSQS: "sqs",
  AWSStepFunctions: "states",
  GraniteServiceVersion20100801: "monitoring",
  PinpointSMSVoiceV2: "sms-voice",
  DynamoDB_20120810: "dynamodb",
};

const xmlEscape = (text: string) => text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

/** A JSON-protocol error, as AWS answers it: 400 with its `__type` and message. */
const notFound = (type: string, message: string): [number, unknown] => [400, { __type: type, message }];

export class FakeAccount extends LoopbackFake {
  /** Every request, as `service.Operation`. */
  readonly calls: string[] = [];

  constructor(public state: FakeAccountState) {
    super();
  }

  protected handle(request: IncomingMessage, response: ServerResponse, text: string): void {
    const [status, body, contentType] = this.answer(request, text);
    response.writeHead(status, { "content-type": contentType });
    response.end(body);
  }

  /** The API's answer: status, body and content type. */
  private answer(request: IncomingMessage, text: string): [number, string, string] {
    const target = String(request.headers["x-amz-target"] ?? "");
    const signedFor = sigV4Service(request);
    if (target) {
      const [prefix = "", operation = ""] = target.split(".");
      const contentType =
        prefix === "secretsmanager" ? "application/x-amz-json-1.1" : "application/x-amz-json-1.0";
      if (!String(request.headers["content-type"]).startsWith(contentType) || signedFor !== SERVICES[prefix])
        return [
          400,
          JSON.stringify({ __type: "InvalidSignatureException", message: `bad ${target}` }),
          contentType,
        ];
      this.calls.push(`${SERVICES[prefix]}.${operation}`);
      const [status, body] = this.json(prefix, operation, JSON.parse(text || "{}"));
      return [status, JSON.stringify(body), contentType];
    }
    const params = Object.fromEntries(new URLSearchParams(text));
    if (!signedFor || !["cloudformation", "sns"].includes(signedFor))
      return [403, "<ErrorResponse/>", "text/xml"];
    this.calls.push(`${signedFor}.${params.Action}`);
    const [status, xml] = signedFor === "cloudformation" ? this.cloudFormation(params) : this.sns(params);
    return [status, xml, "text/xml"];
  }

  private queryError(namespace: string, code: string, message: string): [number, string] {
    return [
      400,
      `<ErrorResponse xmlns="${namespace}"><Error><Type>Sender</Type><Code>${code}</Code><Message>${xmlEscape(message)}</Message></Error><RequestId>r</RequestId></ErrorResponse>`,
    ];
  }

  private cloudFormation(params: Record<string, string>): [number, string] {
    const ns = "http://cloudformation.amazonaws.com/doc/2010-05-15/";
    if (params.Action !== "DescribeStacks" || params.Version !== "2010-05-15")
      return this.queryError(ns, "InvalidAction", String(params.Action));
    const name = params.StackName ?? "";
    const stack = this.state.stacks[name];
    if (!stack) return this.queryError(ns, "ValidationError", `Stack with id ${name} does not exist`);
    const outputs = Object.entries(stack.outputs)
      .map(
        ([key, value]) =>
          `<member><OutputKey>${key}</OutputKey><OutputValue>${xmlEscape(value)}</OutputValue></member>`,
      )
      .join("");
    return [
      200,
      `<DescribeStacksResponse xmlns="${ns}"><DescribeStacksResult><Stacks><member><StackName>${name}</StackName><StackId>arn:aws:cloudformation:ap-southeast-1:111122223333:stack/${name}/1</StackId><CreationTime>2026-12-01T00:00:00Z</CreationTime><StackStatus>${stack.status}</StackStatus><Outputs>${outputs}</Outputs></member></Stacks></DescribeStacksResult><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></DescribeStacksResponse>`,
    ];
  }

  private sns(params: Record<string, string>): [number, string] {
    const ns = "http://sns.amazonaws.com/doc/2010-03-31/";
    const wrap = (action: string, result: string): [number, string] => [
      200,
      `<${action}Response xmlns="${ns}"><${action}Result>${result}</${action}Result><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></${action}Response>`,
    ];
    if (params.Version !== "2010-03-31") return this.queryError(ns, "InvalidParameter", "Version");
    switch (params.Action) {
      case "GetSMSSandboxAccountStatus":
        return wrap(params.Action, `<IsInSandbox>${this.state.sns.inSandbox}</IsInSandbox>`);
      case "GetSMSAttributes": {
        if (params["attributes.member.1"] !== "MonthlySpendLimit")
          return this.queryError(ns, "InvalidParameter", "attributes");
        return wrap(
          params.Action,
          `<attributes><entry><key>MonthlySpendLimit</key><value>${this.state.sns.monthlySpendLimit}</value></entry></attributes>`,
        );
      }
      case "ListSubscriptionsByTopic": {
        const topic = params.TopicArn ?? "";
        const subscriptions = this.state.subscriptions[topic];
        if (!subscriptions) return this.queryError(ns, "NotFound", "Topic does not exist");
        const members = subscriptions
          .map(
            (s) =>
              `<member><TopicArn>${topic}</TopicArn><Protocol>${s.protocol}</Protocol><SubscriptionArn>${s.arn}</SubscriptionArn><Owner>111122223333</Owner><Endpoint>${s.endpoint}</Endpoint></member>`,
          )
          .join("");
        return wrap(params.Action, `<Subscriptions>${members}</Subscriptions>`);
      }
      default:
        return this.queryError(ns, "InvalidAction", String(params.Action));
    }
  }

  /** Secrets Manager, SQS and Step Functions (JSON protocol); the rest in `monitoringJson`. */
  private json(prefix: string, operation: string, body: Record<string, unknown>): [number, unknown] {
    switch (`${prefix}.${operation}`) {
      case "secretsmanager.GetSecretValue": {
        const secret = this.state.secrets[String(body.SecretId)];
        if (secret === undefined)
          return notFound("ResourceNotFoundException", "Secrets Manager can't find the specified secret.");
        return [
          200,
          { ARN: body.SecretId, Name: "s", SecretString: secret, VersionId: "v1", CreatedDate: 1764547200 },
        ];
      }
      case "AmazonSQS.GetQueueAttributes": {
        const depth = this.state.queueDepths[String(body.QueueUrl)];
        if (depth === undefined)
          return notFound("com.amazonaws.sqs#QueueDoesNotExist", "The specified queue does not exist.");
        if (!(body.AttributeNames as string[] | undefined)?.includes("ApproximateNumberOfMessages"))
          return notFound("com.amazonaws.sqs#InvalidAttributeName", "AttributeNames");
        return [200, { Attributes: { ApproximateNumberOfMessages: String(depth) } }];
      }
      case "AmazonSQS.ReceiveMessage": {
        if (this.state.queueDepths[String(body.QueueUrl)] === undefined)
          return notFound("com.amazonaws.sqs#QueueDoesNotExist", "The specified queue does not exist.");
        if (Number(body.MaxNumberOfMessages ?? 1) > 10)
          return notFound("com.amazonaws.sqs#InvalidParameterValue", "MaxNumberOfMessages");
        // Without MessageAttributeNames SQS returns no attributes.
        const attributes = (body.MessageAttributeNames as string[] | undefined)?.includes("All");
        const messages = (this.state.queueMessages?.[String(body.QueueUrl)] ?? [])
          .slice(0, Number(body.MaxNumberOfMessages ?? 1))
          .map((message, index) => ({
            MessageId: `m-${index}`,
            ReceiptHandle: `rh-${index}`,
            Body: message.Body,
            // The SDK checks each body against its MD5, as SQS sends it.
            MD5OfBody: createHash("md5").update(message.Body).digest("hex"),
            ...(attributes ? { MessageAttributes: message.MessageAttributes } : {}),
          }));
        return [200, { Messages: messages }];
      }
      case "AWSStepFunctions.StopExecution": {
        // "StopExecution", Step Functions API reference: stopping an ended execution is no error.
        const arn = String(body.executionArn);
        const status = this.state.executions?.[arn];
        if (status === undefined)
          return notFound("ExecutionDoesNotExist", `Execution Does Not Exist: '${arn}'`);
        if (status === "RUNNING" && this.state.executions) this.state.executions[arn] = "ABORTED";
        return [200, { stopDate: 1781928000 }];
      }
      case "AWSStepFunctions.ListStateMachines": {
        const machines = Object.entries(this.state.machines ?? {}).map(([arn, machine]) => ({
          stateMachineArn: arn,
          name: machine.name,
          type: "STANDARD",
          creationDate: 1764547200,
        }));
        return [200, { stateMachines: machines }];
      }
      case "AWSStepFunctions.DescribeStateMachine": {
        const arn = String(body.stateMachineArn);
        const machine = this.state.machines?.[arn];
        if (!machine) return notFound("StateMachineDoesNotExist", arn);
        return [
          200,
          {
            stateMachineArn: arn,
            name: machine.name,
            status: machine.status,
            definition: "{}",
            roleArn: "arn:aws:iam::111122223333:role/r",
            type: "STANDARD",
            creationDate: 1764547200,
          },
        ];
      }
      case "AWSStepFunctions.ListStateMachineVersions": {
        const arn = String(body.stateMachineArn);
        const count = this.state.machineVersions[arn];
        if (count === undefined) return notFound("StateMachineDoesNotExist", arn);
        // Pages of at most maxResults (Step Functions' own limit is 1000), with a token to go on.
        const size = Math.min(Number(body.maxResults ?? 100), 1000);
        const start = Number(body.nextToken ?? 0);
        const end = Math.min(start + size, count);
        const versions = Array.from({ length: end - start }, (_, index) => ({
          stateMachineVersionArn: `${arn}:${count - start - index}`,
          creationDate: 1764547200,
        }));
        return [200, { stateMachineVersions: versions, ...(end < count ? { nextToken: String(end) } : {}) }];
      }
      default:
        return this.monitoringJson(prefix, operation, body);
    }
  }

  /** CloudWatch and End User Messaging (JSON protocol). */
  private monitoringJson(
    prefix: string,
    operation: string,
    body: Record<string, unknown>,
  ): [number, unknown] {
    switch (`${prefix}.${operation}`) {
      case "GraniteServiceVersion20100801.DescribeAlarms": {
        const prefixFilter = String(body.AlarmNamePrefix ?? "");
        const alarms = this.state.alarms.filter((alarm) => alarm.name.startsWith(prefixFilter));
        return [
          200,
          { MetricAlarms: alarms.map((alarm) => ({ AlarmName: alarm.name, StateValue: alarm.state })) },
        ];
      }
      case "GraniteServiceVersion20100801.GetMetricStatistics": {
        if (body.Namespace !== "AWS/SNS" || body.MetricName !== "SMSMonthToDateSpentUSD")
          return notFound("InvalidParameterValue", "metric");
        return [
          200,
          {
            Label: "SMSMonthToDateSpentUSD",
            Datapoints: [{ Timestamp: 1764547200, Maximum: this.state.sns.monthToDateSpent }],
          },
        ];
      }
      case "PinpointSMSVoiceV2.DescribeAccountAttributes":
        return [200, { AccountAttributes: [{ Name: "ACCOUNT_TIER", Value: this.state.eum.tier }] }];
      case "PinpointSMSVoiceV2.DescribeSpendLimits":
        return [
          200,
          {
            SpendLimits: [
              {
                Name: "TEXT_MESSAGE_MONTHLY_SPEND_LIMIT",
                EnforcedLimit: this.state.eum.textSpendLimit,
                MaxLimit: 10000,
                Overridden: false,
              },
            ],
          },
        ];
      case "PinpointSMSVoiceV2.DescribePhoneNumbers":
        return [200, { PhoneNumbers: this.state.eum.phoneNumbers }];
      case "PinpointSMSVoiceV2.DescribeSenderIds":
        return [200, { SenderIds: [] }];
      case "PinpointSMSVoiceV2.DescribePools":
        return [200, { Pools: [] }];
      case "PinpointSMSVoiceV2.DescribeConfigurationSets": {
        const [name] = (body.ConfigurationSetNames as string[] | undefined) ?? [];
        const set = name === undefined ? undefined : this.state.eum.configurationSets[name];
        if (!set) return notFound("ResourceNotFoundException", `configuration set ${name} not found`);
        return [
          200,
          {
            ConfigurationSets: [
              {
                ConfigurationSetName: name,
                ConfigurationSetArn: `arn:aws:sms-voice:ap-southeast-1:111122223333:configuration-set/${name}`,
                CreatedTimestamp: 1764547200,
                EventDestinations: set.topicArn
                  ? [
                      {
                        EventDestinationName: "shopcare",
                        Enabled: set.enabled,
                        MatchingEventTypes: ["TEXT_ALL"],
                        SnsDestination: { TopicArn: set.topicArn },
                      },
                    ]
                  : [],
              },
            ],
          },
        ];
      }
      case "DynamoDB_20120810.Query":
        return this.tallyQuery(body);
      default:
        return notFound("UnknownOperationException", `${prefix}.${operation}`);
    }
  }

  /** DynamoDB `Query` of the tallies' partition over a day range, answered in DynamoDB's JSON. */
  private tallyQuery(body: Record<string, unknown>): [number, unknown] {
    const values = (body.ExpressionAttributeValues ?? {}) as Record<string, { S?: string }>;
    const outputs = Object.values(this.state.stacks)[0]?.outputs ?? {};
    if (body.TableName !== outputs.TableName)
      return notFound("ResourceNotFoundException", `Requested resource not found: ${body.TableName}`);
    if (body.KeyConditionExpression !== "pk = :pk AND sk BETWEEN :since AND :until" || !values[":pk"])
      return notFound("ValidationException", `unexpected key condition ${body.KeyConditionExpression}`);
    const [since = "", until = ""] = [values[":since"]?.S, values[":until"]?.S];
    const days = values[":pk"].S === "TRACKSTAT" ? Object.entries(this.state.parcelTallies ?? {}) : [];
    const items = days
      .filter(([day]) => day >= since && day <= until)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([day, counts]) => ({
        pk: { S: "TRACKSTAT" },
        sk: { S: day },
        ...Object.fromEntries(Object.entries(counts).map(([field, n]) => [field, { N: String(n) }])),
      }));
    return [200, { Items: items, Count: items.length, ScannedCount: items.length }];
  }
}
