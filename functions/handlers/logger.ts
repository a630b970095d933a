import { Logger } from "@aws-lambda-powertools/logger";

/** The structured JSON logger all handlers share (level from POWERTOOLS_LOG_LEVEL). Never log a raw phone number. */
export const logger = new Logger({ serviceName: "shopcare" });
