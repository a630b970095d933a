import type { ShopConfig } from "../config/config.js";
import type { OperatorChannel } from "../config/messaging.js";
import type { ConsentWriteBack } from "../customers/consent-writeback.js";
import { settingsOf } from "../journeys/context.js";
import { type AnyJourneyModule, JOURNEY_MODULES, journeyModule } from "../journeys/index.js";
import type { Trigger } from "../journeys/module.js";
import type { TrackingQueue } from "../parcels/subscriptions.js";
import type { Clock } from "../shared/clock.js";
import type { ExecutionState, JourneyId } from "../shared/model.js";
import type { DispatchRepositories, JourneyStarter } from "../shared/ports.js";
import {
  type HistoryImport,
  noteExecution,
  type StepTelemetry,
  skipUpcomingStep,
  startExecution,
  successorOf,
} from "./decide.js";
import type { PhonePlaces } from "./quiet-hours.js";
import { executionName } from "./start.js";

/**
 * How dispatch starts and stops a journey's executions: the enabled journeys' triggers of one kind, each
 * start paced and named by its subject (`start.ts`), the birthday's next celebration, a stop by name.
 */

/** Told of conversions as payments arrive, for operational metrics (the report recounts them exactly). */
export interface DispatchTelemetry {
  conversion(journey: JourneyId, revenue: number): void;
}

/** What the dispatch step needs. */
export interface DispatchDeps {
  readonly config: ShopConfig;
  readonly store: DispatchRepositories;
  readonly journeys: JourneyStarter;
  readonly clock: Clock;
  /** @default none */
  readonly telemetry?: StepTelemetry & DispatchTelemetry;
  /** What numbers tell of where their holders are: first steps planned in the recipient's time. @default none */
  readonly phones?: PhonePlaces;
  /** Where a data-access request is handed to the operators. @default none: it is only logged */
  readonly operators?: OperatorChannel;
  /** Where an opt-out is written back to the shop platform (Shopify). @default none */
  readonly consentWriteBack?: ConsentWriteBack;
  /** Where shipped parcels' Kuaidi100 subscriptions are queued (`parcels/subscriptions.ts`). @default none */
  readonly parcels?: TrackingQueue;
  /** A history import's (`intake/history.ts`): nothing due before it starts. @default live */
  readonly historyImport?: HistoryImport;
}

/** Starts an execution at its first step's wait, or nothing if it has nothing to do (`startExecution`). */
export function startJourney(
  deps: DispatchDeps,
  state: ExecutionState,
  /** What the execution is named after. @default the journey's ledger subject */
  subjectId = journeyModule(state.journey).subjectId(state),
): Promise<void> {
  return startExecution(deps, state, subjectId);
}

/**
 * Records a customer's birthday and starts the `customer-birthday` journeys' next celebration (what the
 * journey's `successor` names for an execution with no date yet). Started again until it is marked armed,
 * so a crash between the record and the start loses nothing; once armed, a repeated birthday costs no start.
 */
export async function startBirthdayJourneys(
  deps: DispatchDeps,
  customerId: string,
  birthday: string,
  at: string,
): Promise<void> {
  const { store } = deps;
  const { changed } = await store.recordCustomerBirthday(customerId, birthday, at);
  const triggered = triggersWhere(deps.config, "customer-birthday");
  if (triggered.length === 0) return;
  if (!changed && (await store.getCustomer(customerId))?.birthdayArmed === birthday) return;
  const enteredAt = deps.clock.now().toISOString();
  for (const { journey } of triggered) {
    const next = await successorOf(deps, { journey: journey.id, customerId, enteredAt });
    if (next) await startExecution(deps, next.state, next.subject);
  }
  await store.markBirthdayArmed(customerId, birthday);
}

/**
 * Stops an execution that has nothing left to do (named as `startJourney` named it) and records why its
 * upcoming step will never go out.
 */
export async function stopJourney(
  deps: DispatchDeps,
  state: ExecutionState,
  reason: string,
  subjectId = journeyModule(state.journey).subjectId(state),
): Promise<void> {
  const name = executionName(state.journey, subjectId);
  await deps.journeys.stop(state.journey, name);
  // Noted even when it had ended already: Step Functions' StopExecution then changes nothing.
  await noteExecution(deps, state, name, "stopped");
  await skipUpcomingStep(deps, state, reason);
}

/** The enabled journeys, in registry order. */
export function enabledJourneys(config: ShopConfig): AnyJourneyModule[] {
  let enabled = ENABLED.get(config);
  if (!enabled) {
    enabled = JOURNEY_MODULES.filter((journey) => settingsOf(config, journey).enabled);
    ENABLED.set(config, enabled);
  }
  return enabled;
}

/** The enabled journeys of each config (a parsed config does not change). */
const ENABLED = new WeakMap<ShopConfig, AnyJourneyModule[]>();

/** The triggers of the enabled journeys that `matches`, with their journey, in registry order. */
export function triggersWhere<K extends Trigger["kind"]>(
  config: ShopConfig,
  kind: K,
  matches: (trigger: Extract<Trigger, { kind: K }>) => boolean = () => true,
): { journey: AnyJourneyModule; trigger: Extract<Trigger, { kind: K }> }[] {
  return enabledJourneys(config).flatMap((journey) =>
    (journey.triggers as readonly Trigger[])
      .filter(
        (trigger): trigger is Extract<Trigger, { kind: K }> =>
          trigger.kind === kind && matches(trigger as Extract<Trigger, { kind: K }>),
      )
      .map((trigger) => ({ journey, trigger })),
  );
}

/** An `order-created` execution's state: one per order, entered when the order was created. */
export function orderCreatedState(
  journey: AnyJourneyModule,
  orderId: string,
  customerId: string | undefined,
  createdAt: string,
): ExecutionState {
  return { journey: journey.id, orderId, customerId, enteredAt: createdAt };
}

/**
 * What a paid order starts: the `first-paid-order` journeys if it is the customer's first paid order, and
 * a new `paid-order-cycle` (stopping the previous one, its next step recorded with the trigger's reason).
 * Runs when the payment and the order are both known, whichever webhook came last.
 */
