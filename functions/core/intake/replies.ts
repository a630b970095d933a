import { createHash } from "node:crypto";
import type { ShopConfig } from "../config/config.js";
import type { OperatorChannel } from "../config/messaging.js";
import type { Delivery } from "../shared/model.js";
import type { EventQueue, Repositories, StoredReply } from "../shared/ports.js";

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
export type InboundOutcome = "opted-out" | "handed-off" | "receipt-recorded" | "receipt-unmatched";

/**
 * Replies that read like an opt-out without being a keyword: flagged for a person to confirm, never
 * applied by themselves (a customer writing "别发了，我已经收到了" may mean the reminders, not all marketing).
 */
const LIKELY_OPT_OUT = [
  /不要再?发/u,
  /别再?发/u,
  /不要再?给我发/u,
  /停止发送/u,
  /取消订阅/u,
  /拉黑/u,
  /骚扰/u,
  /\bstop (texting|sending|messaging)\b/i,
  /\bunsubscribe\b/i,
  /\bremove me\b/i,
  /\bopt[ -]?out\b/i,
  /\bno more (texts|messages|sms)\b/i,
];

/** Whether a reply reads like a request to stop, without being an opt-out keyword. */
export function isLikelyOptOut(text: string): boolean {
  return LIKELY_OPT_OUT.some((pattern) => pattern.test(text));
}

/**
 * Characters a phone or a copy-paste puts into a reply that change nothing a person meant: Unicode's
 * default-ignorable code points (zero-width spaces and joiners, the byte-order mark, soft hyphens, variation
 * selectors) and its bidirectional controls (marks, embeddings, overrides, isolates).
 */
const INVISIBLE = /[\p{Default_Ignorable_Code_Point}\p{Bidi_Control}]/gu;

/** Spaces, punctuation and symbols a reply may be wrapped in (after NFKC, so full-width forms are plain). */
const WRAPPING = /^[\s\p{P}\p{S}]+|[\s\p{P}\p{S}]+$/gu;

/**
 * A reply as a person meant it: NFKC (full-width `Ｔ`, `ｔｄ` and the ideographic space become `T`, `td`
 * and a space), invisible characters removed, surrounding spaces and punctuation (`。`, `.`, `!`, `！`)
 * trimmed, case folded.
 */
export function normalizeReply(text: string): string {
  return text.normalize("NFKC").replace(INVISIBLE, "").replace(WRAPPING, "").toUpperCase();
}

/**
 * Whether a reply is an opt-out: the whole reply, as a person typed it ({@link normalizeReply}), is one of the
 * keywords (`T`, `TD`, `退订`, `R`, `STOP`). `Tea` or `退订单号是多少` is a question, not an opt-out.
 */
export function isOptOutReply(text: string, keywords: readonly string[]): boolean {
  const normalized = normalizeReply(text);
  return normalized !== "" && keywords.some((keyword) => normalizeReply(keyword) === normalized);
}

/**
 * Applies one inbound message: an opt-out reply opts the number out of marketing from its time on
 * (messages already waiting in executions are skipped when they come due); a receipt is recorded
 * against the decision of the step that sent the message.
 */
export async function applyInbound(
  deps: {
    readonly store: Pick<
      Repositories,
      "getLastSend" | "recordDelivery" | "recordReply" | "markReplyHandedOff" | "recordPhoneOptOut"
    >;
    readonly config: ShopConfig;
    /** Where replies that are not opt-outs go. @default none: such a reply fails (it must reach a person) */
    readonly operators?: OperatorChannel;
    /** @default the system clock */
    readonly now?: () => Date;
    /**
     * Where an opt-out reply is handed on to dispatch as `customer.opted_out`, which writes it back to the
     * shop platform (`consent-writeback.ts`) with the queue's retries and dead letters. @default none
     */
    readonly events?: EventQueue;
  },
  message: InboundMessage,
): Promise<InboundOutcome> {
  switch (message.kind) {
    case "reply":
      if (!isOptOutReply(message.text, deps.config.sms.optOutKeywords)) {
        const { operators } = deps;
        if (!operators) throw new Error("a reply that is not an opt-out needs the operators' channel");
        await handOffReply({ store: deps.store, operators, now: deps.now ?? (() => new Date()) }, message);
        return "handed-off";
      }
      await deps.store.recordPhoneOptOut(message.from, message.at, message.source, message.text);
      // The same record, written again by dispatch as it was (its source and text make its key).
      await deps.events?.enqueue(
        [
          {
            type: "customer.opted_out",
            at: message.at,
            phone: message.from,
            source: message.source,
            reply: message.text.slice(0, 1000),
          },
        ],
        "inbound-reply",
      );
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

/**
 * A reply that is not an opt-out reaches a person: it is kept (with the customer and the message it
 * answers) and handed to the operators, once, however often the provider pushes it. The handoff is
 * marked only after the operators were told, so a push retried after a failed notify tells them then.
 */
async function handOffReply(
  deps: {
    readonly store: Pick<
      Repositories,
      "getLastSend" | "recordReply" | "markReplyHandedOff" | "recordPhoneOptOut"
    >;
    readonly operators: OperatorChannel;
    readonly now: () => Date;
  },
  message: Extract<InboundMessage, { kind: "reply" }>,
): Promise<void> {
  const id = createHash("sha256")
    .update(`${message.from}\n${message.at}\n${message.text}`)
    .digest("hex")
    .slice(0, 24);
  const inReplyTo = await deps.store.getLastSend(message.from);
  const likelyOptOut = isLikelyOptOut(message.text);
  const reply: StoredReply = {
    id,
    at: message.at,
    from: message.from,
    text: message.text,
    source: message.source,
    ...(inReplyTo?.customerId ? { customerId: inReplyTo.customerId } : {}),
    ...(inReplyTo ? { inReplyTo } : {}),
    likelyOptOut,
  };
  const stored = await deps.store.recordReply(reply);
  if (stored.handedOffAt) return;
  const about = inReplyTo
    ? ` to ${inReplyTo.journey}.${inReplyTo.step}${inReplyTo.orderId ? ` (order ${inReplyTo.orderId})` : ""} of ${inReplyTo.at}`
    : "";
  await deps.operators.notify({
    journey: inReplyTo?.journey ?? "inbox",
    step: inReplyTo?.step ?? "reply",
    ...(inReplyTo?.orderId ? { orderId: inReplyTo.orderId } : {}),
    customerId: inReplyTo?.customerId ?? "",
    reason: likelyOptOut ? "reply-likely-opt-out" : "reply",
    summary: `${likelyOptOut ? "likely opt-out, confirm before applying: " : ""}reply${about}: "${message.text}"`,
    details: {
      text: message.text,
      from: message.from,
      likelyOptOut: likelyOptOut ? "yes" : "no",
      ...(inReplyTo ? { inReplyTo: `${inReplyTo.journey}.${inReplyTo.step}`, sentAt: inReplyTo.at } : {}),
    },
  });
  await deps.store.markReplyHandedOff(id, deps.now().toISOString());
}
