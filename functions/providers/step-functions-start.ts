import { ExecutionAlreadyExists, type SFNClient, StartExecutionCommand } from "@aws-sdk/client-sfn";
import type { ExecutionState, JourneyId } from "../core/shared/model.js";
import type { JourneyStarter } from "../core/shared/ports.js";

/**
 * Starts journey executions on AWS Step Functions and nothing else: what the step Lambda needs to start a
 * successor (its bundle then holds no StopExecution, and its role allows none).
 */
export class StepFunctionsStartOnly implements Pick<JourneyStarter, "start"> {
  constructor(
    private readonly sfn: SFNClient,
    /** Journey id → the ARN executions start on (the `live` alias, so running ones keep their version). */
    private readonly stateMachineArns: Readonly<Record<string, string>>,
  ) {}

  /** The ARN a journey's executions start on. @throws for a journey without one */
  arnOf(journey: JourneyId): string {
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
}
