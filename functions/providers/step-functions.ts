import { ExecutionAlreadyExists, type SFNClient, StartExecutionCommand } from "@aws-sdk/client-sfn";
import type { JourneyStarter } from "../core/dispatch.js";
import type { ExecutionState, JourneyId } from "../core/model.js";

/** Starts journey executions on AWS Step Functions. */
export class StepFunctionsStarter implements JourneyStarter {
  constructor(
    private readonly sfn: SFNClient,
    private readonly stateMachineArns: Readonly<Record<string, string>>,
  ) {}

  async start(journey: JourneyId, name: string, input: ExecutionState): Promise<void> {
    const stateMachineArn = this.stateMachineArns[journey];
    if (!stateMachineArn) throw new Error(`no state machine for journey ${journey}`);
    try {
      await this.sfn.send(new StartExecutionCommand({ stateMachineArn, name, input: JSON.stringify(input) }));
    } catch (error) {
      // Same name already used: this event was seen before, and its journey is (or was) running.
      if (error instanceof ExecutionAlreadyExists) return;
      throw error;
    }
  }
}
