import { advanceStep, type DeliverDeps } from "../core/engine/decide.js";
import { type ExecutionState, ExecutionStateSchema } from "../core/shared/model.js";

/** A Step Functions task handler: the execution state in, the next execution state out. */
export type StepHandler = (input: unknown) => Promise<ExecutionState>;

/** The journey loop's task: decide the due step (check, then send or hand off) and plan the next. */
export function createStepHandler(deps: DeliverDeps): StepHandler {
  return async (input) => advanceStep(deps, ExecutionStateSchema.parse(input));
}
