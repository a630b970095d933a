import { createHash, randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { LoopbackFake, sigV4Service } from "./loopback.js";

/**
 * A local endpoint for the AWS JSON 1.0 APIs shopcare calls (SQS, Step Functions) and SNS's query API, so
 * the real SDK clients are tested against the wire protocol: each request is checked the way the service
 * checks it (target, content type, SigV4 for the right service, required members, limits), recorded, and
 * answered in the service's own shape — errors included.
 */

export interface AwsRequest {
  readonly service: "sqs" | "states" | "sns";
  readonly operation: string;
  readonly body: Record<string, unknown>;
}

type Answer = { status: number; body: Record<string, unknown> };

const signedFor = (request: IncomingMessage, service: string) => sigV4Service(request) === service;

const error = (status: number, type: string, message: string): Answer => ({
  status,
  body: { __type: type, message },
});

/** Behaviour of the fake, settable per test. */
export interface FakeAwsBehaviour {
  /** SendMessageBatch entries (by Id) SQS reports in `Failed` instead of `Successful`. */
  failEntryIds?: Set<string>;
  /** The next N requests fail with the service's throttling error. */
  throttleNext?: number;
}

export class FakeAws extends LoopbackFake {
  readonly requests: AwsRequest[] = [];
  /** Messages SQS accepted, in order. */
  readonly queued: { body: string; attributes: unknown }[] = [];
  /** Step Functions executions by ARN: input and status. */
  readonly executions = new Map<string, { input: string; status: "RUNNING" | "ABORTED" }>();
  /** SNS messages published to topics. */
  readonly published: Record<string, string>[] = [];
  behaviour: FakeAwsBehaviour = {};

  protected handle(request: IncomingMessage, response: ServerResponse, text: string): void {
    const target = String(request.headers["x-amz-target"] ?? "");
    let answer: Answer;
    let contentType = "application/x-amz-json-1.0";
    if (target) {
      const [prefix, operation = ""] = target.split(".");
      const service = prefix === "AmazonSQS" ? "sqs" : prefix === "AWSStepFunctions" ? "states" : undefined;
      const body = JSON.parse(text || "{}") as Record<string, unknown>;
      if (!service) answer = error(400, "UnknownOperationException", target);
      else if (!String(request.headers["content-type"]).startsWith("application/x-amz-json-1.0"))
        answer = error(400, "SerializationException", "expected application/x-amz-json-1.0");
      else if (!signedFor(request, service)) answer = error(403, "IncompleteSignature", "not SigV4");
      else {
        this.requests.push({ service, operation, body });
        answer =
          this.throttled(service) ??
          (service === "sqs" ? this.sqs(operation, body) : this.states(operation, body));
      }
    } else {
      contentType = "text/xml";
      const params = Object.fromEntries(new URLSearchParams(text));
      this.requests.push({ service: "sns", operation: params.Action ?? "", body: params });
      answer = signedFor(request, "sns") ? this.sns(params) : { status: 403, body: { xml: "<Error/>" } };
    }
    response.writeHead(answer.status, { "content-type": contentType });
    response.end(contentType === "text/xml" ? String(answer.body.xml) : JSON.stringify(answer.body));
  }

  private throttled(service: string): Answer | undefined {
    if (!this.behaviour.throttleNext) return undefined;
    this.behaviour.throttleNext -= 1;
    return service === "sqs"
      ? error(400, "com.amazonaws.sqs#RequestThrottled", "Request is throttled.")
      : error(400, "ThrottlingException", "Rate exceeded");
  }

  /** SendMessageBatch as SQS answers it: at most 10 entries, unique Ids, per-entry results. */
  private sqs(operation: string, body: Record<string, unknown>): Answer {
    if (operation !== "SendMessageBatch") return error(400, "com.amazonaws.sqs#InvalidAction", operation);
    const entries = (body.Entries ?? []) as {
      Id: string;
      MessageBody: string;
      MessageAttributes?: unknown;
      DelaySeconds?: number;
    }[];
    if (typeof body.QueueUrl !== "string")
      return error(400, "com.amazonaws.sqs#MissingParameter", "QueueUrl");
    if (entries.length === 0) return error(400, "com.amazonaws.sqs#EmptyBatchRequest", "no entries");
    if (entries.length > 10)
      return error(400, "com.amazonaws.sqs#TooManyEntriesInBatchRequest", `${entries.length} entries`);
    const badDelay = entries.find(
      (entry) => entry.DelaySeconds !== undefined && (entry.DelaySeconds < 0 || entry.DelaySeconds > 900),
    );
    if (badDelay)
      return error(400, "com.amazonaws.sqs#InvalidParameterValue", "DelaySeconds must be 0 to 900");
    if (new Set(entries.map((entry) => entry.Id)).size !== entries.length)
      return error(400, "com.amazonaws.sqs#BatchEntryIdsNotDistinct", "ids repeat");
    const failed = entries.filter((entry) => this.behaviour.failEntryIds?.has(entry.Id));
    const successful = entries.filter((entry) => !this.behaviour.failEntryIds?.has(entry.Id));
    for (const entry of successful)
      this.queued.push({ body: entry.MessageBody, attributes: entry.MessageAttributes });
    return {
      status: 200,
      body: {
        Successful: successful.map((entry) => ({
          Id: entry.Id,
          MessageId: randomUUID(),
          // The SDK checks each body's MD5 against what it sent.
          MD5OfMessageBody: createHash("md5").update(entry.MessageBody).digest("hex"),
        })),
        Failed: failed.map((entry) => ({
          Id: entry.Id,
          SenderFault: false,
          Code: "InternalError",
          Message: "try again",
        })),
      },
    };
  }

  /**
   * StartExecution / StopExecution as Step Functions answers them: an alias or version ARN starts an
   * execution whose ARN is `execution:<machine>:<name>`; the same name again while it runs is a no-op with
   * the same input and `ExecutionAlreadyExists` with another.
   */
  private states(operation: string, body: Record<string, unknown>): Answer {
    if (operation === "StartExecution") {
      const machine = String(body.stateMachineArn ?? "");
      const name = String(body.name ?? "");
      if (!/^arn:aws:states:[\w-]+:\d{12}:stateMachine:[\w-]+(:[\w-]+)?$/.test(machine))
        return error(400, "InvalidArn", `Invalid Arn: '${machine}'`);
      if (!/^[\w-]{1,80}$/.test(name)) return error(400, "InvalidName", `Invalid Name: '${name}'`);
      const arn = `${machine.split(":").slice(0, 7).join(":").replace(":stateMachine:", ":execution:")}:${name}`;
      const existing = this.executions.get(arn);
      if (existing && (existing.input !== body.input || existing.status !== "RUNNING"))
        return error(400, "ExecutionAlreadyExists", `Execution Already Exists: '${arn}'`);
      this.executions.set(arn, { input: String(body.input), status: "RUNNING" });
      return { status: 200, body: { executionArn: arn, startDate: Date.now() / 1000 } };
    }
    if (operation === "StopExecution") {
      const arn = String(body.executionArn ?? "");
      const execution = this.executions.get(arn);
      if (!execution) return error(400, "ExecutionDoesNotExist", `Execution Does Not Exist: '${arn}'`);
      execution.status = "ABORTED";
      return { status: 200, body: { stopDate: Date.now() / 1000 } };
    }
    return error(400, "UnknownOperationException", operation);
  }

  /** SNS Publish to a topic (the query API): TopicArn and Message required, Subject at most 100 characters. */
  private sns(params: Record<string, string>): Answer {
    const invalid = (message: string) => ({
      status: 400,
      body: {
        xml: `<ErrorResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><Error><Type>Sender</Type><Code>InvalidParameter</Code><Message>${message}</Message></Error><RequestId>r</RequestId></ErrorResponse>`,
      },
    });
    if (params.Action !== "Publish" || params.Version !== "2010-03-31") return invalid("Action");
    if (!/^arn:aws:sns:[\w-]+:\d{12}:[\w-]+$/.test(params.TopicArn ?? "")) return invalid("TopicArn");
    if (!params.Message) return invalid("Message");
    if ((params.Subject ?? "").length > 100) return invalid("Subject");
    this.published.push(params);
    return {
      status: 200,
      body: {
        xml: `<PublishResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><PublishResult><MessageId>${randomUUID()}</MessageId></PublishResult><ResponseMetadata><RequestId>${randomUUID()}</RequestId></ResponseMetadata></PublishResponse>`,
      },
    };
  }
}

/** SDK client settings that point a real client at the fake. */
export const fakeClientConfig = (fake: FakeAws) => ({
  endpoint: fake.url,
  region: "ap-southeast-1",
  credentials: { accessKeyId: "AKIDTEST", secretAccessKey: "secret" },
  maxAttempts: 1,
});
