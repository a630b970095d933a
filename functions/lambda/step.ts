import { SFNClient } from "@aws-sdk/client-sfn";
import { createStepHandler } from "../handlers/steps.js";
import { StepFunctionsStartOnly } from "../providers/step-functions-start.js";
import { requireEnv } from "./runtime.js";
import { deliverDeps } from "./sending.js";

/** The journeys' step: decide the due step, send it or hand it off, plan the next. */
export const handler = createStepHandler({
  ...deliverDeps,
  // The journeys whose executions start their successors (the birthday's next year): rare, so not paced.
  journeys: new StepFunctionsStartOnly(new SFNClient({}), JSON.parse(requireEnv("JOURNEY_STATE_MACHINES"))),
});
