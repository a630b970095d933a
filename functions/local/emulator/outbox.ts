import { randomUUID } from "node:crypto";
import type { Store } from "../../adapters/dynamodb/store.js";
import {
  type Handoff,
  maskPhone,
  type OperatorChannel,
  type SmsMessage,
  type SmsProvider,
  type SmsReceipt,
} from "../../core/config/messaging.js";
import type { Clock } from "../../core/shared/clock.js";
import { terminalSafe } from "../../core/shared/terminal.js";

/** Where the outbox prints what it "sends"; `undefined` keeps it quiet (simulate prints decisions instead). */
export type OutboxPrinter = ((line: string) => void) | undefined;

/** The local SMS provider: keeps every message in DynamoDB and prints it. Nothing leaves the machine. */
export class OutboxSmsProvider implements SmsProvider {
  readonly name = "outbox";

  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly print: OutboxPrinter,
  ) {}

  async send(message: SmsMessage): Promise<SmsReceipt> {
    const id = randomUUID();
    const at = this.clock.now().toISOString();
    await this.store.putOutbox({
      id,
      at,
      kind: "sms",
      to: message.to,
      text: message.text,
      messageClass: message.messageClass,
    });
    this.print?.(
      `[outbox] ${at} SMS to ${maskPhone(message.to)} (${message.messageClass}): ${terminalSafe(message.text)}`,
    );
    return { provider: this.name, messageId: id };
  }
}

/** The local operators' channel: keeps handoffs in the outbox and prints them. */
export class OutboxOperatorChannel implements OperatorChannel {
  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly print: OutboxPrinter,
  ) {}

  async notify(handoff: Handoff): Promise<void> {
    const at = this.clock.now().toISOString();
    await this.store.putOutbox({ id: randomUUID(), at, kind: "handoff", text: JSON.stringify(handoff) });
    this.print?.(`[outbox] ${at} HANDOFF ${terminalSafe(handoff.summary)}`);
  }
}
