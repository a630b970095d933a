import { Duration } from "aws-cdk-lib";
import type { IFunction } from "aws-cdk-lib/aws-lambda";
import { Choice, Condition, type IChainable, Succeed, Wait, WaitTime } from "aws-cdk-lib/aws-stepfunctions";
import { LambdaInvoke } from "aws-cdk-lib/aws-stepfunctions-tasks";
import type { Construct } from "constructs";

/** The three step functions every journey runs through. */
export interface JourneyStepFunctions {
  readonly plan: IFunction;
  readonly check: IFunction;
  readonly deliver: IFunction;
}

/** State names shared by the local runner and tests. */
export const STATE_NAMES = {
  plan: "Plan",
  planned: "StepPlanned",
  wait: "WaitUntilDue",
  check: "Check",
  decided: "Decided",
  deliver: "Deliver",
  giveUp: "GiveUp",
  done: "Done",
} as const;

function invoke(scope: Construct, id: string, lambdaFunction: IFunction): LambdaInvoke {
  // payloadResponseOnly: the task's Resource is the function ARN, so the handler's return value is the state.
  return new LambdaInvoke(scope, id, {
    lambdaFunction,
    payloadResponseOnly: true,
    retryOnServiceExceptions: true,
  });
}

/**
 * The loop every journey is made of (JSONPath, so the local engine runs the same definition):
 *
 * Plan → StepPlanned? → WaitUntilDue(`$.next.sendAt`) → Check → Decided? → Deliver → Plan … → Done
 *
 * Check may hold a step (back to the wait with a later `sendAt`), skip it (straight back to Plan), or end
 * the run (`done`: an execution that only kept an early event's grace period, whose order has arrived).
 * Deliver retries a provider failure with backoff; a step whose claim is held elsewhere is retried too;
 * when the retries run out, GiveUp records the step as skipped with a reason instead of failing the run.
 */
export function journeyLoop(scope: Construct, functions: JourneyStepFunctions): IChainable {
  const plan = invoke(scope, STATE_NAMES.plan, functions.plan);
  const wait = new Wait(scope, STATE_NAMES.wait, { time: WaitTime.timestampPath("$.next.sendAt") });
  const check = invoke(scope, STATE_NAMES.check, functions.check);
  const deliver = invoke(scope, STATE_NAMES.deliver, functions.deliver);
  deliver.addRetry({
    errors: ["StepInFlightError"],
    interval: Duration.seconds(30),
    maxAttempts: 5,
    backoffRate: 2,
  });
  deliver.addRetry({
    errors: ["States.ALL"],
    interval: Duration.seconds(20),
    maxAttempts: 4,
    backoffRate: 3,
  });
  const done = new Succeed(scope, STATE_NAMES.done);
  // Retries exhausted: the same function records the step as skipped with the reason, and the loop goes on.
  const giveUp = invoke(scope, STATE_NAMES.giveUp, functions.deliver);
  deliver.addCatch(giveUp, { errors: ["States.ALL"], resultPath: "$.failure" });
  giveUp.next(plan);

  plan.next(
    new Choice(scope, STATE_NAMES.planned)
      .when(Condition.stringEquals("$.next.kind", "done"), done)
      .otherwise(wait),
  );
  wait.next(check);
  check.next(
    new Choice(scope, STATE_NAMES.decided)
      .when(Condition.stringEquals("$.next.kind", "hold"), wait)
      // A grace-period execution whose order arrived: the order's own execution decides the step.
      .when(Condition.stringEquals("$.next.kind", "done"), done)
      .when(
        Condition.or(
          Condition.stringEquals("$.next.kind", "send"),
          Condition.stringEquals("$.next.kind", "handoff"),
        ),
        deliver,
      )
      .otherwise(plan),
  );
  deliver.next(plan);
  return plan;
}
