import { systemClock } from "../core/clock.js";
import { createInboundHttpHandler } from "../handlers/inbound.js";
import { config, store } from "./runtime.js";

export const handler = createInboundHttpHandler({ store, config, clock: systemClock });
