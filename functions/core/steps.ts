import type { Clock } from "./clock.js";
import type { ShopConfig } from "./config.js";
import { JOURNEYS } from "./journeys/index.js";
import { loadJourneyContext } from "./journeys/journey.js";
import type { OperatorChannel, SmsProvider } from "./messaging.js";
import {
  canonicalDecision,
  type DecisionRecord,
  type ExecutionState,
  type Next,
  type Outcome,
} from "./model.js";
import type { Store } from "./store.js";
import { countSegments, renderTemplate } from "./template.js";
import { formatInZone } from "./time.js";

/** What the plan and check steps need. */
export interface StepDeps {
  readonly config: ShopConfig;
  readonly clock: Clock;
  readonly store: Store;
}

/** What the deliver step needs on top: the ways out. */
export interface DeliverDeps extends StepDeps {
  readonly sms: SmsProvider;
  readonly operators: OperatorChannel;
}

function decision(
  deps: StepDeps,
  state: ExecutionState,
  step: string,
  outcome: Outcome,
  details: Partial<Pick<DecisionRecord, "to" | "reason" | "text" | "segments">> & { template: string },
): DecisionRecord {
  return canonicalDecision({
    at: formatInZone(deps.clock.now(), deps.config.timeZone),
    journey: state.journey,
    step,
    orderId: state.orderId,
    customerId: state.customerId,
    outcome,
    ...details,
  });
}

/**
 * Another invocation holds the step's claim and has not finished. Thrown so the state machine retries
 * later instead of sending a second time; it surfaces as a failed execution if the claim never completes.
 */
export class StepInFlightError extends Error {
  constructor(journey: string, subjectId: string, step: string) {
    super(`step ${journey}/${subjectId}/${step} is being delivered by another invocation`);
    this.name = "StepInFlightError";
  }
}

/** Plan: which step is next and when it is due (`wait`), or `done`. */
export async function planStep(deps: StepDeps, state: ExecutionState): Promise<ExecutionState> {
  const journey = JOURNEYS[state.journey];
  const context = await loadJourneyContext(deps, journey, state);
  return { ...state, next: journey.plan(context) };
}

function stepOf(state: ExecutionState, expected: Next["kind"][]): string {
  const next = state.next;
  if (!next || !expected.includes(next.kind) || !("step" in next)) {
    throw new Error(`expected next.kind in [${expected.join(", ")}], got ${JSON.stringify(next)}`);
  }
  return next.step;
}

/**
 * Check, at the due time: decides send / handoff / skip / hold. A skip is final here and recorded at once;
 * send and handoff are recorded by {@link deliverStep}.
 */
export async function checkStep(deps: StepDeps, state: ExecutionState): Promise<ExecutionState> {
  const step = stepOf(state, ["wait", "hold"]);
  const journey = JOURNEYS[state.journey];
  const context = await loadJourneyContext(deps, journey, state);
  const existing = context.ledger.get(step);
  if (existing?.status === "final") {
    // A retried or duplicated execution: the step was decided before, so it is not decided again.
    return { ...state, next: { kind: "delivered", step, outcome: existing.outcome } };
  }
  const next = await journey.check(context, step);
  if (next.kind === "skip") {
    const templateId = journey.message(context, step).templateId;
    await deps.store.recordDecision(
      journey.subjectId(state),
      decision(deps, state, step, "skipped", {
        reason: next.reason,
        template: templateId,
        to: context.customer?.phone,
      }),
      false,
    );
  }
  return { ...state, next };
}

/**
 * Deliver: sends the SMS (or raises the handoff) exactly once per (journey, subject, step). The ledger
 * claim is written before the provider call, so a retry or a duplicate execution never sends twice.
 */
export async function deliverStep(deps: DeliverDeps, state: ExecutionState): Promise<ExecutionState> {
  const step = stepOf(state, ["send", "handoff"]);
  const next = state.next as Extract<Next, { kind: "send" | "handoff" }>;
  const journey = JOURNEYS[state.journey];
  const subjectId = journey.subjectId(state);
  const context = await loadJourneyContext(deps, journey, state);
  const claimed = await deps.store.claimStep(state.journey, subjectId, step, deps.clock.now().toISOString());
  if (!claimed) {
    const existing = (await deps.store.listLedger(state.journey, subjectId)).get(step);
    if (existing?.status !== "final") throw new StepInFlightError(state.journey, subjectId, step);
    return { ...state, next: { kind: "delivered", step, outcome: existing.outcome } };
  }
  const message = journey.message(context, step);
  const to = context.customer?.phone;
  // A side effect that certainly failed frees the step for the state machine's retry.
  const releasingClaimOnFailure = async (effect: () => Promise<unknown>) => {
    try {
      await effect();
    } catch (error) {
      await deps.store.releaseClaim(state.journey, subjectId, step);
      throw error;
    }
  };
  if (next.kind === "handoff") {
    await releasingClaimOnFailure(() =>
      deps.operators.notify({
        journey: state.journey,
        step,
        orderId: state.orderId,
        customerId: state.customerId,
        reason: next.reason,
        summary: `${state.journey} ${step}: order ${state.orderId ?? "-"} (${context.order?.amount ?? "?"} ${context.order?.currency ?? ""}) needs a person: ${next.reason}`,
      }),
    );
    await deps.store.recordDecision(
      subjectId,
      decision(deps, state, step, "handoff", { to, reason: next.reason, template: message.templateId }),
      true,
    );
    return { ...state, next: { kind: "delivered", step, outcome: "handoff" } };
  }
  if (!to) throw new Error(`no phone number for customer ${state.customerId}`);
  const text = renderTemplate(message.template, message.variables);
  await releasingClaimOnFailure(() => deps.sms.send({ to, text, messageClass: message.messageClass }));
  await deps.store.recordDecision(
    subjectId,
    decision(deps, state, step, "sent", {
      to,
      template: message.templateId,
      text,
      segments: countSegments(text).segments,
    }),
    true,
  );
  return { ...state, next: { kind: "delivered", step, outcome: "sent" } };
}
