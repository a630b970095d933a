import {
  ConflictException,
  CreateScheduleCommand,
  type CreateScheduleCommandInput,
  DeleteScheduleCommand,
  ResourceNotFoundException,
  type SchedulerClient,
  UpdateScheduleCommand,
} from "@aws-sdk/client-scheduler";
import { ExecutionAlreadyExists, type SFNClient, StartExecutionCommand } from "@aws-sdk/client-sfn";
import type { CampaignSchedulesPort, CampaignStartSpec } from "../core/customers/campaign-schedules.js";

/** Where the campaigns' schedules live and what they start. */
export interface CampaignScheduleTarget {
  /** The stack's schedule group. */
  readonly group: string;
  /** The universal target `arn:<partition>:scheduler:::aws-sdk:sfn:startExecution`. */
  readonly targetArn: string;
  /** The campaigns' machine's `live` alias. */
  readonly stateMachineArn: string;
  /** The role Scheduler assumes to start it (and to reach the dead-letter queue). */
  readonly roleArn: string;
  /** The SQS queue a start that failed after its retries goes to ("Configuring a schedule's dead-letter queue"). */
  readonly deadLetterArn: string;
}

/**
 * EventBridge Scheduler and Step Functions as {@link CampaignSchedulesPort}. A schedule calls StartExecution
 * itself (a universal target, "Using universal targets in EventBridge Scheduler"), so the execution has the
 * campaign's name: Scheduler delivers at least once, and a repeated start is the same execution. It retries
 * for 6 hours (20 attempts), then sends the dead-letter event to the queue the `CampaignNotStarted` alarm
 * watches.
 */
export class AwsCampaignSchedules implements CampaignSchedulesPort {
  constructor(
    private readonly scheduler: SchedulerClient,
    private readonly sfn: SFNClient,
    private readonly target: CampaignScheduleTarget,
  ) {}

  async upsertSchedule(spec: CampaignStartSpec): Promise<"created" | "updated"> {
    const input: CreateScheduleCommandInput = {
      Name: spec.schedule,
      GroupName: this.target.group,
      Description: `shopcare campaign ${spec.id}`,
      // at() takes whole seconds, in the time zone given ("Schedule types in EventBridge Scheduler").
      ScheduleExpression: `at(${spec.at.slice(0, 19)})`,
      ScheduleExpressionTimezone: "UTC",
      FlexibleTimeWindow: { Mode: "OFF" },
      Target: {
        Arn: this.target.targetArn,
        RoleArn: this.target.roleArn,
        Input: JSON.stringify({
          StateMachineArn: this.target.stateMachineArn,
          Name: spec.name,
          Input: spec.input,
        }),
        RetryPolicy: { MaximumRetryAttempts: 20, MaximumEventAgeInSeconds: 6 * 3600 },
        DeadLetterConfig: { Arn: this.target.deadLetterArn },
      },
    };
    try {
      await this.scheduler.send(new CreateScheduleCommand(input));
      return "created";
    } catch (error) {
      // There already (an earlier deploy): its time or target may have changed.
      if (!(error instanceof ConflictException)) throw error;
      await this.scheduler.send(new UpdateScheduleCommand(input));
      return "updated";
    }
  }

  async deleteSchedule(schedule: string): Promise<boolean> {
    try {
      await this.scheduler.send(new DeleteScheduleCommand({ Name: schedule, GroupName: this.target.group }));
      return true;
    } catch (error) {
      if (error instanceof ResourceNotFoundException) return false;
      throw error;
    }
  }

  async startNow(spec: CampaignStartSpec): Promise<"started" | "already-started"> {
    try {
      await this.sfn.send(
        new StartExecutionCommand({
          stateMachineArn: this.target.stateMachineArn,
          name: spec.name,
          input: spec.input,
        }),
      );
      return "started";
    } catch (error) {
      // The name was used: this campaign started before (running, or ended within 90 days).
      if (error instanceof ExecutionAlreadyExists) return "already-started";
      throw error;
    }
  }
}
