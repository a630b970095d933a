import { PinpointSMSVoiceV2Client } from "@aws-sdk/client-pinpoint-sms-voice-v2";
import { SNSClient } from "@aws-sdk/client-sns";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type SmsMessage, SmsSendError } from "../../functions/core/config/messaging.js";
import { AliyunSmsProvider } from "../../functions/providers/aliyun.js";
import { EndUserMessagingProvider } from "../../functions/providers/end-user-messaging.js";
import { SnsSmsProvider } from "../../functions/providers/sns.js";
import { FakeSmsApis } from "../support/fake-providers.js";

const fake = new FakeSmsApis({ aliyunSecret: "s3cret" });
beforeAll(() => fake.start());
afterAll(() => fake.stop());

const awsClientConfig = () => ({
  endpoint: fake.url,
  region: "ap-southeast-1",
  credentials: { accessKeyId: "AKIDTEST", secretAccessKey: "secret" },
  // One attempt, so each test sees how the provider classifies a single failure.
  maxAttempts: 1,
  requestHandler: { requestTimeout: 500, throwOnRequestTimeout: true },
});

const message = (overrides: Partial<SmsMessage> = {}): SmsMessage => ({
  to: "+8613800000000",
  text: "【Shop】王芳您好，您的订单o1还未付款",
  messageClass: "notice",
  templateId: "payment-reminder.first",
  variables: { shop: "Shop", name: "王芳", orderId: "o1" },
  reference: "payment-reminder:o1:first",
  ...overrides,
});

async function failureOf(promise: Promise<unknown>): Promise<SmsSendError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(SmsSendError);
  return error as SmsSendError;
}

describe("SNS Publish (AWS query protocol, SigV4) against a local endpoint", () => {
  const sns = () =>
    new SnsSmsProvider(new SNSClient(awsClientConfig()), { senderId: "SHOP", maxPrice: 0.05 });

  it("publishes to the phone number with SMS type, sender ID and max price", async () => {
    fake.requests.length = 0;
    const receipt = await sns().send(message());
    await sns().send(message({ messageClass: "marketing", text: "【Shop】gift 回T退订" }));
    expect(receipt).toMatchObject({ provider: "sns", messageId: expect.stringMatching(/^[0-9a-f-]{36}$/) });
    const [notice, marketing] = fake.accepted.map((request) => request.params);
    const attributes = (params: Record<string, unknown>) => {
      const byName: Record<string, unknown> = {};
      for (let i = 1; params[`MessageAttributes.entry.${i}.Name`]; i += 1) {
        byName[String(params[`MessageAttributes.entry.${i}.Name`])] = [
          params[`MessageAttributes.entry.${i}.Value.DataType`],
          params[`MessageAttributes.entry.${i}.Value.StringValue`],
        ];
      }
      return byName;
    };
    expect(notice).toMatchObject({
      Action: "Publish",
      PhoneNumber: "+8613800000000",
      Message: message().text,
    });
    expect(notice?.TopicArn).toBeUndefined();
    expect(attributes(notice ?? {})).toEqual({
      "AWS.SNS.SMS.SMSType": ["String", "Transactional"],
      "AWS.SNS.SMS.SenderID": ["String", "SHOP"],
      "AWS.SNS.SMS.MaxPrice": ["Number", "0.05"],
    });
    expect(attributes(marketing ?? {})["AWS.SNS.SMS.SMSType"]).toEqual(["String", "Promotional"]);
  });

  it("classifies throttling and 5xx as retryable, a bad number as rejected, a stalled call as ambiguous", async () => {
    fake.behaviour.perSecond = 0;
    expect((await failureOf(sns().send(message()))).kind).toBe("retryable");
    fake.behaviour.perSecond = undefined;
    fake.behaviour.failNext = 1;
    expect((await failureOf(sns().send(message()))).kind).toBe("retryable");
    expect(await failureOf(sns().send(message({ to: "+86" })))).toMatchObject({
      kind: "rejected",
      code: "InvalidParameterException",
    });
    fake.behaviour.stallNext = 1;
    expect((await failureOf(sns().send(message()))).kind).toBe("ambiguous");
  });

  it("classifies a role that may not publish as misconfigured, not as a rejected message", async () => {
    fake.behaviour.denied = true;
    try {
      expect(await failureOf(sns().send(message()))).toMatchObject({
        kind: "misconfigured",
        code: "AuthorizationErrorException",
      });
    } finally {
      fake.behaviour.denied = false;
    }
  });
});

describe("End User Messaging SendTextMessage (AWS JSON 1.0, SigV4) against a local endpoint", () => {
  it("sends with message type, origination identity, configuration set, max price and the ledger reference", async () => {
    fake.requests.length = 0;
    const provider = new EndUserMessagingProvider(new PinpointSMSVoiceV2Client(awsClientConfig()), {
      originationIdentity: "+12065550100",
      configurationSetName: "shopcare",
      maxPrice: 0.05,
    });
    const receipt = await provider.send(message({ messageClass: "marketing" }));
    expect(receipt.provider).toBe("end-user-messaging");
    expect(fake.accepted.map((request) => request.params)).toEqual([
      {
        DestinationPhoneNumber: "+8613800000000",
        MessageBody: message().text,
        MessageType: "PROMOTIONAL",
        OriginationIdentity: "+12065550100",
        ConfigurationSetName: "shopcare",
        MaxPrice: "0.05",
        Context: { reference: "payment-reminder:o1:first", template: "payment-reminder.first" },
      },
    ]);
    fake.behaviour.perSecond = 0;
    expect((await failureOf(provider.send(message()))).kind).toBe("retryable");
    fake.behaviour.perSecond = undefined;
  });

  it("classifies access denied (a role without sms-voice:SendTextMessage) as misconfigured", async () => {
    const provider = new EndUserMessagingProvider(new PinpointSMSVoiceV2Client(awsClientConfig()));
    fake.behaviour.denied = true;
    try {
      expect(await failureOf(provider.send(message()))).toMatchObject({
        kind: "misconfigured",
        code: "AccessDeniedException",
      });
    } finally {
      fake.behaviour.denied = false;
    }
  });
});

describe("Aliyun SendSms (RPC, signature method V1) against a local endpoint", () => {
  const aliyun = (secret = "s3cret") =>
    new AliyunSmsProvider({
      signName: "小店",
      templateCodes: {
        "payment-reminder.first": "SMS_0001",
        "gift-30.gift#short": "SMS_0002",
        "gift-30.gift#warm": "SMS_0003",
      },
      endpoint: fake.url,
      credentials: async () => ({ accessKeyId: "LTAITEST", accessKeySecret: secret }),
      timeoutMs: 500,
    });

  it("sends to SHOPCARE_ALIYUN_SMS_URL when it is set and no endpoint is given (tests, proxies)", async () => {
    // Arrange
    const previous = process.env.SHOPCARE_ALIYUN_SMS_URL;
    process.env.SHOPCARE_ALIYUN_SMS_URL = fake.url;
    fake.requests.length = 0;
    const provider = new AliyunSmsProvider({
      signName: "小店",
      templateCodes: { "payment-reminder.first": "SMS_0001" },
      credentials: async () => ({ accessKeyId: "LTAITEST", accessKeySecret: "s3cret" }),
      timeoutMs: 500,
    });

    try {
      // Act
      const receipt = await provider.send(message());

      // Assert
      expect(receipt.provider).toBe("aliyun");
      expect(fake.requests).toHaveLength(1);
    } finally {
      if (previous === undefined) delete process.env.SHOPCARE_ALIYUN_SMS_URL;
      else process.env.SHOPCARE_ALIYUN_SMS_URL = previous;
    }
  });

  it("sends the registered template with its variables, signed, and returns the BizId", async () => {
    fake.requests.length = 0;
    const receipt = await aliyun().send(message());
    expect(receipt).toMatchObject({ provider: "aliyun", messageId: expect.stringMatching(/\^0$/) });
    expect(fake.accepted[0]?.params).toMatchObject({
      Action: "SendSms",
      Version: "2017-05-25",
      Format: "JSON",
      RegionId: "cn-hangzhou",
      PhoneNumbers: "13800000000",
      SignName: "小店",
      TemplateCode: "SMS_0001",
      TemplateParam: JSON.stringify({ shop: "Shop", name: "王芳", orderId: "o1" }),
      OutId: "payment-reminder:o1:first",
      AccessKeyId: "LTAITEST",
      SignatureMethod: "HMAC-SHA1",
      SignatureVersion: "1.0",
      Timestamp: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/),
    });
  });

  it("sends a short link as its code alone (the registered template writes the link's fixed part out)", async () => {
    // Arrange
    fake.accepted.length = 0;
    const withLink = message({
      templateId: "gift-30.gift",
      variant: "short",
      messageClass: "marketing",
      variables: { name: "王芳", link: "https://s.shop.cn/l/Ab3dEf7h" },
      reference: "gift-30:c1:gift",
    });

    // Act
    await aliyun().send(withLink);

    // Assert: Aliyun answers isv.PARAM_NOT_SUPPORT_URL to a URL in a variable.
    expect(fake.accepted.at(-1)?.params.TemplateParam).toBe(
      JSON.stringify({ name: "王芳", link: "Ab3dEf7h" }),
    );
  });

  it("sends each variant of an A/B-tested template by its own registered code, and refuses a variant without one", async () => {
    // Arrange
    fake.requests.length = 0;
    fake.accepted.length = 0;
    const gift = (variant: string) =>
      message({ templateId: "gift-30.gift", variant, reference: `gift-30:c1:gift-${variant}` });

    // Act
    await aliyun().send(gift("short"));
    await aliyun().send(gift("warm"));
    const unmapped = await failureOf(aliyun().send(gift("third")));

    // Assert
    expect(fake.accepted.map((request) => request.params.TemplateCode)).toEqual(["SMS_0002", "SMS_0003"]);
    expect(unmapped).toMatchObject({ kind: "rejected", code: "NoTemplateCode" });
    expect(unmapped.message).toContain("gift-30.gift#third");
  });

  it("is misconfigured with a wrong secret or a key without permission, rejected for an unmapped template; flow control is retryable; a timeout is ambiguous", async () => {
    expect(await failureOf(aliyun("wrong").send(message()))).toMatchObject({
      kind: "misconfigured",
      code: "SignatureDoesNotMatch",
    });
    fake.behaviour.denied = true;
    expect(await failureOf(aliyun().send(message()))).toMatchObject({
      kind: "misconfigured",
      code: "Forbidden.RAM",
    });
    fake.behaviour.denied = false;
    expect(await failureOf(aliyun().send(message({ templateId: "winback.first" })))).toMatchObject({
      kind: "rejected",
      code: "NoTemplateCode",
    });
    fake.behaviour.perSecond = 0;
    expect(await failureOf(aliyun().send(message()))).toMatchObject({
      kind: "retryable",
      code: "isv.BUSINESS_LIMIT_CONTROL",
    });
    fake.behaviour.perSecond = undefined;
    fake.behaviour.stallNext = 1;
    expect((await failureOf(aliyun().send(message()))).kind).toBe("ambiguous");
  });
});
