import type { IChainable } from "aws-cdk-lib/aws-stepfunctions";
import type { Construct } from "constructs";
import { type JourneyStepFunctions, journeyLoop } from "./journey-loop.js";

/**
 * 评价关怀 review care: the `request` execution waits 3 days after delivery for a marketing slot; the
 * `reply` execution answers the first review (thanks, or a handoff and an apology). The rules live in
 * `functions/core/journeys/review-care.ts`.
 */
export function reviewCareDefinition(scope: Construct, functions: JourneyStepFunctions): IChainable {
  return journeyLoop(scope, functions);
}
