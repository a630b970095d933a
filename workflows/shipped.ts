import type { IChainable } from "aws-cdk-lib/aws-stepfunctions";
import type { Construct } from "constructs";
import { type JourneyStepFunctions, journeyLoop } from "./journey-loop.js";

/**
 * 发货提醒 shipped: on `order.shipped`, one notice with carrier and tracking number (first-time or
 * returning customer's template), held to the notice window; gift orders skipped unless configured.
 * The rules live in `functions/core/journeys/shipped.ts`.
 */
export function shippedDefinition(scope: Construct, functions: JourneyStepFunctions): IChainable {
  return journeyLoop(scope, functions);
}
