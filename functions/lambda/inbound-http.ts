import { getSecret } from "@aws-lambda-powertools/parameters/secrets";
import { systemClock } from "../core/clock.js";
import { createInboundHttpHandler } from "../handlers/inbound.js";
import { config, requireEnv, SECRET_MAX_AGE_SECONDS, store } from "./runtime.js";

const secretArn = requireEnv("ALIYUN_SECRET_ARN");

export const handler = createInboundHttpHandler({
  store,
  config,
  clock: systemClock,
  // The same secret as the AccessKey: {"accessKeyId", "accessKeySecret", "inboundToken"}.
  aliyunToken: async () => {
    const secret = (await getSecret(secretArn, { transform: "json", maxAge: SECRET_MAX_AGE_SECONDS })) as
      | Record<string, string>
      | undefined;
    return secret?.inboundToken || undefined;
  },
});
