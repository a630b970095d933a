import type { IChainable } from "aws-cdk-lib/aws-stepfunctions";
import type { Construct } from "constructs";
import { type JourneyStepFunctions, journeyLoop } from "./journey-loop.js";

/**
 * 百日礼 100-day gift: a coupon 100 days after the customer's first paid order, at the next marketing slot.
 * Waits of weeks and months are one Wait state each, inside a Standard execution (limit: one year).
 */
export function gift100Definition(scope: Construct, functions: JourneyStepFunctions): IChainable {
  return journeyLoop(scope, functions);
}
