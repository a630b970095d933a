import type { MessageClass } from "../shared/model.js";

/** One SMS to one number. */
export interface SmsMessage {
  readonly to: string;
  readonly text: string;
  readonly messageClass: MessageClass;
  /** The shopcare template id (`payment-reminder.first`); template-based providers map it to their code. */
  readonly templateId: string;
  /** Which of the template's variants this is (an A/B-tested template's): Aliyun has a code per variant. */
  readonly variant?: string;
  /** The template's variable values, for providers that render registered templates themselves (Aliyun). */
  readonly variables: Readonly<Record<string, string | number>>;
  /** A short reference to the send ledger entry, echoed by providers that support it in receipts. */
  readonly reference: string;
}

/**
 * The key a template-based provider's codes are kept under (`sms.aliyun.templateCodes`): the template id,
 * or for one variant of an A/B-tested template `<template id>#<variant id>` (`gift-30.gift#short`).
 */
export function templateCodeKey(templateId: string, variant?: string): string {
  return variant === undefined ? templateId : `${templateId}#${variant}`;
}

/** The provider's answer to an accepted message. */
export interface SmsReceipt {
  readonly provider: string;
  readonly messageId: string;
}

/** An SMS provider (SNS, End User Messaging, Aliyun on AWS; the local outbox locally). */
export interface SmsProvider {
  /** The name receipts are filed under (`sns`, `aliyun`, …). */
  readonly name: string;
  /**
   * Sends one message; resolves with the provider's message id.
   * @throws {SmsSendError} classified so the caller knows whether a retry may send twice
   */
  send(message: SmsMessage): Promise<SmsReceipt>;
}

/**
 * How a send failed, which decides what happens next:
 * - `retryable`: certainly not sent (throttled, 5xx, connection refused) → retried with backoff;
 * - `rejected`: the provider refused the message (bad number, blocked content) → skipped with a reason;
 * - `ambiguous`: the request may have gone out (timeout after it left) → never resent blindly, marked
 *   `delivery: unknown` until the delivery receipt settles it;
 * - `misconfigured`: the account, not the message, is wrong (access denied, bad or expired key, SMS
 *   sandbox, spend limit, no credit) → certainly not sent, retried like `retryable` and counted on its
 *   own alarm, so a broken key is fixed by a person instead of silently skipping every message.
 */
export type SmsFailureKind = "retryable" | "rejected" | "ambiguous" | "misconfigured";

/** A provider call that failed, classified. */
export class SmsSendError extends Error {
  constructor(
    readonly kind: SmsFailureKind,
    readonly code: string,
    message: string,
  ) {
    super(`${kind}: ${code}: ${message}`);
    this.name = "SmsSendError";
  }
}

/** A handoff: a case a person must take over (a high-value unpaid order, a bad review). */
export interface Handoff {
  readonly journey: string;
  readonly step: string;
  readonly orderId?: string;
  readonly customerId: string;
  readonly reason: string;
  readonly summary: string;
  /** The facts behind the summary, e.g. a review's rating and text. */
  readonly details?: Readonly<Record<string, string>>;
}

/** Where handoffs go: the operators' SNS topic on AWS, the outbox locally. */
export interface OperatorChannel {
  notify(handoff: Handoff): Promise<void>;
}

/** Masks a phone number for logs: `+8613812345678` → `+86138****5678`. */
export function maskPhone(phone: string | undefined): string | undefined {
  if (!phone) return phone;
  if (phone.length <= 8) return "****";
  // Keep the country code and carrier prefix (which say where it goes) and the last 4 digits.
  const kept = phone.startsWith("+") ? 6 : 3;
  return `${phone.slice(0, kept)}****${phone.slice(-4)}`;
}

/**
 * Masks a name: its first character and one star (`王小明` → `王*`), a one-character name a star alone — a
 * whole name never shows, nor its length.
 */
export function maskName(name: string | undefined): string | undefined {
  if (!name) return name;
  const characters = [...name];
  return characters.length <= 1 ? "*" : `${characters[0]}*`;
}

/** Replaces every phone-number-looking run of digits in `text` with its masked form, for logs. */
export function maskPhonesIn(text: string): string {
  // Whole digit runs only: an 18-digit platform order id is not a phone number.
  return text.replace(/(?<![\d+])\+?\d{10,15}(?!\d)/g, (phone) => maskPhone(phone) as string);
}
