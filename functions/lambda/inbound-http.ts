import { systemClock } from "../core/clock.js";
import { createInboundHttpHandler } from "../handlers/inbound.js";
import { config, jsonSecret, requireEnv, store } from "./runtime.js";

const secretArn = requireEnv("ALIYUN_SECRET_ARN");

export const handler = createInboundHttpHandler({
  store,
  config,
  clock: systemClock,
  // The same secret as the AccessKey: {"accessKeyId", "accessKeySecret", "inboundToken"}.
  aliyunToken: async () => (await jsonSecret(secretArn))?.inboundToken || undefined,
});
