import { arrived } from "./arrived.js";
import { birthday } from "./birthday.js";
import { campaign } from "./campaign.js";
import { checkout } from "./checkout.js";
import { completed } from "./completed.js";
import { gift30, gift100 } from "./gift.js";
import { logistics } from "./logistics.js";
import type { AnyJourneyModule } from "./module.js";
import { paymentReminder } from "./payment-reminder.js";
import { refund } from "./refund.js";
import { reviewCare } from "./review-care.js";
import { shipped } from "./shipped.js";
import { winback } from "./winback.js";

/**
 * Every journey, in the order dispatch runs their triggers. Adding a journey is one module and one line
 * here; everything else (config, templates, dispatch, state machines, report) is built from this list.
 */
export const JOURNEY_MODULES = [
  paymentReminder,
  shipped,
  arrived,
  reviewCare,
  gift30,
  gift100,
  winback,
  refund,
  completed,
  logistics,
  birthday,
  checkout,
] as const;

type Module = (typeof JOURNEY_MODULES)[number];

/** Every journey id, in registry order. */
export const JOURNEY_IDS = JOURNEY_MODULES.map((journey) => journey.id) as [Module["id"], ...Module["id"][]];

/**
 * Every module by id: the registry's journeys and the campaigns' module, whose messages are decided by the
 * same steps (it has no state machine of its own and no settings under `journeys`).
 */
const BY_ID = new Map<string, AnyJourneyModule>(
  [...JOURNEY_MODULES, campaign].map((journey) => [journey.id, journey]),
);

/** The module of a journey id. @throws for an id no module has (an execution of a removed journey) */
export function journeyModule(id: string): AnyJourneyModule {
  const journey = BY_ID.get(id);
  if (!journey)
    throw new Error(`unknown journey ${JSON.stringify(id)}; known: ${[...BY_ID.keys()].join(", ")}`);
  return journey;
}

/** The settings schemas of every journey, by config key: the shop config's `journeys` object. */
export type JourneySettingsShape = { [M in Module as M["configKey"]]: M["settings"] };

export const JOURNEY_SETTINGS = Object.fromEntries(
  JOURNEY_MODULES.map((journey) => [journey.configKey, journey.settings]),
) as JourneySettingsShape;

export type { AnyJourneyModule, JourneyContext, JourneyModule } from "./module.js";
