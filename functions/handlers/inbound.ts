import { createHash, timingSafeEqual } from "node:crypto";
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, SNSEvent } from "aws-lambda";
import type * as z from "zod";
import type { ShopConfig } from "../core/config/config.js";
import type { OperatorChannel } from "../core/config/messaging.js";
import { applyInbound, type InboundMessage } from "../core/intake/replies.js";
import type { Clock } from "../core/shared/clock.js";
import type { EventQueue, Repositories as Store } from "../core/shared/ports.js";
import { ReceiptTooEarlyError } from "../core/shared/ports.js";
import {
  AliyunRepliesSchema,
  AliyunReportsSchema,
  fromAliyunReplies,
  fromAliyunReports,
  fromSnsNotification,
  LocalReplySchema,
} from "../providers/inbound-payloads.js";
import { logger } from "./logger.js";

/** What the inbound handlers need. */
export interface InboundDeps {
  readonly store: Store;
  readonly config: ShopConfig;
  readonly clock: Clock;
  /**
   * The token Aliyun's push URLs carry (`?token=…`): Aliyun's HTTP push signs nothing ("SmsUp" / "SmsReport",
   * HTTP批量推送), so the secret URL is all that tells its requests from anyone's. Without it (or when it
   * resolves empty) the Aliyun routes refuse every request. @default Aliyun routes refuse everything
   */
  readonly aliyunToken?: () => Promise<string | undefined>;
  /** Where replies that are not opt-outs go: the operators' topic on AWS, the outbox locally. */
  readonly operators: OperatorChannel;
  /** Where opt-out replies are handed on to be written back to the shop platform. @default none */
  readonly events?: EventQueue;
}

/** The HTTP paths providers push replies and receipts to. */
export const INBOUND_PATHS = {
  aliyunReplies: "/inbound/aliyun/replies",
  aliyunReports: "/inbound/aliyun/receipts",
  localReply: "/inbound/sms",
} as const;

function json(statusCode: number, body: unknown): APIGatewayProxyStructuredResultV2 {
  return { statusCode, headers: { "content-type": "application/json" }, body: JSON.stringify(body) };
}

/** Compares two secrets in constant time (hashed first, so their lengths do not leak either). */
function sameSecret(given: string, expected: string): boolean {
  const digest = (value: string) => createHash("sha256").update(value).digest();
  return timingSafeEqual(digest(given), digest(expected));
}

function parse<T>(
  schema: z.ZodType<T>,
  body: unknown,
): { ok: true; value: T } | { ok: false; response: APIGatewayProxyStructuredResultV2 } {
  const result = schema.safeParse(body);
  if (result.success) return { ok: true, value: result.data };
  const [issue] = result.error.issues;
  const field = issue && issue.path.length > 0 ? issue.path.map(String).join(".") : "(body)";
  return { ok: false, response: json(400, { error: "invalid body", field, message: issue?.message }) };
}

/**
 * Provider callbacks over HTTP: Aliyun's upstream messages and delivery reports (answered with the
 * `{"code":0}` Aliyun expects, so it stops retrying), and the local runtime's reply endpoint.
 */
export function createInboundHttpHandler(
  deps: InboundDeps,
): (event: APIGatewayProxyEventV2) => Promise<APIGatewayProxyStructuredResultV2> {
  return async (event) => {
    const path = event.rawPath;
    if (path.includes("/aliyun/")) {
      const given = new URLSearchParams(event.rawQueryString ?? "").get("token") ?? "";
      const expected = (await deps.aliyunToken?.()) ?? "";
      // Refused before the body is read: nothing an unverified request says is kept.
      if (expected === "") {
        logger.warn("inbound refused: no token set", { path });
        return json(401, { error: "no secret set for aliyun", field: "token" });
      }
      if (!sameSecret(given, expected)) {
        logger.warn("inbound refused: missing or wrong token", { path });
        return json(401, { error: "missing or wrong token", field: "token" });
      }
    }
    const raw = event.body
      ? event.isBase64Encoded
        ? Buffer.from(event.body, "base64").toString("utf8")
        : event.body
      : "";
    let body: unknown;
    try {
      body = JSON.parse(raw);
    } catch (error) {
      return json(400, { error: "body is not valid JSON", detail: (error as Error).message });
    }
    let messages: InboundMessage[];
    if (path.endsWith(INBOUND_PATHS.aliyunReplies)) {
      const parsed = parse(AliyunRepliesSchema, body);
      if (!parsed.ok) return parsed.response;
      messages = fromAliyunReplies(parsed.value);
    } else if (path.endsWith(INBOUND_PATHS.aliyunReports)) {
      const parsed = parse(AliyunReportsSchema, body);
      if (!parsed.ok) return parsed.response;
      messages = fromAliyunReports(parsed.value);
    } else if (path.endsWith(INBOUND_PATHS.localReply)) {
      const parsed = parse(LocalReplySchema, body);
      if (!parsed.ok) return parsed.response;
      const { from, text, at } = parsed.value;
      messages = [{ kind: "reply", from, text, at: at ?? deps.clock.now().toISOString(), source: "local" }];
    } else {
      return json(404, { error: `no inbound route ${path}` });
    }
    const outcomes = [];
    try {
      for (const message of messages)
        outcomes.push(await applyInbound({ ...deps, now: () => deps.clock.now() }, message));
    } catch (error) {
      // Not decided yet: a non-200 makes Aliyun push the whole batch again (1, 5, 10 minutes later), and
      // what was applied already applies the same way again.
      if (error instanceof ReceiptTooEarlyError) return json(503, { error: error.message });
      throw error;
    }
    logger.info("inbound applied", { path, outcomes });
    return path.includes("/aliyun/") ? json(200, { code: 0, msg: "成功" }) : json(200, { outcomes });
  };
}

/**
 * The inbound SNS topic: two-way SMS replies (SNS and End User Messaging) and End User Messaging
 * delivery events. A notification that cannot be read fails the invocation, so Lambda's retries and
 * its dead-letter queue keep it for an operator.
 */
export function createInboundSnsHandler(deps: InboundDeps): (event: SNSEvent) => Promise<void> {
  return async (event) => {
    for (const record of event.Records) {
      const messages = fromSnsNotification(record.Sns.Message, new Date(record.Sns.Timestamp).toISOString());
      for (const message of messages) {
        const outcome = await applyInbound({ ...deps, now: () => deps.clock.now() }, message);
        logger.info("inbound applied", { kind: message.kind, outcome, snsMessageId: record.Sns.MessageId });
      }
    }
  };
}
