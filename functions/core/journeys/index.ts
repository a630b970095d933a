import type { JourneyId } from "../model.js";
import { arrived } from "./arrived.js";
import { gift30, gift100 } from "./gift.js";
import type { Journey } from "./journey.js";
import { paymentReminder } from "./payment-reminder.js";
import { reviewCare } from "./review-care.js";
import { shipped } from "./shipped.js";
import { winback } from "./winback.js";

/** Every journey's rules, by id. Adding a journey means adding it here and a workflow in `workflows/`. */
export const JOURNEYS: Readonly<Record<JourneyId, Journey>> = {
  "payment-reminder": paymentReminder,
  shipped,
  arrived,
  "review-care": reviewCare,
  "gift-30": gift30,
  "gift-100": gift100,
  winback,
};

export type { HandoffNote, Journey, JourneyContext, StepMessage } from "./journey.js";
