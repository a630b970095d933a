import { Logger } from "@aws-lambda-powertools/logger";
import { maskPhonesIn } from "../core/config/messaging.js";

/**
 * The structured JSON logger all handlers share (level from POWERTOOLS_LOG_LEVEL). Every string value is
 * passed through {@link maskPhonesIn}, so a phone number that slips into a message or an error is
 * masked (`+86138****0000`) before it reaches CloudWatch Logs.
 */
export const logger = new Logger({
  serviceName: "shopcare",
  jsonReplacerFn: (_key: string, value: unknown) => (typeof value === "string" ? maskPhonesIn(value) : value),
});
