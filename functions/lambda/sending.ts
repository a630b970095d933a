import { PinpointSMSVoiceV2Client } from "@aws-sdk/client-pinpoint-sms-voice-v2";
import { SNSClient } from "@aws-sdk/client-sns";
import type { SmsProvider } from "../core/config/messaging.js";
import { ReservedSendRate } from "../core/engine/rate.js";
import { systemClock } from "../core/shared/clock.js";
import { cloudWatchTelemetry } from "../handlers/telemetry.js";
import { type AliyunCredentials, AliyunSmsProvider } from "../providers/aliyun.js";
import { HttpCouponIssuer } from "../providers/coupons.js";
import { EndUserMessagingProvider } from "../providers/end-user-messaging.js";
import { SnsOperatorChannel, SnsSmsProvider } from "../providers/sns.js";
import { config, jsonSecret, phones, requireEnv, store } from "./runtime.js";

/**
 * A provider call that outlives this is abandoned and treated as ambiguous (maybe sent, never resent);
 * without `throwOnRequestTimeout` the SDK would only log and keep waiting.
 */
const smsRequestHandler = { connectionTimeout: 2_000, requestTimeout: 5_000, throwOnRequestTimeout: true };
const sns = new SNSClient({ requestHandler: smsRequestHandler });

/** The provider `sms.provider` names; on AWS the local outbox is not an option. */
function smsProvider(): SmsProvider {
  const { sms } = config;
  switch (sms.provider) {
    case "outbox":
      throw new Error("sms.provider outbox exists only in the local runtime");
    case "sns":
      return new SnsSmsProvider(sns, { senderId: sms.senderId, maxPrice: sms.maxPricePerMessage });
    case "end-user-messaging":
      return new EndUserMessagingProvider(
        new PinpointSMSVoiceV2Client({ requestHandler: smsRequestHandler }),
        {
          ...sms.endUserMessaging,
          maxPrice: sms.maxPricePerMessage,
        },
      );
    case "aliyun": {
      const secretArn = requireEnv("ALIYUN_SECRET_ARN");
      return new AliyunSmsProvider({
        signName: sms.aliyun.signName as string,
        templateCodes: sms.aliyun.templateCodes,
        endpoint: sms.aliyun.endpoint,
        regionId: sms.aliyun.regionId,
        // Read within 5 minutes of a rotation, without a redeploy.
        credentials: async () => (await jsonSecret(secretArn)) as unknown as AliyunCredentials,
      });
    }
    default: {
      const unknown: never = sms.provider;
      throw new Error(`unknown sms.provider ${String(unknown)}`);
    }
  }
}

const sms = smsProvider();

/**
 * What a step decides and sends with on AWS: the journeys' step and the campaigns' task share it (each its
 * own bundle and function, the same clients and limits).
 */
export const deliverDeps = {
  config,
  store,
  phones,
  clock: systemClock,
  sms,
  operators: new SnsOperatorChannel(sns, requireEnv("HANDOFF_TOPIC_ARN")),
  rateLimiter: new ReservedSendRate(store, systemClock, sms.name, config.sms.ratePerSecond),
  coupons: new HttpCouponIssuer(),
  telemetry: cloudWatchTelemetry(config),
};
