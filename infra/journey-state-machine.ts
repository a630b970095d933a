import { ArnFormat, Duration, RemovalPolicy, Stack, Tags, Validations } from "aws-cdk-lib";
import { Alarm, ComparisonOperator, type IAlarmAction, TreatMissingData } from "aws-cdk-lib/aws-cloudwatch";
import { Grant, type IGrantable, Policy, PolicyStatement } from "aws-cdk-lib/aws-iam";
import type { CfnFunction, IFunction } from "aws-cdk-lib/aws-lambda";
import { LogGroup, RetentionDays } from "aws-cdk-lib/aws-logs";
import {
  CfnStateMachineAlias,
  CfnStateMachineVersion,
  DefinitionBody,
  type IChainable,
  LogLevel,
  StateMachine,
  StateMachineType,
} from "aws-cdk-lib/aws-stepfunctions";
import { Construct } from "constructs";
import { JOURNEY_TAG, type JourneyId } from "../functions/core/shared/model.js";

/** Properties of a {@link JourneyStateMachine}. */
export interface JourneyStateMachineProps {
  /** The journey this machine runs; also tagged on the machine as `shopcare:journey`. */
  readonly journey: JourneyId;
  /** The journey's definition (from `workflows/`). */
  readonly definition: IChainable;
  /** Where the failed / throttled / timed-out alarms notify. @default no alarm action */
  readonly alarmAction?: IAlarmAction;
  /** How long execution logs are kept. @default RetentionDays.THREE_MONTHS */
  readonly logRetention?: RetentionDays;
  /** Longest an execution may run; lifecycle journeys wait for months. @default Duration.days(364) */
  readonly timeout?: Duration;
  /**
   * A fixed name, so the machine's ARN is known without a reference to it: the step Lambda, whose versions
   * the machine's definition names, can then be allowed to start it (a journey with successors) without a
   * dependency cycle. Set only on machines created with it: renaming a machine replaces it, and its waiting
   * executions with it.
   * @default a name CloudFormation generates
   */
  readonly stateMachineName?: string;
  /**
   * Whether its executions hand over to fresh ones of the same machine (the definition's `HandOver` state,
   * `relay` in `journeyLoop`): its role may start executions of itself. @default false
   */
  readonly relay?: boolean;
}

/** The alias executions start on; it always points at the newest published version. */
export const LIVE_ALIAS = "live";

/**
 * A journey's Standard state machine with what every machine in production needs: execution logs
 * (without execution data, which holds customer ids), X-Ray tracing, and alarms on failed, throttled and
 * timed-out executions.
 */
export class JourneyStateMachine extends Construct {
  /** The underlying state machine. */
  readonly stateMachine: StateMachine;
  /** Alarms on failed, throttled and timed-out executions. */
  readonly alarms: readonly Alarm[];
  /**
   * The ARN to start executions on: the `live` alias. Each deploy that changes the definition (and the
   * definition names exact Lambda versions, so any config or code change does) publishes a new version
   * and moves the alias; executions already running keep the version, and so the config, they began with.
   */
  readonly startArn: string;
  /** The machine's fixed name, when it has one (`stateMachineName`). */
  readonly fixedName: string | undefined;
  /** The unqualified machine ARN grants name: built from the name when it is fixed, else a reference. */
  private readonly machineArn: string;
  private readonly machineName: string;

  constructor(scope: Construct, id: string, props: JourneyStateMachineProps) {
    super(scope, id);
    // Step Functions' log delivery needs a resource policy on the log group; under /aws/vendedlogs/ the
    // one CloudWatch Logs creates covers every machine instead of one policy per group (its 5,120-character
    // limit) — "Logging using CloudWatch Logs" in the Step Functions developer guide.
    const logGroup = new LogGroup(this, "Logs", {
      logGroupName: `/aws/vendedlogs/states/${Stack.of(this).stackName}-${props.journey}`,
      retention: props.logRetention ?? RetentionDays.THREE_MONTHS,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.stateMachine = new StateMachine(this, "StateMachine", {
      stateMachineType: StateMachineType.STANDARD,
      definitionBody: DefinitionBody.fromChainable(props.definition),
      timeout: props.timeout ?? Duration.days(364),
      stateMachineName: props.stateMachineName,
      tracingEnabled: true,
      logs: { destination: logGroup, level: LogLevel.ALL, includeExecutionData: false },
    });
    const version = new CfnStateMachineVersion(this, "Version", {
      stateMachineArn: this.stateMachine.stateMachineArn,
      stateMachineRevisionId: this.stateMachine.stateMachineRevisionId,
      description: `${props.journey} as deployed`,
    });
    // Old versions stay published: executions waiting for months still run on them.
    version.applyRemovalPolicy(RemovalPolicy.RETAIN);
    const alias = new CfnStateMachineAlias(this, "LiveAlias", {
      name: LIVE_ALIAS,
      description: "Where new executions start; moved to each newly published version",
      routingConfiguration: [{ stateMachineVersionArn: version.attrArn, weight: 100 }],
    });
    this.fixedName = props.stateMachineName;
    this.machineName = props.stateMachineName ?? this.stateMachine.stateMachineName;
    this.machineArn = props.stateMachineName
      ? Stack.of(this).formatArn({
          service: "states",
          resource: "stateMachine",
          resourceName: props.stateMachineName,
          arnFormat: ArnFormat.COLON_RESOURCE_NAME,
        })
      : this.stateMachine.stateMachineArn;
    this.startArn = props.stateMachineName ? `${this.machineArn}:${LIVE_ALIAS}` : alias.attrArn;
    if (props.relay) {
      // Its own policy, not the role's default one: the machine depends on that, so it may not name the
      // machine (a cycle). StartExecution authorizes the unqualified ARN, whatever qualifier the start names
      // ("Authorization for versions and aliases in Step Functions workflows").
      new Policy(this, "RelayPolicy", {
        roles: [this.stateMachine.role],
        statements: [
          new PolicyStatement({
            actions: ["states:StartExecution"],
            resources: [this.stateMachine.stateMachineArn],
          }),
        ],
      });
    }
    // The local runner finds each journey's machine in the synthesized template by this tag.
    Tags.of(this.stateMachine).add(JOURNEY_TAG, props.journey);
    Validations.of(this.stateMachine).acknowledge({
      id: "AwsSolutions-IAM5[Resource::*]",
      reason: "X-Ray PutTraceSegments/PutTelemetryRecords have no resource-level permissions.",
    });
    const metrics = {
      Failed: this.stateMachine.metricFailed({ period: Duration.minutes(5) }),
      Throttled: this.stateMachine.metricThrottled({ period: Duration.minutes(5) }),
      TimedOut: this.stateMachine.metricTimedOut({ period: Duration.minutes(5) }),
    };
    this.alarms = Object.entries(metrics).map(([name, metric]) => {
      const alarm = new Alarm(this, `${name}Alarm`, {
        alarmDescription: `${props.journey}: executions ${name.toLowerCase()}`,
        metric,
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      });
      if (props.alarmAction) alarm.addAlarmAction(props.alarmAction);
      return alarm;
    });
  }

  /**
   * Lets this machine invoke every version of `functions` (`<arn>:*`). Its tasks name exact versions, and an
   * execution started months ago still invokes the version it began with: the role must keep allowing it
   * after later deploys have moved the tasks on (an unqualified grant does not cover a qualified ARN —
   * "Resource-based policy for Lambda" / "Using versions" in the Lambda developer guide).
   */
  grantInvokeAllVersions(functions: readonly IFunction[]): void {
    this.stateMachine.addToRolePolicy(
      new PolicyStatement({
        actions: ["lambda:InvokeFunction"],
        resources: functions.map((fn) => `${fn.functionArn}:*`),
      }),
    );
    for (const fn of functions) {
      const logicalId = Stack.of(this).getLogicalId(fn.node.defaultChild as CfnFunction);
      Validations.of(this.stateMachine).acknowledge({
        id: `AwsSolutions-IAM5[Resource::<${logicalId}.Arn>:*]`,
        reason: `Executions that started on older deploys invoke the ${fn.node.id} version they began with.`,
      });
    }
  }

  /**
   * Lets `grantee` start executions of this journey through its `live` alias. Step Functions authorizes a
   * start on an alias or version against the unqualified state machine ARN, and the
   * `states:StateMachineQualifier` condition key narrows it to the alias ("Authorization for versions and
   * aliases in Step Functions workflows", Step Functions developer guide). The key is multi-valued
   * (ArrayOfString in the Service Authorization Reference), hence `ForAnyValue:`, as the guide's example has
   * it; a start on the unqualified ARN carries no qualifier and is not allowed.
   */
  grantStartExecution(grantee: IGrantable): Grant {
    return Grant.addToPrincipal({
      grantee,
      actions: ["states:StartExecution"],
      resourceArns: [this.machineArn],
      conditions: { "ForAnyValue:StringEquals": { "states:StateMachineQualifier": [LIVE_ALIAS] } },
    });
  }

  /** Lets `grantee` stop this journey's executions (whatever version they run). */
  grantStopExecution(grantee: IGrantable): Grant {
    const executions = Stack.of(this).formatArn({
      service: "states",
      resource: "execution",
      resourceName: `${this.machineName}:*`,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
    return Grant.addToPrincipal({ grantee, actions: ["states:StopExecution"], resourceArns: [executions] });
  }
}
