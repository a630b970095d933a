import type { IChainable } from "aws-cdk-lib/aws-stepfunctions";
import type { Construct } from "constructs";
import type { JourneyId } from "../functions/core/model.js";
import type { JourneyStepFunctions } from "./journey-loop.js";
import { paymentReminderDefinition } from "./payment-reminder.js";

/** One state machine definition per journey. */
export const WORKFLOWS: Readonly<
  Record<JourneyId, (scope: Construct, functions: JourneyStepFunctions) => IChainable>
> = {
  "payment-reminder": paymentReminderDefinition,
};

export { type JourneyStepFunctions, STATE_NAMES } from "./journey-loop.js";
