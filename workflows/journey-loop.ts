import { Aws, Duration } from "aws-cdk-lib";
import type { IFunction } from "aws-cdk-lib/aws-lambda";
import {
  Choice,
  Condition,
  CustomState,
  type IChainable,
  JitterType,
  Succeed,
  Wait,
  WaitTime,
} from "aws-cdk-lib/aws-stepfunctions";
import { LambdaInvoke } from "aws-cdk-lib/aws-stepfunctions-tasks";
import type { Construct } from "constructs";
import { START_EXECUTION_RESOURCE } from "./resources.js";

/** The function every journey's loop runs: it decides the step that is due and plans the next one. */
export interface JourneyStepFunctions {
  readonly step: IFunction;
  /**
   * Whether the step may hand the run over to a fresh execution of the same machine (`next.kind` `relay`,
   * with the successor's `name` and `state`), before the execution's history nears Step Functions' 25,000
   * events. The machine's role must be allowed to start it. @default false
   */
  readonly relay?: boolean;
}

/** How often the Step task retries a failure that is not a held claim (after the first try). */
export const STEP_RETRIES = 5;

/** State names shared by the local runner and tests. */
export const STATE_NAMES = {
  wait: "WaitUntilDue",
  step: "Step",
  next: "NextStep",
  giveUp: "GiveUp",
  done: "Done",
  relay: "HandOver",
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
 * WaitUntilDue(`$.next.sendAt`) → Step → NextStep? → WaitUntilDue … → Done
 *
 * Three state transitions per step, since Step Functions bills by the transition: the first step is
 * planned by dispatch before the execution starts, and the Step task checks the due step, sends it or
 * hands it off, and plans the next one in one invocation. Step may also hold the step (back to the wait
 * with a later `sendAt`) or end the run (`done`). A failed Step is retried with backoff (a step whose claim
 * is held elsewhere too); when the retries run out, GiveUp records the step as skipped with a reason
 * instead of failing the run, and plans the next one.
 */
export function journeyLoop(scope: Construct, functions: JourneyStepFunctions): IChainable {
  const wait = new Wait(scope, STATE_NAMES.wait, { time: WaitTime.timestampPath("$.next.sendAt") });
  const step = invoke(scope, STATE_NAMES.step, functions.step);
  // Full jitter (a random wait between 0 and the backoff: the Retrier's JitterStrategy, "Error handling in
  // Step Functions", docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html): steps that
  // failed together (a provider throttling a burst, a DynamoDB partition) retry spread out instead of
  // colliding again. Full jitter halves the expected wait, so States.ALL tries once more: ~20 minutes.
  step.addRetry({
    errors: ["StepInFlightError"],
    interval: Duration.seconds(30),
    maxAttempts: 5,
    backoffRate: 2,
    jitterStrategy: JitterType.FULL,
  });
  step.addRetry({
    errors: ["States.ALL"],
    interval: Duration.seconds(20),
    maxAttempts: STEP_RETRIES,
    backoffRate: 3,
    jitterStrategy: JitterType.FULL,
  });
  // Retries exhausted: the same function records the step as skipped with the reason, and the loop goes on.
  // GiveUp writes to DynamoDB too, so it retries whatever fails (a throttle, a cold start timing out) for
  // about an hour and a half (20 s doubling, 8 times) before the execution fails and its Failed alarm
  // calls a person.
  const giveUp = invoke(scope, STATE_NAMES.giveUp, functions.step);
  giveUp.addRetry({
    errors: ["States.ALL"],
    interval: Duration.seconds(20),
    maxAttempts: 8,
    backoffRate: 2,
    maxDelay: Duration.hours(1),
    jitterStrategy: JitterType.FULL,
  });
  step.addCatch(giveUp, { errors: ["States.ALL"], resultPath: "$.failure" });
  const done = new Succeed(scope, STATE_NAMES.done);
  const next = new Choice(scope, STATE_NAMES.next).when(Condition.stringEquals("$.next.kind", "done"), done);
  if (functions.relay) {
    // The successor is this machine, by the context object's id (a reference would be a cycle: the
    // definition is part of the machine); its name and input come from the step. A repeated start after a
    // lost answer is the same execution (same name and input), so the retries are safe.
    const handOver = new CustomState(scope, STATE_NAMES.relay, {
      stateJson: {
        Type: "Task",
        Resource: `arn:${Aws.PARTITION}${START_EXECUTION_RESOURCE}`,
        Parameters: {
          "StateMachineArn.$": "$$.StateMachine.Id",
          "Name.$": "$.next.name",
          "Input.$": "$.next.state",
        },
        Retry: [
          {
            ErrorEquals: ["States.ALL"],
            IntervalSeconds: 5,
            MaxAttempts: 8,
            BackoffRate: 2,
            MaxDelaySeconds: 600,
            JitterStrategy: "FULL",
          },
        ],
        ResultPath: null,
      },
    });
    next.when(Condition.stringEquals("$.next.kind", "relay"), handOver);
    handOver.next(done);
  }
  next.otherwise(wait);
  wait.next(step);
  step.next(next);
  giveUp.next(next);
  return wait;
}
