import type { ShopConfig } from "./config.js";
import type { Delivery } from "./model.js";
import type { Repositories } from "./ports.js";

/** Something a provider pushed back to us: a customer's reply, or a delivery receipt. */
export type InboundMessage =
  | {
      readonly kind: "reply";
      readonly from: string;
      readonly text: string;
      readonly at: string;
      readonly source: string;
    }
  | {
      readonly kind: "receipt";
      readonly provider: string;
      readonly messageId: string;
      /**
       * The send's ledger reference as the provider echoes it (Aliyun's `out_id`, End User Messaging's
       * `context.reference`): what matches a receipt to a send that timed out before the provider's id came
       * back.
       */
      readonly reference?: string;
      readonly delivery: Delivery;
      readonly at: string;
    };

/** What applying an inbound message did. */
export type InboundOutcome = "opted-out" | "ignored" | "receipt-recorded" | "receipt-unmatched";

/** Whether a reply is an opt-out: one of the keywords (`T`, `TD`, `退订`, `R`, `STOP`), any case. */
export function isOptOutReply(text: string, keywords: readonly string[]): boolean {
  const normalized = text
    .trim()
    .replace(/[\s。.!！,，]+$/u, "")
    .toUpperCase();
  return keywords.some((keyword) => keyword.toUpperCase() === normalized);
}

/**
 * Applies one inbound message: an opt-out reply opts the number out of marketing from its time on
 * (messages already waiting in executions are skipped when they come due); a receipt is recorded
 * against the decision of the step that sent the message.
 */
export async function applyInbound(
  deps: { readonly store: Repositories; readonly config: ShopConfig },
  message: InboundMessage,
): Promise<InboundOutcome> {
  switch (message.kind) {
    case "reply":
      if (!isOptOutReply(message.text, deps.config.sms.optOutKeywords)) return "ignored";
      await deps.store.recordPhoneOptOut(message.from, message.at, message.source);
      return "opted-out";
    case "receipt":
      return (await deps.store.recordDelivery(message, message.delivery, message.at))
        ? "receipt-recorded"
        : "receipt-unmatched";
    default: {
      const unknown: never = message;
      throw new Error(`unknown inbound message ${JSON.stringify(unknown)}`);
    }
  }
}
