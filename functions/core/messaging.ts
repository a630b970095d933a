import type { MessageClass } from "./model.js";

/** One SMS to one number. */
export interface SmsMessage {
  readonly to: string;
  readonly text: string;
  readonly messageClass: MessageClass;
}

/** An SMS provider (SNS on AWS, the local outbox locally). */
export interface SmsProvider {
  /** Sends one message; resolves with the provider's message id, rejects on failure. */
  send(message: SmsMessage): Promise<{ readonly messageId: string }>;
}

/** A handoff: a case a person must take over (a high-value unpaid order, a bad review). */
export interface Handoff {
  readonly journey: string;
  readonly step: string;
  readonly orderId?: string;
  readonly customerId: string;
  readonly reason: string;
  readonly summary: string;
}

/** Where handoffs go: the operators' SNS topic on AWS, the outbox locally. */
export interface OperatorChannel {
  notify(handoff: Handoff): Promise<void>;
}

/** Masks a phone number for logs: `+8613812345678` → `+86138****5678`. */
export function maskPhone(phone: string | undefined): string | undefined {
  if (!phone) return phone;
  return phone.length <= 8 ? "****" : `${phone.slice(0, 6)}****${phone.slice(-4)}`;
}
