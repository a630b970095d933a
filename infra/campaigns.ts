import { Aws, CfnOutput, CustomResource, Duration, Stack, Validations } from "aws-cdk-lib";
import { PolicyStatement, Role, ServicePrincipal } from "aws-cdk-lib/aws-iam";
import type { CfnFunction } from "aws-cdk-lib/aws-lambda";
import { CfnScheduleGroup } from "aws-cdk-lib/aws-scheduler";
import type { Queue } from "aws-cdk-lib/aws-sqs";
import { Provider } from "aws-cdk-lib/custom-resources";
import { Construct } from "constructs";
import { CAMPAIGN_JOURNEY } from "../functions/core/config/campaign-settings.js";
import { campaignStartSpecs } from "../functions/core/customers/campaign-schedules.js";
import { journeyLoop } from "../workflows/index.js";
import { JourneyStateMachine } from "./journey-state-machine.js";
import { StackRoom } from "./rooms.js";
import { deadLetterQueue, type SendingProps, sendingFunction } from "./sending.js";
import { ShopFunction } from "./shop-function.js";

/** The campaign task's Lambda timeout: its pages take at most a minute, its last sends a little more. */
const CAMPAIGN_TIMEOUT = Duration.minutes(3);

/** Properties of {@link Campaigns}. */
export type CampaignsProps = SendingProps;

/**
 * The campaigns' state machine (the journeys' loop around the campaign task) and what starts each campaign
 * on the `live` alias at its `at`: a campaign planned months ahead runs the config of the deploy before its
 * time, not of the one it was planned in.
 *
 * Nothing here depends on the synth machine's clock (two synths of one config are byte-identical). A custom
 * resource decides at deploy time (`core/customers/campaign-schedules.ts`): one EventBridge Scheduler
 * one-time schedule per campaign still ahead, in the stack's schedule group; a late one (its `at` passed, its
 * `until` not) started at once by its fixed name; one over never started again. Each schedule calls
 * StartExecution itself (a universal target, "Using universal targets in EventBridge Scheduler", in the
 * stack's partition), retries for 6 hours, then delivers its dead-letter event to a queue the
 * `CampaignNotStarted` alarm watches ("Configuring a schedule's dead-letter queue": the execution role
 * needs `sqs:SendMessage` on it).
 */
export class Campaigns extends StackRoom {
  /** The one state machine every campaign runs on (`core/customers/campaigns.ts`), one execution each. */
  readonly machine: JourneyStateMachine;
  /** The campaign task. */
  readonly task: ShopFunction;
  /** Campaign starts Scheduler gave up on. @default none without campaigns */
  readonly deadLetters?: Queue;

  constructor(scope: Construct, id: string, props: CampaignsProps) {
    super(scope, id);
    this.task = sendingFunction(this, "campaign", props, CAMPAIGN_TIMEOUT);
    // A campaign paging a large directory at a low send rate loops for days: it hands over to a fresh
    // execution before its history nears Step Functions' 25,000 events (`CAMPAIGN_RELAY_LOOPS`).
    this.machine = new JourneyStateMachine(this, "CampaignsJourney", {
      journey: CAMPAIGN_JOURNEY,
      definition: journeyLoop(new Construct(this, "campaignsDefinition"), {
        step: this.task.lambda.currentVersion,
        relay: true,
      }),
      alarmAction: props.operators.alarmAction,
      relay: true,
    });
    this.machine.grantInvokeAllVersions([this.task.lambda]);
    if (props.config.campaigns.length > 0) this.deadLetters = this.scheduleStarts(props);
  }

  private scheduleStarts(props: CampaignsProps): Queue {
    const stack = Stack.of(this);
    const machine = this.machine;
    const group = new CfnScheduleGroup(this, "CampaignSchedules", {});
    const deadLetters = deadLetterQueue(this, "CampaignScheduleDeadLetters", "the campaigns' schedules");
    const role = new Role(this, "CampaignSchedulerRole", {
      description: "EventBridge Scheduler starts each campaign's execution at its time",
      // Only schedules of this account may assume it (the confused-deputy guard, "Set up the execution
      // role", EventBridge Scheduler user guide).
      assumedBy: new ServicePrincipal("scheduler.amazonaws.com", {
        conditions: { StringEquals: { "aws:SourceAccount": stack.account } },
      }),
    });
    machine.grantStartExecution(role);
    deadLetters.grantSendMessages(role);
    const starter = new ShopFunction(this, "campaign-schedules", {
      handler: "campaign-schedules",
      config: props.config,
      table: props.table,
      environment: {
        SCHEDULE_GROUP: group.ref,
        SCHEDULE_TARGET_ARN: `arn:${Aws.PARTITION}:scheduler:::aws-sdk:sfn:startExecution`,
        CAMPAIGNS_STATE_MACHINE_ARN: machine.startArn,
        SCHEDULER_ROLE_ARN: role.roleArn,
        SCHEDULE_DEAD_LETTER_ARN: deadLetters.queueArn,
      },
      alarmAction: props.operators.alarmAction,
    }).lambda;
    // Its schedules only (CreateSchedule, UpdateSchedule and DeleteSchedule authorize the schedule's ARN,
    // "Actions, resources, and condition keys for Amazon EventBridge Scheduler"), and the role passed to them.
    starter.addToRolePolicy(
      new PolicyStatement({
        actions: ["scheduler:CreateSchedule", "scheduler:UpdateSchedule", "scheduler:DeleteSchedule"],
        resources: [
          stack.formatArn({
            service: "scheduler",
            resource: "schedule",
            resourceName: `${group.ref}/campaign-*`,
          }),
        ],
      }),
    );
    starter.addToRolePolicy(
      new PolicyStatement({
        actions: ["iam:PassRole"],
        resources: [role.roleArn],
        conditions: { StringEquals: { "iam:PassedToService": "scheduler.amazonaws.com" } },
      }),
    );
    machine.grantStartExecution(starter);
    Validations.of(starter).acknowledge({
      id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:scheduler:<AWS::Region>:<AWS::AccountId>:schedule/<${stack.getLogicalId(group)}>/campaign-*]`,
      reason:
        "The campaign starter manages only the `campaign-*` schedules of this stack's schedule group, one per campaign of the config.",
    });
    // On the stack itself: the framework names its function by its path, and the description stays as deployed.
    const provider = new Provider(stack, "CampaignStartsProvider", { onEventHandler: starter });
    const starterId = stack.getLogicalId(starter.node.defaultChild as CfnFunction);
    for (const id of [
      "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]",
      `AwsSolutions-IAM5[Resource::<${starterId}.Arn>:*]`,
      "AwsSolutions-L1",
    ])
      Validations.of(provider).acknowledge({
        id,
        reason:
          "The CDK provider framework's own function (aws-cdk-lib/custom-resources): it only invokes the campaign starter (any version) and answers CloudFormation; its runtime is CDK's choice.",
      });
    const starts = new CustomResource(this, "CampaignStarts", {
      serviceToken: provider.serviceToken,
      resourceType: "Custom::CampaignStarts",
      properties: { Campaigns: JSON.stringify(campaignStartSpecs(props.config.campaigns)) },
    });
    // Deleted before its group (the stack's deletion removes the schedules first).
    starts.node.addDependency(group);
    new CfnOutput(this, "CampaignDeadLetterQueueUrl", { value: deadLetters.queueUrl });
    return deadLetters;
  }
}
