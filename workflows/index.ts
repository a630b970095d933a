import type { IChainable } from "aws-cdk-lib/aws-stepfunctions";
import type { Construct } from "constructs";
import type { JourneyId } from "../functions/core/model.js";
import { arrivedDefinition } from "./arrived.js";
import { gift30Definition } from "./gift-30.js";
import { gift100Definition } from "./gift-100.js";
import type { JourneyStepFunctions } from "./journey-loop.js";
import { paymentReminderDefinition } from "./payment-reminder.js";
import { reviewCareDefinition } from "./review-care.js";
import { shippedDefinition } from "./shipped.js";
import { winbackDefinition } from "./winback.js";

/** One state machine definition per journey. */
export const WORKFLOWS: Readonly<
  Record<JourneyId, (scope: Construct, functions: JourneyStepFunctions) => IChainable>
> = {
  "payment-reminder": paymentReminderDefinition,
  shipped: shippedDefinition,
  arrived: arrivedDefinition,
  "review-care": reviewCareDefinition,
  "gift-30": gift30Definition,
  "gift-100": gift100Definition,
  winback: winbackDefinition,
};

export { type JourneyStepFunctions, STATE_NAMES } from "./journey-loop.js";
