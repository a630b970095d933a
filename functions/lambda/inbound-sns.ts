import { systemClock } from "../core/clock.js";
import { createInboundSnsHandler } from "../handlers/inbound.js";
import { config, store } from "./runtime.js";

export const handler = createInboundSnsHandler({ store, config, clock: systemClock });
