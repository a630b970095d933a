import { type PinpointSMSVoiceV2Client, SendTextMessageCommand } from "@aws-sdk/client-pinpoint-sms-voice-v2";
import type { SmsMessage, SmsProvider, SmsReceipt } from "../core/config/messaging.js";
import { classifyAwsError } from "./aws-errors.js";

/** Options of the AWS End User Messaging SMS provider. */
export interface EndUserMessagingOptions {
  /** The phone number, sender ID or pool to send from. @default the account's default for the destination */
  readonly originationIdentity?: string;
  /** The configuration set whose event destination receives delivery receipts. @default none (no receipts) */
  readonly configurationSetName?: string;
  /** Highest price per message part in USD. @default the account's setting */
  readonly maxPrice?: number;
}

/**
 * SMS through AWS End User Messaging (`pinpoint-sms-voice-v2` SendTextMessage), the successor of SNS
 * SMS for senders who need origination numbers, configuration sets and delivery events. The ledger
 * reference rides along in `Context`, so delivery events point back at the step.
 */
export class EndUserMessagingProvider implements SmsProvider {
  readonly name = "end-user-messaging";

  constructor(
    private readonly client: PinpointSMSVoiceV2Client,
    private readonly options: EndUserMessagingOptions = {},
  ) {}

  async send(message: SmsMessage): Promise<SmsReceipt> {
    try {
      const result = await this.client.send(
        new SendTextMessageCommand({
          DestinationPhoneNumber: message.to,
          MessageBody: message.text,
          MessageType: message.messageClass === "notice" ? "TRANSACTIONAL" : "PROMOTIONAL",
          OriginationIdentity: this.options.originationIdentity,
          ConfigurationSetName: this.options.configurationSetName,
          MaxPrice: this.options.maxPrice === undefined ? undefined : String(this.options.maxPrice),
          Context: { reference: message.reference, template: message.templateId },
        }),
      );
      return { provider: this.name, messageId: result.MessageId ?? "" };
    } catch (error) {
      throw classifyAwsError(error);
    }
  }
}
