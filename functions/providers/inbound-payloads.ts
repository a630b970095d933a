import { DateTime } from "luxon";
import * as z from "zod";
import type { InboundMessage } from "../core/intake/replies.js";
import type { Delivery } from "../core/shared/model.js";

/**
 * The providers' inbound payloads (replies and delivery receipts) parsed into core's {@link InboundMessage}:
 * Aliyun's HTTP pushes, End User Messaging's and SNS's notifications, and the local reply route.
 */

const e164 = z
  .string()
  .regex(/^\+[1-9]\d{6,14}$/, { error: "expected an E.164 phone number like +8613800000000" });

/** Aliyun reports numbers without `+86` for the mainland. */
function fromAliyunNumber(number: string): string {
  const digits = number.replace(/^\+/, "");
  return digits.length === 11 && digits.startsWith("1") ? `+86${digits}` : `+${digits}`;
}

/** Aliyun times are Beijing local time, `yyyy-MM-dd HH:mm:ss`. */
function fromAliyunTime(text: string): string {
  const parsed = DateTime.fromFormat(text, "yyyy-MM-dd HH:mm:ss", { zone: "Asia/Shanghai" });
  if (!parsed.isValid) throw new Error(`not an Aliyun time: ${text}`);
  return parsed.toISO() as string;
}

const aliyunTime = z.string().refine((text) => DateTime.fromFormat(text, "yyyy-MM-dd HH:mm:ss").isValid, {
  error: 'expected a time like "2026-06-18 10:00:00"',
});

/** Aliyun's upstream-message (SmsUp) HTTP push: an array of replies. */
export const AliyunRepliesSchema = z.array(
  z.looseObject({
    phone_number: z.string().regex(/^\+?\d{6,15}$/),
    content: z.string(),
    send_time: aliyunTime,
  }),
);

/** Aliyun's delivery-report (SmsReport) HTTP push: an array of receipts. */
export const AliyunReportsSchema = z.array(
  z.looseObject({
    biz_id: z.string().min(1),
    out_id: z.string().optional(),
    success: z.boolean(),
    report_time: aliyunTime,
    err_code: z.string().optional(),
  }),
);

/** The local runtime's reply endpoint body. */
export const LocalReplySchema = z.object({
  from: e164,
  text: z.string(),
  at: z.iso.datetime({ offset: true }).optional(),
});

export function fromAliyunReplies(body: z.infer<typeof AliyunRepliesSchema>): InboundMessage[] {
  return body.map((reply) => ({
    kind: "reply",
    from: fromAliyunNumber(reply.phone_number),
    text: reply.content,
    at: fromAliyunTime(reply.send_time),
    source: "aliyun",
  }));
}

export function fromAliyunReports(body: z.infer<typeof AliyunReportsSchema>): InboundMessage[] {
  return body.map((report) => ({
    kind: "receipt",
    provider: "aliyun",
    messageId: report.biz_id,
    ...(report.out_id ? { reference: report.out_id } : {}),
    delivery: report.success ? "delivered" : "failed",
    at: fromAliyunTime(report.report_time),
  }));
}

/** End User Messaging event types that settle a message; the rest (queued, pending, …) are progress. */
const EUM_DELIVERY: Readonly<Record<string, Delivery>> = {
  TEXT_DELIVERED: "delivered",
  TEXT_UNKNOWN: "unknown",
  TEXT_INVALID: "failed",
  TEXT_INVALID_MESSAGE: "failed",
  TEXT_UNREACHABLE: "failed",
  TEXT_CARRIER_UNREACHABLE: "failed",
  TEXT_BLOCKED: "failed",
  TEXT_CARRIER_BLOCKED: "failed",
  TEXT_SPAM: "failed",
  TEXT_TTL_EXPIRED: "failed",
  TEXT_OPTED_OUT: "failed",
};

/**
 * One SNS notification on the inbound topic: a two-way SMS reply (SNS or End User Messaging publish the
 * same shape) or an End User Messaging delivery event.
 * @returns the messages it carries (none for progress events)
 * @throws {Error} naming the field when the notification is neither
 */
export function fromSnsNotification(message: string, receivedAt: string): InboundMessage[] {
  const body = JSON.parse(message) as Record<string, unknown>;
  if (typeof body.messageBody === "string") {
    const from = e164.safeParse(body.originationNumber);
    if (!from.success) throw new Error("originationNumber: expected an E.164 phone number");
    return [
      { kind: "reply", from: from.data, text: body.messageBody, at: receivedAt, source: "sms-two-way" },
    ];
  }
  if (typeof body.eventType === "string" && typeof body.messageId === "string") {
    const delivery = EUM_DELIVERY[body.eventType];
    if (!delivery) return [];
    const at =
      typeof body.eventTimestamp === "number" ? new Date(body.eventTimestamp).toISOString() : receivedAt;
    const context = body.context as Record<string, unknown> | undefined;
    const reference = typeof context?.reference === "string" ? context.reference : undefined;
    return [
      {
        kind: "receipt",
        provider: "end-user-messaging",
        messageId: body.messageId,
        ...(reference ? { reference } : {}),
        delivery,
        at,
      },
    ];
  }
  throw new Error("messageBody or eventType: neither a two-way SMS reply nor a delivery event");
}
