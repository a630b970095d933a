import { applyRetention } from "../core/customers/retention.js";
import { logger } from "../handlers/logger.js";
import { config, store } from "./runtime.js";

/** Once a day (an EventBridge rule): the shop's `retention` applied (docs/data-rights.md). */
export const handler = async () => {
  const run = await applyRetention({ store, config, now: new Date() });
  logger.info("retention applied", { ...run });
  return run;
};
