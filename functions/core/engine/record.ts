import { configVersion, type ShopConfig } from "../config/config.js";
import type { SmsSendError } from "../config/messaging.js";
import { journeyModule } from "../journeys/index.js";
import type { Clock } from "../shared/clock.js";
import {
  canonicalDecision,
  type DecisionRecord,
  type ExecutionState,
  type Next,
  type Outcome,
} from "../shared/model.js";
import type { Repositories, StepRepositories } from "../shared/ports.js";
import { formatInZone } from "../shared/time.js";
import { aimsAtPurchase } from "./attribution.js";
import type { PhonePlaces } from "./quiet-hours.js";

/**
 * The record phase of a step: building a decision record, writing it once to the ledger (with the
 * telemetry and the customer's last touch), and the ledger keys and references a send carries.
 */

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
  /**
   * What numbers tell of where their holders are (`adapters/phones`): quiet hours in the recipient's zone.
   * @default none: the recipient's zone is their own or their address's, else the shop's
   */
  readonly phones?: PhonePlaces;
}

/** Writes a decision and, if this call wrote it, tells the telemetry and records the customer's last touch. */
export async function recordDecision(
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
  // A reply from this number finds what it answers.
  if (record.outcome === "sent" && record.to) {
    const { journey, step, orderId, at, customerId } = record;
    await deps.store.recordLastSend(record.to, {
      journey,
      step,
      orderId,
      at,
      atMs: Date.parse(at),
      customerId,
    });
  }
  if (record.outcome === "sent" && record.customerId && aimsAtPurchase(deps.config, record)) {
    const { journey, step, orderId, at } = record;
    await deps.store.recordTouch(record.customerId, { journey, step, orderId, at, atMs: Date.parse(at) });
  }
  return true;
}

export function decision(
  deps: StepDeps,
  state: ExecutionState,
  step: string,
  outcome: Outcome,
  details: Partial<
    Pick<
      DecisionRecord,
      "customerId" | "to" | "reason" | "variant" | "link" | "text" | "segments" | "delivery"
    >
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
    configVersion: configVersion(deps.config),
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

/** A step's ledger key, `<journey>:<subject>:<step>`: the coupon's idempotency key and the send's reference. */
export function ledgerKeyOf(journey: string, subjectId: string, step: string): string {
  return `${journey}:${subjectId}:${step}`;
}

/** The reference a send carries, echoed in receipts (Aliyun's OutId, End User Messaging's Context): ≤ 64 characters. */
export function ledgerReference(ledgerKey: string): string {
  return ledgerKey.slice(0, 64);
}

/**
 * A reference names its step itself (the store reads it back from a receipt), unless it was cut to 64
 * characters: then a message ref under the cut reference says which step it was.
 */
export async function keepCutReference(
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
 * Decides a step whose claim was taken and never settled: the step died between its provider call and its
 * decision, so the message may be out. Recorded as sent with `delivery: unknown` (never resent); its receipt
 * can still settle it by the reference the provider echoes.
 */
export async function decideHeldClaim(
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
export const STALE_CLAIM_MS = 120_000;

/** The step of an execution whose next is of one of the `expected` kinds. */
export function stepOf(state: ExecutionState, expected: Next["kind"][]): string {
  const next = state.next;
  if (!next || !expected.includes(next.kind) || !("step" in next)) {
    throw new Error(`expected next.kind in [${expected.join(", ")}], got ${JSON.stringify(next)}`);
  }
  return next.step;
}
