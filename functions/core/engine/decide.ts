import { inHoldout } from "../customers/holdout.js";
import { loadJourneyContext, templateOf } from "../journeys/context.js";
import { type JourneyContext, journeyModule } from "../journeys/index.js";
import type { Successor } from "../journeys/module.js";
import { parseDuration } from "../shared/duration.js";
import type { ExecutionState } from "../shared/model.js";
import type { ExecutionEntry, JourneyStarter } from "../shared/ports.js";
import { type DeliverDeps, deliverStep } from "./deliver.js";
import { applySendingRules } from "./policy.js";
import {
  decideHeldClaim,
  decision,
  recordDecision,
  STALE_CLAIM_MS,
  type StepDeps,
  StepInFlightError,
  stepOf,
} from "./record.js";
import { executionName } from "./start.js";

/**
 * The decide phase of a step and the journey loop's task: plan the next step, check a due one (the
 * journey's verdict, then the sending rules), deliver it (`deliver.ts`), record it (`decisions.ts`), or
 * give it up when its retries ran out.
 */

export { CouponIssueError, type CouponIssuer, type DeliverDeps, deliverStep } from "./deliver.js";
export { type StepDeps, StepInFlightError, type StepTelemetry } from "./record.js";

/**
 * Plan: which step is next and when it is due (`wait`), or `done`.
 * @param loaded the facts to plan on, if the caller has them fresh @default loaded now
 */
export async function planStep(
  deps: StepDeps,
  state: ExecutionState,
  loaded?: JourneyContext,
): Promise<ExecutionState> {
  const journey = journeyModule(state.journey);
  const context = loaded ?? (await loadJourneyContext(deps, journey, state));
  const next = journey.plan(context);
  if (state.awaitingOrder && next.kind === "wait") {
    // Only the grace period: the execution started when the order arrives does the real planning.
    const graceEnds = Date.parse(state.enteredAt) + parseDuration(deps.config.unknownOrderGrace);
    const sendAt = new Date(Math.max(graceEnds, context.now.getTime()));
    return { ...state, next: { ...next, sendAt: sendAt.toISOString() } };
  }
  return { ...state, next };
}

/** Where the step's state machine state says it is due: the first due time survives holds. */
function dueAtOf(state: ExecutionState): Date {
  const next = state.next;
  if (next?.kind === "hold") return new Date(next.dueAt ?? next.sendAt);
  if (next?.kind === "wait") return new Date(next.sendAt);
  throw new Error(`no due time in ${JSON.stringify(next)}`);
}

/**
 * Check, at the due time: the journey says whether the step is still wanted, then the cross-journey
 * sending rules (windows, slots, opt-out, caps) may hold or skip it. A skip is final and recorded at
 * once; send and handoff are recorded by {@link deliverStep}.
 * @param loaded the facts to check against, if the caller has them fresh @default loaded now
 */
export async function checkStep(
  deps: StepDeps,
  state: ExecutionState,
  loaded?: JourneyContext,
): Promise<ExecutionState> {
  const step = stepOf(state, ["wait", "hold"]);
  const journey = journeyModule(state.journey);
  const subjectId = journey.subjectId(state);
  const context = loaded ?? (await loadJourneyContext(deps, journey, state));
  const existing = context.ledger.get(step);
  if (existing?.status === "final") {
    // A retried or duplicated execution: the step was decided before, so it is not decided again.
    return { ...state, next: { kind: "delivered", step, outcome: existing.outcome } };
  }
  if (existing?.status === "pending") {
    // A claim is held: a live step decides it itself (retry later); a stale one died mid-send, so the
    // message may be out. Re-checking it as a fresh step would hold or skip it and leave the claim forever.
    if (context.now.getTime() - Date.parse(existing.claimedAt) <= STALE_CLAIM_MS)
      throw new StepInFlightError(state.journey, subjectId, step);
    const message = await templateOf(journey, context, step);
    await decideHeldClaim(deps, deps.config.sms.provider, state, step, {
      customerId: context.customerId,
      to: context.recipient,
      template: message.templateId,
    });
    return { ...state, next: { kind: "delivered", step, outcome: "sent" } };
  }
  if (state.awaitingOrder && context.order?.createdAt !== undefined) {
    // The order arrived during the grace period and its own execution decides the step: end quietly.
    return { ...state, next: { kind: "done" } };
  }
  let verdict = state.awaitingOrder
    ? { kind: "skip" as const, step, reason: "unknown-order" }
    : await journey.check(context, step);
  // Not due after all: back to the wait, nothing decided.
  if (verdict.kind === "wait") return { ...state, next: verdict };
  // The holdout group is drawn from those the journey would message, so the two groups compare fairly.
  if (verdict.kind === "send" && inHoldout(deps.config, state.journey, context.customerId)) {
    verdict = { kind: "skip", step, reason: "holdout" };
  }
  const message = await templateOf(journey, context, step);
  const next =
    verdict.kind === "skip"
      ? verdict
      : await applySendingRules({
          config: deps.config,
          store: deps.store,
          now: context.now,
          step,
          verdict,
          messageClass: message.messageClass,
          dueAt: dueAtOf(state),
          deadline: journey.deadline?.(context, step),
          customerId: context.customerId ?? "",
          phone: context.recipient,
          consent: context.consent,
          place: context.place,
          ledgerKey: `${state.journey}#${subjectId}#${step}`,
          heldForRate:
            (state.next?.kind === "hold" && state.next.rateSlot !== undefined) || journey.atOwnTime === true,
        });
  if (next.kind === "skip") {
    await recordDecision(
      deps,
      subjectId,
      decision(deps, state, step, "skipped", {
        customerId: context.customerId,
        reason: next.reason,
        template: message.templateId,
        to: context.recipient,
      }),
      false,
    );
  }
  if (next.kind === "send") {
    // Kept for the send, should it have to be held for its rate slot; a slot an earlier hold reserved.
    const previous = state.next;
    const rateSlot = previous?.kind === "hold" ? previous.rateSlot : undefined;
    return {
      ...state,
      next: { ...next, dueAt: dueAtOf(state).toISOString(), ...(rateSlot ? { rateSlot } : {}) },
    };
  }
  return { ...state, next };
}

/** Why a step is given up, from the error its last try failed with. */
function giveUpReason(error: string | undefined): string {
  switch (error) {
    case "CouponIssueError":
      return "coupon-unavailable";
    case "SmsSendError":
    case "StepInFlightError":
      return "provider-failed";
    default:
      return "step-failed";
  }
}

/**
 * The step kept failing through every retry: it ends in a skip with the reason (the error is kept on the
 * decision). If a claim is still pending, an invocation died after the request may have left: that is
 * recorded as sent with `delivery: unknown`, not resent.
 */
async function giveUpStep(
  deps: DeliverDeps,
  state: ExecutionState,
  context: JourneyContext,
): Promise<ExecutionState> {
  const step = stepOf(state, ["wait", "hold", "send", "handoff"]);
  const { failure, ...rest } = state;
  const journey = journeyModule(state.journey);
  const subjectId = journey.subjectId(state);
  const message = await templateOf(journey, context, step);
  const to = context.recipient;
  const customerId = context.customerId;
  const reason = giveUpReason(failure?.Error);
  const skippedNow = await recordDecision(
    deps,
    subjectId,
    decision(deps, state, step, "skipped", { customerId, to, reason, template: message.templateId }),
    false,
    { error: failure?.Error },
  );
  if (skippedNow) return { ...rest, next: { kind: "delivered", step, outcome: "skipped" } };
  const existing = (await deps.store.listLedger(state.journey, subjectId)).get(step);
  if (existing?.status === "final")
    return { ...rest, next: { kind: "delivered", step, outcome: existing.outcome } };
  await decideHeldClaim(
    deps,
    deps.sms.name,
    state,
    step,
    { customerId, to, template: message.templateId },
    failure?.Error,
  );
  return { ...rest, next: { kind: "delivered", step, outcome: "sent" } };
}

/**
 * The journey loop's one task, run when a step is due: check it, send it or hand it off, then plan the
 * next step. A hold (back to the wait) or `done` returns at once. Every part is idempotent, so the state
 * machine may retry the whole task: a step decided by an earlier try is not decided again. With
 * `state.failure` (the retries ran out) the step is given up instead, and the next one planned.
 *
 * The order, customer and opt-out are read once for the whole task (four reads, not twelve); only the
 * ledger is read again before planning, since the step just decided is in it now.
 */
export async function advanceStep(deps: DeliverDeps, state: ExecutionState): Promise<ExecutionState> {
  const journey = journeyModule(state.journey);
  const context = await loadJourneyContext(deps, journey, state);
  // Another execution carries on (a changed birthday, a wait longer than an execution may live).
  if (!state.failure && (await handOver(deps, journey.successor?.(context))))
    return { ...state, next: { kind: "done" } };
  let decided: ExecutionState;
  if (state.failure) {
    decided = await giveUpStep(deps, state, context);
  } else {
    decided = await checkStep(deps, state, context);
    const kind = decided.next?.kind;
    if (kind === "send" || kind === "handoff") decided = await deliverStep(deps, decided, context);
  }
  const kind = decided.next?.kind;
  if (kind === "hold" || kind === "done") return decided;
  const ledger = await deps.store.listLedger(state.journey, journey.subjectId(state));
  // A send may have waited for its rate slot, so the plan reads the clock again.
  const fresh = { ...context, state: decided, ledger, now: deps.clock.now() };
  const planned = await planStep(deps, decided, fresh);
  if (planned.next?.kind === "done") await handOver(deps, journey.successor?.(fresh));
  return planned;
}

/** Starts the successor execution, if there is one. @returns whether it did */
async function handOver(deps: DeliverDeps, successor: Successor | undefined): Promise<boolean> {
  if (!successor) return false;
  const journeys = deps.journeys;
  if (!journeys) throw new Error(`${successor.state.journey}: no journey starter to hand over with`);
  await startExecution({ ...deps, journeys }, successor.state, successor.subject);
  return true;
}

/**
 * Notes an execution started or stopped for the customer, for `explain` (a repeated start or stop keeps
 * the first time). An execution whose customer is not known yet (its order has not arrived) is not noted.
 */
export async function noteExecution(
  deps: StepDeps & {
    /** Where dispatch collects its notes, to write them once the event is applied. @default written now */
    readonly executionNotes?: ExecutionEntry[];
  },
  state: ExecutionState,
  name: string,
  action: "started" | "stopped",
): Promise<void> {
  if (!state.customerId) return;
  const note = {
    customerId: state.customerId,
    journey: state.journey,
    name,
    ...(state.orderId ? { orderId: state.orderId } : {}),
    action,
    at: deps.clock.now().toISOString(),
  };
  if (deps.executionNotes) deps.executionNotes.push(note);
  else await deps.store.recordExecution(note);
}

/** How many successors in a row a start may skip over (a year already greeted hands on to the next). */
const SUCCESSOR_HOPS = 3;

/**
 * Starts an execution at its first step's wait (planned here: a Plan task of its own would cost two more
 * state transitions per execution). One with nothing to do is not started at all; if its journey has
 * successors, the one that carries on is started instead.
 * @param subject what the execution is named after (`executionName`)
 */
export async function startExecution(
  deps: StepDeps & {
    readonly journeys: Pick<JourneyStarter, "start">;
    /** An import's: steps due before `at` are recorded skipped `before-import`, counted, never started. */
    readonly historyImport?: HistoryImport;
  },
  state: ExecutionState,
  subject: string,
  hops = 0,
): Promise<void> {
  let planned = await planStep(deps, state);
  const { historyImport } = deps;
  // An import's past: each step that fell due before it is recorded as such, and the next one planned.
  for (let steps = 0; historyImport && steps < MAX_STEPS_BEFORE_IMPORT; steps += 1) {
    const next = planned.next;
    if (next?.kind !== "wait" || Date.parse(next.sendAt) >= historyImport.at.getTime()) break;
    await skipUpcomingStep(deps, state, BEFORE_IMPORT);
    historyImport.skipped += 1;
    planned = await planStep(deps, state);
  }
  if (planned.next?.kind !== "done") {
    const name = executionName(state.journey, subject);
    await deps.journeys.start(state.journey, name, planned);
    await noteExecution(deps, state, name, "started");
    return;
  }
  const next = hops < SUCCESSOR_HOPS ? await successorOf(deps, state) : undefined;
  if (next) await startExecution(deps, next.state, next.subject, hops + 1);
}

/** The reason of every step an import found due before it (`shopcare import`). */
export const BEFORE_IMPORT = "before-import";

/** Steps of one execution an import records before it gives up (a plan that never moves on). */
const MAX_STEPS_BEFORE_IMPORT = 10;

/** A history import in progress: its instant, and the steps it found due before it. */
export interface HistoryImport {
  readonly at: Date;
  skipped: number;
}

/**
 * The execution that carries `state`'s journey on, with its first step planned: what a journey with
 * successors starts instead of `state` when `state` has nothing left to do.
 */
export async function successorOf(deps: StepDeps, state: ExecutionState): Promise<Successor | undefined> {
  const journey = journeyModule(state.journey);
  if (!journey.successor) return undefined;
  return journey.successor(await loadJourneyContext(deps, journey, state));
}

/**
 * Records why a stopped execution's next step will never go out (e.g. win-back `repurchased`), so the
 * audit trail has a decision for it. A step already decided or in flight is left as it is.
 */
export async function skipUpcomingStep(deps: StepDeps, state: ExecutionState, reason: string): Promise<void> {
  const journey = journeyModule(state.journey);
  const context = await loadJourneyContext(deps, journey, state);
  const next = journey.plan(context);
  if (next.kind !== "wait") return;
  const template = (await templateOf(journey, context, next.step)).templateId;
  const skipped = await recordDecision(
    deps,
    journey.subjectId(state),
    decision(deps, state, next.step, "skipped", {
      customerId: context.customerId,
      reason,
      template,
      to: context.recipient,
    }),
    false,
  );
  if (skipped) return;
  // The step holds a claim: a live step decides it itself, but a stale one died mid-send, and with its
  // execution stopped nobody else would ever decide it.
  const held = context.ledger.get(next.step);
  const claimedAt = held?.status === "pending" ? Date.parse(held.claimedAt) : Number.NaN;
  if (deps.clock.now().getTime() - claimedAt > STALE_CLAIM_MS)
    await decideHeldClaim(deps, deps.config.sms.provider, state, next.step, {
      customerId: context.customerId,
      to: context.recipient,
      template,
    });
}
