import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { aliyunSignature } from "../../functions/providers/aliyun.js";
import { LoopbackFake, sigV4Service } from "./loopback.js";

/**
 * Local stand-ins for the SMS APIs, the one edge that cannot run here. Each checks a request the way the
 * real API would (protocol, action, SigV4 or Aliyun signature, required parameters), records what it
 * accepted, and can throttle above a rate, fail with 5xx, or stall past the client's timeout.
 */

/** One request the fake accepted (sent) or refused. */
export interface FakeRequest {
  readonly api: "sns" | "eum" | "aliyun";
  readonly at: number;
  readonly headers: IncomingMessage["headers"];
  /** Form parameters (SNS, Aliyun) or the JSON body (End User Messaging). */
  readonly params: Record<string, unknown>;
  readonly outcome: "accepted" | "throttled" | "failed" | "stalled" | "denied" | "invalid";
}

/** How the fake behaves. */
export interface FakeBehaviour {
  /**
   * The API's rate: a token bucket of this many tokens, refilled at this many per second (how AWS and
   * Aliyun meter). A request finding the bucket empty gets the API's throttling error.
   */
  perSecond?: number;
  /** The next N requests fail with a 5xx. */
  failNext?: number;
  /** The next N requests are held until the client gives up. */
  stallNext?: number;
  /**
   * Every request is refused as the account's IAM policy would refuse it (SNS `AuthorizationError`, End User
   * Messaging `AccessDeniedException`, both HTTP 403): a role or key that is not allowed to send.
   */
  denied?: boolean;
  /**
   * The meter's clock: a test's virtual clock, so what the bucket sees does not depend on how fast or
   * loaded the machine is. @default Date.now
   */
  now?: () => number;
  /** The Aliyun AccessKey secret requests must be signed with. */
  aliyunSecret?: string;
}

export class FakeSmsApis extends LoopbackFake {
  readonly requests: FakeRequest[] = [];
  private bucket: { tokens: number; at: number } | undefined;

  constructor(public behaviour: FakeBehaviour = {}) {
    super();
  }

  /** Starts the rate meter afresh (a full bucket). */
  resetMeter(): void {
    this.bucket = undefined;
  }

  /** Requests the API accepted, i.e. messages that went out. */
  get accepted(): FakeRequest[] {
    return this.requests.filter((request) => request.outcome === "accepted");
  }

  private gate(): "accepted" | "throttled" | "failed" | "stalled" | "denied" {
    if (this.behaviour.denied) return "denied";
    if ((this.behaviour.stallNext ?? 0) > 0) {
      this.behaviour.stallNext = (this.behaviour.stallNext ?? 0) - 1;
      return "stalled";
    }
    if ((this.behaviour.failNext ?? 0) > 0) {
      this.behaviour.failNext = (this.behaviour.failNext ?? 0) - 1;
      return "failed";
    }
    const rate = this.behaviour.perSecond;
    if (rate !== undefined) {
      const now = (this.behaviour.now ?? Date.now)();
      const bucket = this.bucket ?? { tokens: rate, at: now };
      const tokens = Math.min(rate, bucket.tokens + ((now - bucket.at) / 1000) * rate);
      if (tokens < 1) {
        this.bucket = { tokens, at: now };
        return "throttled";
      }
      this.bucket = { tokens: tokens - 1, at: now };
    } else {
      this.bucket = undefined;
    }
    return "accepted";
  }

  protected async handle(request: IncomingMessage, response: ServerResponse, body: string): Promise<void> {
    const target = String(request.headers["x-amz-target"] ?? "");
    if (target.startsWith("PinpointSMSVoiceV2."))
      return this.endUserMessaging(request, response, body, target);
    const params = Object.fromEntries(new URLSearchParams(body));
    if (params.Action === "Publish") return this.sns(request, response, params);
    if (params.Action === "SendSms") return this.aliyun(request, response, params);
    response.writeHead(400).end(`unknown request ${request.method} ${request.url} ${body.slice(0, 100)}`);
  }

  private record(
    api: FakeRequest["api"],
    request: IncomingMessage,
    params: Record<string, unknown>,
    outcome: FakeRequest["outcome"],
  ) {
    this.requests.push({ api, at: Date.now(), headers: request.headers, params, outcome });
  }

  /**
   * Holds the request, having accepted it, until the client gives up and closes the connection: however
   * short or long the client's timeout, and however loaded the machine, the client times out first.
   */
  private async stall(response: ServerResponse): Promise<void> {
    await new Promise((resolve) => response.once("close", resolve));
  }

  /** SNS Publish, AWS query protocol (form body, XML answers). */
  private async sns(request: IncomingMessage, response: ServerResponse, params: Record<string, string>) {
    const valid =
      params.Version === "2010-03-31" &&
      sigV4Service(request) === "sns" &&
      /^\+\d{8,15}$/.test(params.PhoneNumber ?? "") &&
      (params.Message ?? "") !== "";
    if (!valid) {
      this.record("sns", request, params, "invalid");
      response.writeHead(400, { "content-type": "text/xml" });
      response.end(
        '<ErrorResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><Error><Type>Sender</Type><Code>InvalidParameter</Code><Message>Invalid parameter: PhoneNumber</Message></Error><RequestId>r</RequestId></ErrorResponse>',
      );
      return;
    }
    const outcome = this.gate();
    this.record("sns", request, params, outcome);
    if (outcome === "stalled") return this.stall(response);
    if (outcome !== "accepted") {
      const [status, code] =
        outcome === "throttled"
          ? [400, "Throttling"]
          : outcome === "denied"
            ? [403, "AuthorizationError"]
            : [500, "InternalError"];
      response.writeHead(status, { "content-type": "text/xml" });
      response.end(
        `<ErrorResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><Error><Type>${status === 400 ? "Sender" : "Receiver"}</Type><Code>${code}</Code><Message>${code}</Message></Error><RequestId>r</RequestId></ErrorResponse>`,
      );
      return;
    }
    response.writeHead(200, { "content-type": "text/xml" });
    response.end(
      `<PublishResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><PublishResult><MessageId>${randomUUID()}</MessageId></PublishResult><ResponseMetadata><RequestId>${randomUUID()}</RequestId></ResponseMetadata></PublishResponse>`,
    );
  }

  /** End User Messaging SendTextMessage, AWS JSON 1.0 protocol. */
  private async endUserMessaging(
    request: IncomingMessage,
    response: ServerResponse,
    body: string,
    target: string,
  ) {
    const params = JSON.parse(body) as Record<string, unknown>;
    const valid =
      target === "PinpointSMSVoiceV2.SendTextMessage" &&
      String(request.headers["content-type"]).startsWith("application/x-amz-json-1.0") &&
      sigV4Service(request) === "sms-voice" &&
      /^\+\d{8,15}$/.test(String(params.DestinationPhoneNumber));
    if (!valid) {
      this.record("eum", request, params, "invalid");
      response.writeHead(400, { "content-type": "application/x-amz-json-1.0" });
      response.end(JSON.stringify({ __type: "ValidationException", Message: "invalid request" }));
      return;
    }
    const outcome = this.gate();
    this.record("eum", request, params, outcome);
    if (outcome === "stalled") return this.stall(response);
    if (outcome !== "accepted") {
      const [status, type] =
        outcome === "throttled"
          ? [400, "ThrottlingException"]
          : outcome === "denied"
            ? [403, "AccessDeniedException"]
            : [500, "InternalServerException"];
      response.writeHead(status, { "content-type": "application/x-amz-json-1.0" });
      response.end(JSON.stringify({ __type: type, Message: type }));
      return;
    }
    response.writeHead(200, { "content-type": "application/x-amz-json-1.0" });
    response.end(JSON.stringify({ MessageId: randomUUID() }));
  }

  /** Aliyun SendSms, RPC style with signature method V1. */
  private async aliyun(request: IncomingMessage, response: ServerResponse, params: Record<string, string>) {
    const { Signature, ...signed } = params;
    const answer = (status: number, json: Record<string, unknown>) => {
      response.writeHead(status, { "content-type": "application/json" });
      response.end(JSON.stringify({ RequestId: randomUUID(), ...json }));
    };
    const required = [
      "AccessKeyId",
      "PhoneNumbers",
      "SignName",
      "TemplateCode",
      "SignatureNonce",
      "Timestamp",
    ];
    const missing = required.find((name) => !signed[name]);
    if (missing) {
      this.record("aliyun", request, params, "invalid");
      return answer(400, { Code: "MissingParameter", Message: `${missing} is mandatory` });
    }
    if (
      signed.Version !== "2017-05-25" ||
      signed.SignatureMethod !== "HMAC-SHA1" ||
      Signature !== aliyunSignature("POST", signed, this.behaviour.aliyunSecret ?? "")
    ) {
      this.record("aliyun", request, params, "invalid");
      return answer(400, { Code: "SignatureDoesNotMatch", Message: "Specified signature is not matched" });
    }
    // Aliyun's SendSms error codes: a variable may not carry a URL (isv.PARAM_NOT_SUPPORT_URL).
    const values = Object.values(JSON.parse(signed.TemplateParam || "{}") as Record<string, string>);
    if (values.some((value) => /https?:\/\/|www\./i.test(value))) {
      this.record("aliyun", request, params, "invalid");
      return answer(200, { Code: "isv.PARAM_NOT_SUPPORT_URL", Message: "不支持url为变量" });
    }
    const outcome = this.gate();
    this.record("aliyun", request, params, outcome);
    if (outcome === "stalled") return this.stall(response);
    if (outcome === "throttled")
      return answer(200, { Code: "isv.BUSINESS_LIMIT_CONTROL", Message: "触发流控" });
    if (outcome === "failed") return answer(500, { Code: "isp.SYSTEM_ERROR", Message: "系统错误" });
    if (outcome === "denied") return answer(403, { Code: "Forbidden.RAM", Message: "User not authorized" });
    return answer(200, { Code: "OK", Message: "OK", BizId: `${Date.now()}^0` });
  }
}
