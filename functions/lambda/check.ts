import { systemClock } from "../core/clock.js";
import { createCheckHandler } from "../handlers/steps.js";
import { cloudWatchTelemetry } from "../handlers/telemetry.js";
import { config, store } from "./runtime.js";

export const handler = createCheckHandler({
  config,
  store,
  clock: systemClock,
  telemetry: cloudWatchTelemetry(config),
});
