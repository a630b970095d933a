import {
  ExecutionAlreadyExists,
  ExecutionDoesNotExist,
  type SFNClient,
  StartExecutionCommand,
  StopExecutionCommand,
} from "@aws-sdk/client-sfn";
import type { JourneyStarter } from "../core/dispatch.js";
import type { ExecutionState, JourneyId } from "../core/model.js";

/**
 * The execution ARN of `name` started on a state machine (or on one of its aliases or versions):
 * `arn:…:stateMachine:<machine>[:<alias>]` → `arn:…:execution:<machine>:<name>`.
 */
export function executionArn(stateMachineArn: string, name: string): string {
  const parts = stateMachineArn.split(":");
  const machine = parts.slice(0, 7).join(":").replace(":stateMachine:", ":execution:");
  return `${machine}:${name}`;
}

/** Starts and stops journey executions on AWS Step Functions. */
export class StepFunctionsStarter implements JourneyStarter {
  constructor(
    private readonly sfn: SFNClient,
    /** Journey id → the ARN executions start on (the `live` alias, so running ones keep their version). */
    private readonly stateMachineArns: Readonly<Record<string, string>>,
  ) {}

  private arnOf(journey: JourneyId): string {
    const stateMachineArn = this.stateMachineArns[journey];
    if (!stateMachineArn) throw new Error(`no state machine for journey ${journey}`);
    return stateMachineArn;
  }

  async start(journey: JourneyId, name: string, input: ExecutionState): Promise<void> {
    try {
      await this.sfn.send(
        new StartExecutionCommand({
          stateMachineArn: this.arnOf(journey),
          name,
          input: JSON.stringify(input),
        }),
      );
    } catch (error) {
      // Same name already used: this event was seen before, and its journey is (or was) running.
      if (error instanceof ExecutionAlreadyExists) return;
      throw error;
    }
  }

  async stop(journey: JourneyId, name: string): Promise<void> {
    try {
      await this.sfn.send(
        new StopExecutionCommand({
          executionArn: executionArn(this.arnOf(journey), name),
          cause: "superseded by a newer event",
        }),
      );
    } catch (error) {
      if (error instanceof ExecutionDoesNotExist) return;
      throw error;
    }
  }
}
