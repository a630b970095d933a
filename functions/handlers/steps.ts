import { type ExecutionState, ExecutionStateSchema } from "../core/model.js";
import { checkStep, type DeliverDeps, deliverStep, planStep, type StepDeps } from "../core/steps.js";

/** A Step Functions task handler: the execution state in, the next execution state out. */
export type StepHandler = (input: unknown) => Promise<ExecutionState>;

/** The plan task: which step is next and when it is due. */
export function createPlanHandler(deps: StepDeps): StepHandler {
  return async (input) => planStep(deps, ExecutionStateSchema.parse(input));
}

/** The check task: send, hand off, skip or hold, at the due time. */
export function createCheckHandler(deps: StepDeps): StepHandler {
  return async (input) => checkStep(deps, ExecutionStateSchema.parse(input));
}

/** The deliver task: the SMS or the handoff, exactly once. */
export function createDeliverHandler(deps: DeliverDeps): StepHandler {
  return async (input) => deliverStep(deps, ExecutionStateSchema.parse(input));
}
