import { systemClock } from "../core/clock.js";
import { createPlanHandler } from "../handlers/steps.js";
import { config, store } from "./runtime.js";

export const handler = createPlanHandler({ config, store, clock: systemClock });
