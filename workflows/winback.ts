import type { IChainable } from "aws-cdk-lib/aws-stepfunctions";
import type { Construct } from "constructs";
import { type JourneyStepFunctions, journeyLoop } from "./journey-loop.js";

/**
 * 休眠唤醒 win-back: stage 1 after the product cycle without a new paid order, stage 2 at secondAfter; a new paid order stops it.
 * Waits of weeks and months are one Wait state each, inside a Standard execution (limit: one year).
 */
export function winbackDefinition(scope: Construct, functions: JourneyStepFunctions): IChainable {
  return journeyLoop(scope, functions);
}
