import type { IChainable } from "aws-cdk-lib/aws-stepfunctions";
import type { Construct } from "constructs";
import { type JourneyStepFunctions, journeyLoop } from "./journey-loop.js";

/**
 * 同城/派件/签收 arrived: one execution per parcel stage (arrived in the city, out for delivery,
 * delivered), each one notice held to the notice window. The rules live in
 * `functions/core/journeys/arrived.ts`.
 */
export function arrivedDefinition(scope: Construct, functions: JourneyStepFunctions): IChainable {
  return journeyLoop(scope, functions);
}
