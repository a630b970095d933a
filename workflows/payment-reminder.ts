import type { IChainable } from "aws-cdk-lib/aws-stepfunctions";
import type { Construct } from "constructs";
import { type JourneyStepFunctions, journeyLoop } from "./journey-loop.js";

/**
 * 催付 payment reminder: plan the 1st reminder (60 min after the order, held to the notice window), check
 * at the due time (paid, cancelled, COD, duplicate, declined, auto-closed, high value → handoff), send;
 * then the 2nd at 10:00 the next day. The rules live in `functions/core/journeys/payment-reminder.ts`.
 */
export function paymentReminderDefinition(scope: Construct, functions: JourneyStepFunctions): IChainable {
  return journeyLoop(scope, functions);
}
