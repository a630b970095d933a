import { StateMachine } from "aws-local-stepfunctions";
import { START_EXECUTION_RESOURCE } from "../../../workflows/resources.js";
import type { JourneyStarter } from "../../core/engine/dispatch.js";
import type { Clock } from "../../core/shared/clock.js";
import { type ExecutionState, JOURNEY_TAG, type JourneyId } from "../../core/shared/model.js";
import {
  type CloudFormationTemplate,
  historyEventsOf,
  type Json,
  PLACEHOLDER_ARN_PREFIX,
  readPath,
  resolveDefinition,
  VALIDATED_DEFINITIONS,
} from "./definitions.js";
import { withoutStack } from "./without-stack.js";

export type { CloudFormationTemplate };

/** A Lambda handler as the local engine calls it: the task's input in, its output out. */
export type LocalTaskHandler = (input: Json) => Promise<Json>;

/** Something that counts running work, so a virtual clock knows when everything is blocked. */
export interface ActivityTracker {
  begin(): void;
  end(): void;
}

/** Options of the {@link LocalJourneyEngine}. */
export interface LocalJourneyEngineOptions {
  /** The synthesized template holding the journeys' state machines and their Lambda functions. */
  readonly template: CloudFormationTemplate;
  /** Local handler for each `SHOPCARE_HANDLER` name a Lambda function in the template carries. */
  readonly handlers: Readonly<Record<string, LocalTaskHandler>>;
  /** The clock Wait states wait on. */
  readonly clock: Clock;
  /** Counts running executions for a virtual clock. @default none */
  readonly activity?: ActivityTracker;
  /** Retry intervals in ms instead of the definitions' (0 under a virtual clock). @default the definitions' */
  readonly retryIntervalMs?: number;
  /** Called when an execution fails. @default rethrown from {@link LocalJourneyEngine.drain} */
  readonly onExecutionFailed?: (name: string, error: unknown) => void;
}

// The engine rejects task timeouts past setTimeout's limit; virtual waits are timed by the runner instead.
const ENGINE_TIMEOUT_CEILING_SECONDS = 2_000_000;
const DEFAULT_TASK_TIMEOUT_SECONDS = 60;
/** ASL texts this process has validated already. */
interface WaitHook {
  readonly waitState: string;
  readonly dueAt: (input: Json, now: Date) => Date;
}

interface LoadedMachine {
  readonly machine: StateMachine;
  /** The definition's execution timeout, enforced on the injected clock rather than by the engine. */
  readonly timeoutMs: number | undefined;
  readonly taskHandlers: Record<string, LocalTaskHandler>;
  readonly waitOverrides: Record<string, number>;
  readonly retryOverrides: Record<string, number>;
  readonly hooks: Map<string, { hook: WaitHook; timeoutSeconds: number }>;
}

/**
 * Runs the journeys' state machines, exactly as synthesized, on `aws-local-stepfunctions`, with each Lambda
 * task mapped to its in-process handler (found through the function's `SHOPCARE_HANDLER` variable).
 *
 * Wait states are driven by the injected clock: a Wait's duration is set to 0 for the engine and the runner
 * waits on the clock, at the Wait's own `TimestampPath`/`Seconds`, before the task the Wait leads to. Under a
 * virtual clock that makes months of waiting instant; under the system clock it waits for real (also past
 * setTimeout's 24.8-day limit).
 */
export class LocalJourneyEngine implements JourneyStarter {
  private readonly machines = new Map<JourneyId, LoadedMachine>();
  /** Running executions; a finished one leaves only its name (a simulated year holds hundreds of thousands). */
  private readonly executions = new Map<string, { abort: AbortController; result: Promise<unknown> }>();
  private readonly startedNames = new Set<string>();
  private readonly failures: { name: string; error: unknown }[] = [];
  /** Task (Lambda) invocations across all executions, retries included. */
  taskInvocations = 0;
  /**
   * The longest execution history so far, counted as Step Functions would record it (`historyEventsOf`):
   * Step Functions fails an execution at 25,000 events ("Quotas").
   */
  largestHistory: { readonly name: string; readonly events: number } = { name: "", events: 0 };
  /**
   * Executions started (duplicate starts of the same name are not counted) and state transitions (states
   * entered, as Step Functions bills them), per journey.
   */
  readonly byJourney = new Map<JourneyId, { executions: number; transitions: number }>();

  /** Executions started, across journeys. */
  get started(): number {
    return [...this.byJourney.values()].reduce((sum, counts) => sum + counts.executions, 0);
  }

  /** State transitions across all executions. */
  get transitions(): number {
    return [...this.byJourney.values()].reduce((sum, counts) => sum + counts.transitions, 0);
  }

  constructor(private readonly options: LocalJourneyEngineOptions) {
    const resources = options.template.Resources;
    for (const [logicalId, resource] of Object.entries(resources)) {
      if (resource.Type !== "AWS::StepFunctions::StateMachine") continue;
      const tag = (resource.Properties?.Tags ?? []).find((t: Json) => t.Key === JOURNEY_TAG);
      if (!tag) continue;
      const asl = JSON.parse(resolveDefinition(resource.Properties.DefinitionString, resources));
      this.machines.set(tag.Value as JourneyId, this.load(logicalId, asl, tag.Value as JourneyId));
    }
  }

  /** The journeys found in the template. */
  get journeys(): JourneyId[] {
    return [...this.machines.keys()];
  }

  private load(machineId: string, asl: Json, journey: JourneyId): LoadedMachine {
    const resources = this.options.template.Resources;
    const taskHandlers: Record<string, LocalTaskHandler> = {};
    const waitOverrides: Record<string, number> = {};
    const retryOverrides: Record<string, number> = {};
    const hooks = new Map<string, { hook: WaitHook; timeoutSeconds: number }>();
    for (const [stateName, state] of Object.entries<Json>(asl.States)) {
      if (state.Type === "Wait") {
        waitOverrides[stateName] = 0;
        const target = asl.States[state.Next];
        if (target?.Type !== "Task") {
          throw new Error(`${machineId}: Wait ${stateName} must lead to a Task for the local runner`);
        }
        const dueAt = (input: Json, now: Date): Date => {
          if (state.TimestampPath) return new Date(readPath(state.TimestampPath, input));
          if (state.Timestamp) return new Date(state.Timestamp);
          if (state.SecondsPath)
            return new Date(now.getTime() + Number(readPath(state.SecondsPath, input)) * 1000);
          return new Date(now.getTime() + Number(state.Seconds) * 1000);
        };
        hooks.set(state.Next, {
          hook: { waitState: stateName, dueAt },
          timeoutSeconds: target.TimeoutSeconds ?? DEFAULT_TASK_TIMEOUT_SECONDS,
        });
        target.TimeoutSeconds = ENGINE_TIMEOUT_CEILING_SECONDS;
      }
      if (state.Type === "Task") {
        if (this.options.retryIntervalMs !== undefined && state.Retry) {
          retryOverrides[stateName] = this.options.retryIntervalMs;
        }
        const resource = String(state.Resource);
        if (resource.endsWith(START_EXECUTION_RESOURCE)) {
          // The hand-over to a fresh execution of this machine (its Parameters resolved by the engine).
          taskHandlers[stateName] = async (parameters: Json) => {
            await this.start(journey, String(parameters.Name), parameters.Input as ExecutionState);
            return {};
          };
          continue;
        }
        if (!resource.startsWith(PLACEHOLDER_ARN_PREFIX)) {
          throw new Error(`${machineId}: task ${stateName} calls ${resource}, which has no local handler`);
        }
        const functionId = resource.slice(PLACEHOLDER_ARN_PREFIX.length);
        const handlerName = resources[functionId]?.Properties?.Environment?.Variables?.SHOPCARE_HANDLER;
        const handler = this.options.handlers[handlerName];
        if (!handler)
          throw new Error(`${machineId}: no local handler "${handlerName}" for function ${functionId}`);
        taskHandlers[stateName] = handler;
      }
    }
    // The engine times executions with one setTimeout, which overflows past 24.8 days (a 364-day journey
    // would time out at once), so the runner enforces the execution timeout on its clock instead.
    const timeoutMs = asl.TimeoutSeconds === undefined ? undefined : asl.TimeoutSeconds * 1000;
    delete asl.TimeoutSeconds;
    // Validation of ARNs is off because the Lambda ARNs are local placeholders. A definition is validated
    // once per process: the validator compiles its JSON schema on every call (≈ 0.2 s), and the journeys
    // share one loop, so a shop's machines (and every test's engine) would pay for the same check again.
    const text = JSON.stringify(asl);
    const machine = new StateMachine(asl, {
      validationOptions: { checkArn: false, noValidate: VALIDATED_DEFINITIONS.has(text) },
    });
    VALIDATED_DEFINITIONS.add(text);
    return { machine, timeoutMs, taskHandlers, waitOverrides, retryOverrides, hooks };
  }

  private bindTasks(
    loaded: LoadedMachine,
    signal: AbortSignal,
    deadline: Date | undefined,
    inFlight: Set<Promise<unknown>>,
    counts: { transitions: number },
  ): Record<string, (input: Json) => Promise<Json>> {
    const { clock } = this.options;
    const timedOut = () => {
      const error = new Error("execution timed out");
      error.name = "States.Timeout";
      return error;
    };
    const bound: Record<string, (input: Json) => Promise<Json>> = {};
    let endedInWait = false;
    for (const [stateName, taskHandler] of Object.entries(loaded.taskHandlers)) {
      // A stopped execution's task keeps running to its end (as a Lambda would), so it is tracked.
      const handler = (input: Json) => {
        this.taskInvocations += 1;
        const call = taskHandler(input);
        inFlight.add(call);
        void call.then(
          () => inFlight.delete(call),
          () => inFlight.delete(call),
        );
        return call;
      };
      const waiting = loaded.hooks.get(stateName);
      bound[stateName] = async (input) => {
        if (waiting) {
          const due = waiting.hook.dueAt(input, clock.now());
          await clock.sleepUntil(deadline && deadline < due ? deadline : due, signal);
          if (signal.aborted || (deadline && clock.now() >= deadline)) {
            // The engine entered the task when the (zero-length) Wait ended, but on AWS the execution
            // never left the Wait: the task's entry is not a transition Step Functions would bill. (The
            // engine may retry the task after a stop; only the first entry was counted.)
            if (!endedInWait) counts.transitions -= 1;
            endedInWait = true;
            if (signal.aborted) throw new Error("execution aborted");
            throw timedOut();
          }
          return withTimeout(handler(input), waiting.timeoutSeconds, stateName);
        }
        if (deadline && clock.now() >= deadline) throw timedOut();
        return handler(input);
      };
    }
    return bound;
  }

  /** Starts an execution; a second start with the same name is a no-op, as in Step Functions. */
  async start(journey: JourneyId, name: string, input: ExecutionState): Promise<void> {
    if (this.startedNames.has(name)) return;
    const loaded = this.machines.get(journey);
    if (!loaded) throw new Error(`no state machine for journey ${journey} in the template`);
    const abort = new AbortController();
    const inFlight = new Set<Promise<unknown>>();
    this.options.activity?.begin();
    const counts = this.byJourney.get(journey) ?? { executions: 0, transitions: 0 };
    this.byJourney.set(journey, counts);
    counts.executions += 1;
    const run = loaded.machine.run(input as Json, {
      overrides: {
        taskResourceLocalHandlers: this.bindTasks(
          loaded,
          abort.signal,
          loaded.timeoutMs === undefined
            ? undefined
            : new Date(this.options.clock.now().getTime() + loaded.timeoutMs),
          inFlight,
          counts,
        ),
        waitTimeOverrides: loaded.waitOverrides,
        retryIntervalOverrides: loaded.retryOverrides,
      },
      noThrowOnAbort: true,
      context: {
        Execution: { Name: name, Input: input as Json, StartTime: this.options.clock.now().toISOString() },
        StateMachine: { Id: `arn:aws:states:us-east-1:123456789012:stateMachine:${journey}`, Name: journey },
      },
    });
    const result = run.result
      .catch((error: unknown) => {
        this.failures.push({ name, error });
        this.options.onExecutionFailed?.(name, error);
      })
      // The execution stops counting as running only once its last task has returned: a task still
      // running after a stop may use the clock, and the virtual clock must not move under it.
      .finally(async () => {
        // The engine closes its event log when the run ends (succeeded, failed or aborted), so the log is
        // read once, here: following it as it is written cost a promise and a listener per state.
        let history = 0;
        for await (const event of run.eventLogs) {
          if (event.type === "StateEntered") counts.transitions += 1;
          history += historyEventsOf(event);
        }
        if (history > this.largestHistory.events) this.largestHistory = { name, events: history };
        await Promise.allSettled([...inFlight]);
        this.executions.delete(name);
        this.options.activity?.end();
      });
    this.startedNames.add(name);
    this.executions.set(name, { abort, result });
    abort.signal.addEventListener("abort", () => run.abort(), { once: true });
  }

  /** Stops a running execution (Step Functions StopExecution); unknown or finished ones are ignored. */
  async stop(_journey: JourneyId, name: string): Promise<void> {
    const execution = this.executions.get(name);
    if (execution) abortRun(execution.abort);
  }

  /** Waits for every execution to finish; throws if any failed and no `onExecutionFailed` was given. */
  async drain(): Promise<void> {
    await Promise.all([...this.executions.values()].map((execution) => execution.result));
    if (!this.options.onExecutionFailed && this.failures.length > 0) {
      const [first] = this.failures;
      throw new Error(
        `${this.failures.length} execution(s) failed; first: ${first?.name}: ${String(first?.error)}`,
      );
    }
  }

  /** Failed executions so far. */
  get failed(): readonly { name: string; error: unknown }[] {
    return this.failures;
  }

  /** Aborts every running execution. */
  stopAll(): void {
    for (const execution of this.executions.values()) abortRun(execution.abort);
  }
}

/**
 * Aborts an execution's controller, and through its listener the engine's own. Each abort makes an
 * `AbortError` that nobody reads; a paid order stops its reminder, so a simulation makes thousands.
 */
function abortRun(abort: AbortController): void {
  withoutStack(() => abort.abort());
}

async function withTimeout<T>(promise: Promise<T>, seconds: number, stateName: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const error = new Error(`task ${stateName} timed out after ${seconds}s`);
      error.name = "States.Timeout";
      reject(error);
    }, seconds * 1000);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
