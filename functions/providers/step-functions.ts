import { ExecutionDoesNotExist, type SFNClient, StopExecutionCommand } from "@aws-sdk/client-sfn";
import type { JourneyId } from "../core/shared/model.js";
import type { JourneyStarter } from "../core/shared/ports.js";
import { StepFunctionsStartOnly } from "./step-functions-start.js";

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
export class StepFunctionsStarter extends StepFunctionsStartOnly implements JourneyStarter {
  constructor(
    private readonly client: SFNClient,
    /** Journey id → the ARN executions start on (the `live` alias, so running ones keep their version). */
    stateMachineArns: Readonly<Record<string, string>>,
  ) {
    super(client, stateMachineArns);
  }

  async stop(journey: JourneyId, name: string): Promise<void> {
    try {
      await this.client.send(
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
