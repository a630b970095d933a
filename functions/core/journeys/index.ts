import type { JourneyId } from "../model.js";
import type { Journey } from "./journey.js";
import { paymentReminder } from "./payment-reminder.js";

/** Every journey's rules, by id. Adding a journey means adding it here and a workflow in `workflows/`. */
export const JOURNEYS: Readonly<Record<JourneyId, Journey>> = {
  "payment-reminder": paymentReminder,
};

export type { Journey, JourneyContext, StepMessage } from "./journey.js";
