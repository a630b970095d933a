import { Duration, Stack, Validations } from "aws-cdk-lib";
import type { IGrantable } from "aws-cdk-lib/aws-iam";
import { SqsEventSource } from "aws-cdk-lib/aws-lambda-event-sources";
import type { ISecret } from "aws-cdk-lib/aws-secretsmanager";
import { Queue, QueueEncryption } from "aws-cdk-lib/aws-sqs";
import type { CfnStateMachine } from "aws-cdk-lib/aws-stepfunctions";
import { Construct } from "constructs";
import { ConfigError } from "../functions/core/config/config.js";
import { JOURNEY_IDS, journeyModule } from "../functions/core/journeys/index.js";
import { journeyLoop } from "../workflows/index.js";
import { JourneyStateMachine } from "./journey-state-machine.js";
import { StackRoom } from "./rooms.js";
import { type SendingProps, sendingFunction } from "./sending.js";
import { ShopFunction } from "./shop-function.js";

/** How often SQS hands a batch to dispatch before it goes to the dead-letter queue. */
export const MAX_RECEIVE_COUNT = 5;

/** Dispatch's Lambda timeout: its start budget waits are bounded well under it. */
const DISPATCH_TIMEOUT = Duration.seconds(60);

/** At most this many dispatchers at once (the SQS event source's maximum concurrency). */
export const DISPATCH_CONCURRENCY = 5;

/** Properties of the {@link JourneyEngine}. */
/** Properties of {@link JourneyEngine}. */
export interface JourneyEngineProps extends SendingProps {
  /**
   * The Shopify Admin API token (`{"accessToken"}`): dispatch reads it to write opt-outs back to the shop's
   * customers (`customerSmsMarketingConsentUpdate`). @default none: nothing is written back
   */
  readonly shopifyAdminSecret?: ISecret;
}

/**
 * What happens to an event once it is accepted: the events queue (and its dead-letter queue), dispatch
 * (facts kept, executions started and stopped on the `live` aliases), one Step Functions machine per
 * journey module — every one the journeys' loop around the step function, which decides, delivers and
 * records each step.
 */
export class JourneyEngine extends StackRoom {
  /** The events queue ingest sends to and dispatch reads. */
  readonly events: Queue;
  /** Batches that crashed dispatch `MAX_RECEIVE_COUNT` times. */
  readonly deadLetters: Queue;
  /** The journeys' step function. */
  readonly step: ShopFunction;
  /** The dispatch function. */
  readonly dispatch: ShopFunction;
  /** The journey machines, by journey id. */
  readonly journeys: ReadonlyMap<string, JourneyStateMachine>;

  constructor(scope: Construct, id: string, props: JourneyEngineProps) {
    super(scope, id);
    this.deadLetters = new Queue(this, "EventsDeadLetters", {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    this.events = new Queue(this, "Events", {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      // Six times dispatch's timeout, as Lambda's SQS guide asks, so a batch still running is not delivered
      // again to a second dispatcher ("Using Lambda with Amazon SQS").
      visibilityTimeout: Duration.seconds(DISPATCH_TIMEOUT.toSeconds() * 6),
      deadLetterQueue: { queue: this.deadLetters, maxReceiveCount: MAX_RECEIVE_COUNT },
    });
    this.step = sendingFunction(this, "step", props);
    this.journeys = this.journeyMachines(props);
    this.dispatch = this.dispatcher(props);
  }

  /** Lets `grantee` send events to the queue (ingest, replay). */
  grantSendEvents(grantee: IGrantable): void {
    this.events.grantSendMessages(grantee);
  }

  private journeyMachines(props: JourneyEngineProps): Map<string, JourneyStateMachine> {
    const step = this.step.lambda;
    const stackName = Stack.of(this).stackName;
    const machines = new Map<string, JourneyStateMachine>();
    const successorMachines: Record<string, string> = {};
    for (const journey of JOURNEY_IDS) {
      // One loop serves every journey: the module's rules run in the step Lambda. Tasks invoke exact Lambda
      // versions, so an execution keeps the code and config it started with.
      const definition = journeyLoop(new Construct(this, `${journey}Definition`), {
        step: step.currentVersion,
      });
      // A journey whose executions start their successors (the birthday's next year) gets a fixed name: the
      // step Lambda starts it by an ARN built from the name, since a reference would close a cycle (the
      // machine's definition names the step Lambda's version).
      const handsOver = journeyModule(journey).successor !== undefined;
      const fixedName = `${stackName}-${journey}`;
      // Step Functions names are 1–80 characters ("CreateStateMachine", Step Functions API reference).
      if (handsOver && fixedName.length > 80)
        throw new ConfigError([
          `stackName: "${stackName}" makes the ${journey} state machine's name longer than Step Functions' 80 characters`,
        ]);
      const machine = new JourneyStateMachine(this, `${journey}Journey`, {
        journey,
        definition,
        alarmAction: props.operators.alarmAction,
        stateMachineName: handsOver ? fixedName : undefined,
      });
      machine.grantInvokeAllVersions([step]);
      machines.set(journey, machine);
      if (handsOver) {
        machine.grantStartExecution(step);
        successorMachines[journey] = machine.startArn;
      }
    }
    step.addEnvironment("JOURNEY_STATE_MACHINES", JSON.stringify(successorMachines));
    return machines;
  }

  private dispatcher(props: JourneyEngineProps): ShopFunction {
    const machines = this.journeys;
    const dispatch = new ShopFunction(this, "dispatch", {
      handler: "dispatch",
      config: props.config,
      table: props.table,
      environment: {
        MAX_RECEIVE_COUNT: String(MAX_RECEIVE_COUNT),
        EVENTS_QUEUE_URL: this.events.queueUrl,
        // A customer's data request (Shopify's customers/data_request) is handed to the operators.
        HANDOFF_TOPIC_ARN: props.operators.topic.topicArn,
        JOURNEY_STATE_MACHINES: JSON.stringify(
          Object.fromEntries([...machines].map(([journey, machine]) => [journey, machine.startArn])),
        ),
      },
      timeout: DISPATCH_TIMEOUT,
      alarmAction: props.operators.alarmAction,
    });
    const lambda = dispatch.lambda;
    props.table.grantReadWriteData(lambda);
    if (props.shopifyAdminSecret) {
      lambda.addEnvironment("SHOPIFY_ADMIN_SECRET_ARN", props.shopifyAdminSecret.secretArn);
      props.shopifyAdminSecret.grantRead(lambda);
    }
    props.operators.grantHandoffs(lambda);
    // Requeues the events whose starts found no rate slot in time (a delay instead of a receive counted).
    this.events.grantSendMessages(lambda);
    for (const machine of machines.values()) {
      machine.grantStartExecution(lambda);
      machine.grantStopExecution(lambda);
      const machineId = Stack.of(this).getLogicalId(
        machine.stateMachine.node.defaultChild as CfnStateMachine,
      );
      const machineName = machine.fixedName ?? `<${machineId}.Name>`;
      Validations.of(lambda).acknowledge({
        id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution:${machineName}:*]`,
        reason:
          "A new paid order stops the customer's running win-back; execution names are only known at run time.",
      });
    }
    // At most DISPATCH_CONCURRENCY dispatchers: the start budget is shared anyway, so more would only wait
    // for it (and time out) in Lambda rather than in the queue ("Configuring maximum concurrency for Amazon
    // SQS event sources", Lambda developer guide).
    lambda.addEventSource(
      new SqsEventSource(this.events, {
        batchSize: 10,
        reportBatchItemFailures: true,
        maxConcurrency: DISPATCH_CONCURRENCY,
      }),
    );
    return dispatch;
  }
}
