import type { IChainable } from "aws-cdk-lib/aws-stepfunctions";
import type { Construct } from "constructs";
import { type JourneyStepFunctions, journeyLoop } from "./journey-loop.js";

/**
 * 满月礼 30-day gift: a coupon 30 days after the customer's first paid order, at the next marketing slot.
 * Waits of weeks and months are one Wait state each, inside a Standard execution (limit: one year).
 */
export function gift30Definition(scope: Construct, functions: JourneyStepFunctions): IChainable {
  return journeyLoop(scope, functions);
}
