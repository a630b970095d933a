import { PublishCommand, type SNSClient } from "@aws-sdk/client-sns";
import type {
  Handoff,
  OperatorChannel,
  SmsMessage,
  SmsProvider,
  SmsReceipt,
} from "../core/config/messaging.js";
import { classifyAwsError } from "./aws-errors.js";

/** Options of the SNS SMS provider. */
export interface SnsSmsOptions {
  /** Sender ID shown where carriers support it. @default none */
  readonly senderId?: string;
  /** Highest price in USD SNS may pay for one message. @default the account's setting */
  readonly maxPrice?: number;
}

/**
 * SMS through Amazon SNS `Publish` to a phone number. Notices go as Transactional (higher delivery
 * priority), marketing as Promotional, which is how carriers expect them to be labelled.
 */
export class SnsSmsProvider implements SmsProvider {
  readonly name = "sns";

  constructor(
    private readonly sns: SNSClient,
    private readonly options: SnsSmsOptions = {},
  ) {}

  async send(message: SmsMessage): Promise<SmsReceipt> {
    const attributes: Record<string, { DataType: string; StringValue: string }> = {
      "AWS.SNS.SMS.SMSType": {
        DataType: "String",
        StringValue: message.messageClass === "notice" ? "Transactional" : "Promotional",
      },
    };
    if (this.options.senderId) {
      attributes["AWS.SNS.SMS.SenderID"] = { DataType: "String", StringValue: this.options.senderId };
    }
    if (this.options.maxPrice !== undefined) {
      attributes["AWS.SNS.SMS.MaxPrice"] = { DataType: "Number", StringValue: String(this.options.maxPrice) };
    }
    try {
      const result = await this.sns.send(
        new PublishCommand({ PhoneNumber: message.to, Message: message.text, MessageAttributes: attributes }),
      );
      return { provider: this.name, messageId: result.MessageId ?? "" };
    } catch (error) {
      throw classifyAwsError(error);
    }
  }
}

/** Handoffs to the operators' SNS topic (email, chat or a CS system subscribe to it). */
export class SnsOperatorChannel implements OperatorChannel {
  constructor(
    private readonly sns: SNSClient,
    private readonly topicArn: string,
  ) {}

  async notify(handoff: Handoff): Promise<void> {
    await this.sns.send(
      new PublishCommand({
        TopicArn: this.topicArn,
        Subject: `shopcare handoff: ${handoff.journey} ${handoff.reason}`.slice(0, 100),
        Message: JSON.stringify(handoff),
        MessageAttributes: {
          journey: { DataType: "String", StringValue: handoff.journey },
          reason: { DataType: "String", StringValue: handoff.reason },
        },
      }),
    );
  }
}
