import type { Clock } from "./clock.js";
import type { ShopConfig } from "./config.js";
import { parseDuration } from "./duration.js";
import { inHoldout } from "./holdout.js";
import { loadJourneyContext, messageOf, optOutOf, templateOf } from "./journeys/context.js";
import { type JourneyContext, journeyModule } from "./journeys/index.js";
import { type OperatorChannel, type SmsProvider, SmsSendError } from "./messaging.js";
import {
  canonicalDecision,
  type DecisionRecord,
  type ExecutionState,
  type Next,
  type Outcome,
} from "./model.js";
import { applySendingRules } from "./policy.js";
import type { Repositories, StepRepositories } from "./ports.js";
import type { SendRateLimiter } from "./rate-limit.js";
import { aimsAtPurchase } from "./report.js";
import { countSegments, renderTemplate } from "./template.js";
import { formatInZone } from "./time.js";

/**
 * Told what the steps decide, for operational metrics (CloudWatch EMF on AWS). Optional: the domain does
 * not depend on it, and nothing is told twice (only the invocation that wrote a decision tells it).
 */
export interface StepTelemetry {
  decision(record: DecisionRecord): void;
  providerError(provider: string, kind: SmsSendError["kind"]): void;
}

/** What the plan and check steps need. */
export interface StepDeps {
  readonly config: ShopConfig;
  readonly clock: Clock;
  readonly store: StepRepositories;
  /** @default none */
  readonly telemetry?: StepTelemetry;
}

/** Writes a decision and, if this call wrote it, tells the telemetry and records the customer's last touch. */
async function recordDecision(
  deps: StepDeps,
  subjectId: string,
  record: DecisionRecord,
  claimed: boolean,
  extra: Parameters<Repositories["recordDecision"]>[3] = {},
): Promise<boolean> {
  const written = await deps.store.recordDecision(subjectId, record, claimed, extra);
  if (!written) return false;
  deps.telemetry?.decision(record);
  // The customer's last touch, which the conversion figures read, is written wherever the step runs (AWS,
  // locally, a simulation), not only where metrics are emitted.
  if (record.outcome === "sent" && record.customerId && aimsAtPurchase(deps.config, record)) {
    const { journey, step, orderId, at } = record;
    await deps.store.recordTouch(record.customerId, { journey, step, orderId, at, atMs: Date.parse(at) });
  }
  return true;
}

/** Issues a coupon at send time (the gifts' and win-back's `coupon.issueUrl`). */
export interface CouponIssuer {
  /** @returns the coupon code or link; throws {@link CouponIssueError} when the shop's endpoint fails */
  issue(request: {
    readonly url: string;
    readonly journey: string;
    readonly customerId: string;
    readonly amount: number;
    /**
     * The step's ledger key (`<journey>:<subject>:<step>`): one coupon per step, however often it is
     * retried, and a new one for every other step (win-back's second stage, its next cycle).
     */
    readonly idempotencyKey: string;
  }): Promise<string>;
}

/** The coupon endpoint failed; retried by the state machine, then the step is skipped (`coupon-unavailable`). */
export class CouponIssueError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "CouponIssueError";
  }
}

/** What the deliver step needs on top: the ways out. */
export interface DeliverDeps extends StepDeps {
  readonly sms: SmsProvider;
  readonly operators: OperatorChannel;
  /** Paces sends to the provider's rate across all journeys. */
  readonly rateLimiter: SendRateLimiter;
  readonly coupons: CouponIssuer;
}

function decision(
  deps: StepDeps,
  state: ExecutionState,
  step: string,
  outcome: Outcome,
  details: Partial<
    Pick<DecisionRecord, "customerId" | "to" | "reason" | "text" | "segments" | "delivery">
  > & {
    template: string;
  },
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

function stepOf(state: ExecutionState, expected: Next["kind"][]): string {
  const next = state.next;
  if (!next || !expected.includes(next.kind) || !("step" in next)) {
    throw new Error(`expected next.kind in [${expected.join(", ")}], got ${JSON.stringify(next)}`);
  }
  return next.step;
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
      to: context.customer?.phone,
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
          phone: context.customer?.phone,
          optedOutAt: context.optedOutAt,
          ledgerKey: `${state.journey}#${subjectId}#${step}`,
          heldForRate: state.next?.kind === "hold" && state.next.rateSlot !== undefined,
        });
  if (next.kind === "skip") {
    await recordDecision(
      deps,
      subjectId,
      decision(deps, state, step, "skipped", {
        customerId: context.customerId,
        reason: next.reason,
        template: message.templateId,
        to: context.customer?.phone,
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

/** A step's ledger key, `<journey>:<subject>:<step>`: the coupon's idempotency key and the send's reference. */
function ledgerKeyOf(journey: string, subjectId: string, step: string): string {
  return `${journey}:${subjectId}:${step}`;
}

/** The reference a send carries, echoed in receipts (Aliyun's OutId, End User Messaging's Context): ≤ 64 characters. */
function ledgerReference(ledgerKey: string): string {
  return ledgerKey.slice(0, 64);
}

/**
 * A reference names its step itself (the store reads it back from a receipt), unless it was cut to 64
 * characters: then a message ref under the cut reference says which step it was.
 */
async function keepCutReference(
  deps: StepDeps,
  provider: string,
  state: ExecutionState,
  subjectId: string,
  step: string,
): Promise<void> {
  const ledgerKey = ledgerKeyOf(state.journey, subjectId, step);
  const reference = ledgerReference(ledgerKey);
  if (reference === ledgerKey) return;
  await deps.store.putMessageRef(
    provider,
    { reference },
    { journey: state.journey, subjectId, step },
    deps.clock.now(),
  );
}

/**
 * Deliver: sends the SMS (or raises the handoff) exactly once per (journey, subject, step). The ledger
 * claim is written before the provider call, so a retry or a duplicate execution never sends twice.
 * A provider failure that certainly sent nothing frees the claim for the state machine's retry; a
 * rejection is recorded as a skip; an ambiguous failure is recorded as sent with `delivery: unknown`.
 * @param loaded the facts the check saw, in the same invocation @default loaded now
 */
export async function deliverStep(
  deps: DeliverDeps,
  state: ExecutionState,
  loaded?: JourneyContext,
): Promise<ExecutionState> {
  const step = stepOf(state, ["send", "handoff"]);
  const next = state.next as Extract<Next, { kind: "send" | "handoff" }>;
  const journey = journeyModule(state.journey);
  const subjectId = journey.subjectId(state);
  const context = loaded ? { ...loaded, state } : await loadJourneyContext(deps, journey, state);
  const ledgerKey = ledgerKeyOf(state.journey, subjectId, step);
  const claimed = await deps.store.claimStep(state.journey, subjectId, step, deps.clock.now().toISOString());
  if (!claimed) {
    const existing = (await deps.store.listLedger(state.journey, subjectId)).get(step);
    if (existing?.status !== "final") throw new StepInFlightError(state.journey, subjectId, step);
    return { ...state, next: { kind: "delivered", step, outcome: existing.outcome } };
  }
  const message = await messageOf(journey, context, step);
  const to = context.customer?.phone;
  const finish = async (
    outcome: Outcome,
    details: Parameters<typeof decision>[4],
    extra: Parameters<Repositories["recordDecision"]>[3] = {},
  ): Promise<ExecutionState> => {
    const record = decision(deps, state, step, outcome, { customerId: context.customerId, ...details });
    await recordDecision(deps, subjectId, record, true, extra);
    return { ...state, next: { kind: "delivered", step, outcome } };
  };
  // A side effect that certainly failed frees the step for the state machine's retry.
  const releasingClaimOnFailure = async <T>(effect: () => Promise<T>): Promise<T> => {
    try {
      return await effect();
    } catch (error) {
      await deps.store.releaseClaim(state.journey, subjectId, step);
      throw error;
    }
  };
  if (next.kind === "handoff") {
    const note = journey.handoff?.(context, step) ?? {
      summary: `${state.journey} ${step}: order ${state.orderId ?? "-"} (${context.order?.amount ?? "?"} ${context.order?.currency ?? ""}) needs a person: ${next.reason}`,
    };
    await releasingClaimOnFailure(() =>
      deps.operators.notify({
        journey: state.journey,
        step,
        orderId: state.orderId,
        customerId: context.customerId ?? "",
        reason: next.reason,
        ...note,
      }),
    );
    return finish("handoff", { to, reason: next.reason, template: message.templateId });
  }
  const skipped = (reason: string) => finish("skipped", { to, reason, template: message.templateId });
  // An opt-out recorded between a check and a later delivery (a retried step loads afresh) still wins.
  if (message.messageClass === "marketing" && context.optedOutAt !== undefined) return skipped("opted-out");
  if (!to) return skipped("no-phone");
  // The rate slot first: a send held for a later one has issued no coupon yet.
  if (next.kind === "send" && next.rateSlot !== undefined) {
    // Held for a slot reserved earlier: it is this step's, so no new reservation.
    const slot = new Date(next.rateSlot);
    if (slot > deps.clock.now()) await deps.clock.sleepUntil(slot);
  } else {
    const granted = await releasingClaimOnFailure(() =>
      deps.rateLimiter.acquire({ reference: ledgerReference(ledgerKey), to }),
    );
    if (granted) {
      // The provider's rate is booked that far ahead: hold until the slot, then send in it.
      await deps.store.releaseClaim(state.journey, subjectId, step);
      const sendAt = granted.holdUntil.toISOString();
      return {
        ...state,
        next: {
          kind: "hold",
          step,
          sendAt,
          rateSlot: sendAt,
          ...(next.kind === "send" && next.dueAt ? { dueAt: next.dueAt } : {}),
        },
      };
    }
  }
  let variables = message.variables;
  if (message.issueCoupon) {
    const { amount, issueUrl } = message.issueCoupon;
    const coupon = await releasingClaimOnFailure(() =>
      deps.coupons.issue({
        url: issueUrl,
        journey: state.journey,
        customerId: context.customerId ?? "",
        amount,
        idempotencyKey: ledgerKey,
      }),
    );
    variables = { ...variables, coupon };
  }
  const text = renderTemplate(message.template, variables);
  const reference = ledgerReference(ledgerKey);
  // The rate wait and the coupon call can take seconds; an opt-out recorded meanwhile must still win, so
  // marketing reads the customer's and the number's opt-out again, fresh, as the last thing before sending.
  if (message.messageClass === "marketing") {
    const customer = context.customerId ? await deps.store.getCustomer(context.customerId) : undefined;
    if ((await optOutOf(deps.store, { phone: to, optedOutAt: customer?.optedOutAt })) !== undefined)
      return skipped("opted-out");
  }
  let receipt: Awaited<ReturnType<SmsProvider["send"]>>;
  try {
    receipt = await deps.sms.send({
      to,
      text,
      messageClass: message.messageClass,
      templateId: message.templateId,
      variables,
      reference,
    });
  } catch (error) {
    const kind = error instanceof SmsSendError ? error.kind : "retryable";
    deps.telemetry?.providerError(deps.sms.name, kind);
    if (kind === "rejected") {
      return finish(
        "skipped",
        { to, reason: "provider-rejected", template: message.templateId },
        { provider: deps.sms.name, error: (error as SmsSendError).code },
      );
    }
    if (kind === "ambiguous") {
      const segments = countSegments(text).segments;
      // No message id came back: the receipt will name the send by its reference (out_id, Context).
      await keepCutReference(deps, deps.sms.name, state, subjectId, step);
      return finish(
        "sent",
        { to, template: message.templateId, text, segments, delivery: "unknown" },
        { provider: deps.sms.name, error: (error as SmsSendError).code },
      );
    }
    // retryable or misconfigured: certainly not sent, so the state machine's retry may try again.
    await deps.store.releaseClaim(state.journey, subjectId, step);
    throw error;
  }
  await deps.store.putMessageRef(
    receipt.provider,
    { messageId: receipt.messageId, reference },
    { journey: state.journey, subjectId, step },
    deps.clock.now(),
  );
  return finish(
    "sent",
    { to, template: message.templateId, text, segments: countSegments(text).segments },
    { provider: receipt.provider, messageId: receipt.messageId },
  );
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
  const to = context.customer?.phone;
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
 * Decides a step whose claim was taken and never settled: the step died between its provider call and its
 * decision, so the message may be out. Recorded as sent with `delivery: unknown` (never resent); its receipt
 * can still settle it by the reference the provider echoes.
 */
async function decideHeldClaim(
  deps: StepDeps,
  /** The provider receipts come from (for a reference cut to 64 characters). */
  provider: string,
  state: ExecutionState,
  step: string,
  details: { readonly customerId?: string; readonly to?: string; readonly template: string },
  error?: string,
): Promise<void> {
  const subjectId = journeyModule(state.journey).subjectId(state);
  await keepCutReference(deps, provider, state, subjectId, step);
  await recordDecision(
    deps,
    subjectId,
    decision(deps, state, step, "sent", { ...details, delivery: "unknown" }),
    true,
    error ? { error } : {},
  );
}

/** A claim older than this has no live step behind it (the step Lambda's timeout is 30 s). */
const STALE_CLAIM_MS = 120_000;

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
  return planStep(deps, decided, { ...context, state: decided, ledger, now: deps.clock.now() });
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
      to: context.customer?.phone,
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
      to: context.customer?.phone,
      template,
    });
}
