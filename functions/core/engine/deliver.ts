import {
  type OperatorChannel,
  type SmsMessage,
  type SmsProvider,
  SmsSendError,
} from "../config/messaging.js";
import { countSegments, renderTemplate } from "../config/template.js";
import { loadJourneyContext, marketingOf, messageOf } from "../journeys/context.js";
import type { JourneyContext } from "../journeys/index.js";
import { journeyModule } from "../journeys/index.js";
import { parseDuration } from "../shared/duration.js";
import type { ExecutionState, Next, Outcome } from "../shared/model.js";
import type { JourneyStarter, Repositories } from "../shared/ports.js";
import { linkTargetOf } from "./link-targets.js";
import { linkUrl, mintLink } from "./links.js";
import type { SendRateLimiter } from "./rate.js";
import {
  decision,
  keepCutReference,
  ledgerKeyOf,
  ledgerReference,
  recordDecision,
  type StepDeps,
  StepInFlightError,
  stepOf,
} from "./record.js";

/** The deliver phase of a step: the claim, the rate slot, the coupon, the provider call and its outcome. */

/** What one provider call came to. */
export type SendOutcome =
  /** The provider accepted the message and named it. */
  | { readonly kind: "sent"; readonly provider: string; readonly messageId: string }
  /** The provider refused this message (a bad number, blocked content): it will never go out. */
  | { readonly kind: "rejected"; readonly code: string }
  /** The request left and no answer came: maybe sent. Never resent; its receipt settles it. */
  | { readonly kind: "ambiguous"; readonly code: string }
  /** Certainly not sent (throttled, 5xx, refused for the account): the state machine retries the step. */
  | { readonly kind: "retryable"; readonly error: unknown };

/** Calls the provider once and classifies what came of it (and tells the telemetry of a failure). */
async function callProvider(deps: DeliverDeps, message: SmsMessage): Promise<SendOutcome> {
  try {
    const receipt = await deps.sms.send(message);
    return { kind: "sent", provider: receipt.provider, messageId: receipt.messageId };
  } catch (error) {
    const kind = error instanceof SmsSendError ? error.kind : "retryable";
    deps.telemetry?.providerError(deps.sms.name, kind);
    const code = error instanceof SmsSendError ? error.code : "Error";
    switch (kind) {
      case "rejected":
        return { kind: "rejected", code };
      case "ambiguous":
        return { kind: "ambiguous", code };
      case "retryable":
      case "misconfigured":
        return { kind: "retryable", error };
      default: {
        const unknown: never = kind;
        throw new Error(`unknown failure kind ${String(unknown)}`);
      }
    }
  }
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
  /**
   * Starts the executions that carry a journey on (`successor`: the birthday's next year).
   * @default none: a journey with successors cannot hand over, and its step fails
   */
  readonly journeys?: Pick<JourneyStarter, "start">;
}

/** One step's delivery under way: what was decided, for whom, and the claim that makes it once. */
interface Delivery {
  readonly deps: DeliverDeps;
  readonly state: ExecutionState;
  readonly next: Extract<Next, { kind: "send" | "handoff" }>;
  readonly step: string;
  readonly subjectId: string;
  readonly ledgerKey: string;
  readonly context: JourneyContext;
  readonly message: Awaited<ReturnType<typeof messageOf>>;
  readonly to: string | undefined;
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
  const journey = journeyModule(state.journey);
  const subjectId = journey.subjectId(state);
  const context = loaded ? { ...loaded, state } : await loadJourneyContext(deps, journey, state);
  const claimed = await deps.store.claimStep(state.journey, subjectId, step, deps.clock.now().toISOString());
  if (!claimed) {
    const existing = (await deps.store.listLedger(state.journey, subjectId)).get(step);
    if (existing?.status !== "final") throw new StepInFlightError(state.journey, subjectId, step);
    return { ...state, next: { kind: "delivered", step, outcome: existing.outcome } };
  }
  const delivery: Delivery = {
    deps,
    state,
    next: state.next as Extract<Next, { kind: "send" | "handoff" }>,
    step,
    subjectId,
    ledgerKey: ledgerKeyOf(state.journey, subjectId, step),
    context,
    message: await messageOf(journey, context, step),
    to: context.recipient,
  };
  if (delivery.next.kind === "handoff") return handOff(delivery, delivery.next.reason);
  // An opt-out recorded between a check and a later delivery (a retried step loads afresh) still wins.
  if (delivery.message.messageClass === "marketing" && context.optedOutAt !== undefined)
    return skip(delivery, "opted-out");
  if (!delivery.to) return skip(delivery, "no-phone");
  const held = await holdForRateSlot(delivery);
  if (held) return held;
  const { variables, link } = await withCouponAndLink(delivery);
  // The rate wait and the coupon call can take seconds; an opt-out recorded meanwhile must still win, so
  // marketing reads the customer's and the number's opt-out again, fresh, as the last thing before sending
  // (the named guard: delivery's last opt-out read).
  if (await optedOutSinceDecided(delivery)) return skip(delivery, "opted-out");
  return send(delivery, renderTemplate(delivery.message.template, variables), variables, link);
}

/** Records the step's one decision and ends the delivery with its outcome. */
async function finish(
  delivery: Delivery,
  outcome: Outcome,
  details: Parameters<typeof decision>[4],
  extra: Parameters<Repositories["recordDecision"]>[3] = {},
): Promise<ExecutionState> {
  const { deps, state, step } = delivery;
  const record = decision(deps, state, step, outcome, {
    customerId: delivery.context.customerId,
    ...details,
  });
  await recordDecision(deps, delivery.subjectId, record, true, extra);
  return { ...state, next: { kind: "delivered", step, outcome } };
}

const skip = (delivery: Delivery, reason: string) =>
  finish(delivery, "skipped", { to: delivery.to, reason, template: delivery.message.templateId });

/** A side effect that certainly failed frees the step for the state machine's retry. */
async function releasingClaimOnFailure<T>(delivery: Delivery, effect: () => Promise<T>): Promise<T> {
  try {
    return await effect();
  } catch (error) {
    await delivery.deps.store.releaseClaim(delivery.state.journey, delivery.subjectId, delivery.step);
    throw error;
  }
}

/** A person instead of a message: the operators are told, then the handoff is recorded. */
async function handOff(delivery: Delivery, reason: string): Promise<ExecutionState> {
  const { deps, state, step, context } = delivery;
  const note = journeyModule(state.journey).handoff?.(context, step) ?? {
    summary: `${state.journey} ${step}: order ${state.orderId ?? "-"} (${context.order?.amount ?? "?"} ${context.order?.currency ?? ""}) needs a person: ${reason}`,
  };
  await releasingClaimOnFailure(delivery, () =>
    deps.operators.notify({
      journey: state.journey,
      step,
      orderId: state.orderId,
      customerId: context.customerId ?? "",
      reason,
      ...note,
    }),
  );
  return finish(delivery, "handoff", { to: delivery.to, reason, template: delivery.message.templateId });
}

/**
 * The rate slot first, so a send held for a later one has issued no coupon yet: a slot reserved earlier is
 * this step's (wait for it); else one is asked for, and a slot booked ahead holds the step until then.
 * @returns the held state, or undefined to send now
 */
async function holdForRateSlot(delivery: Delivery): Promise<ExecutionState | undefined> {
  const { deps, state, next, step } = delivery;
  if (next.kind === "send" && next.rateSlot !== undefined) {
    const slot = new Date(next.rateSlot);
    if (slot > deps.clock.now()) await deps.clock.sleepUntil(slot);
    return undefined;
  }
  const granted = await releasingClaimOnFailure(delivery, () =>
    deps.rateLimiter.acquire({ reference: ledgerReference(delivery.ledgerKey), to: delivery.to as string }),
  );
  if (!granted) return undefined;
  // The provider's rate is booked that far ahead: hold until the slot, then send in it.
  await deps.store.releaseClaim(state.journey, delivery.subjectId, step);
  const sendAt = granted.holdUntil.toISOString();
  const dueAt = next.kind === "send" && next.dueAt ? { dueAt: next.dueAt } : {};
  return { ...state, next: { kind: "hold", step, sendAt, rateSlot: sendAt, ...dueAt } };
}

/** The message's variables with its coupon issued and its tracked short link minted, if it has them. */
async function withCouponAndLink(
  delivery: Delivery,
): Promise<{ variables: Record<string, string | number>; link?: string }> {
  const { deps, state, step, message, context } = delivery;
  let variables = message.variables;
  if (message.issueCoupon) {
    const { amount, issueUrl } = message.issueCoupon;
    const coupon = await releasingClaimOnFailure(delivery, () =>
      deps.coupons.issue({
        url: issueUrl,
        journey: state.journey,
        customerId: context.customerId ?? "",
        amount,
        idempotencyKey: delivery.ledgerKey,
      }),
    );
    variables = { ...variables, coupon };
  }
  // A tracked short link: this send's own code, stored with its target before the message can be read.
  if (!message.template.includes("{link}")) return { variables };
  const now = deps.clock.now();
  const minted = await releasingClaimOnFailure(delivery, () =>
    mintLink(deps.store, {
      target:
        journeyModule(state.journey).linkTarget?.(context, step) ??
        linkTargetOf(deps.config, state.journey, step, {
          orderId: state.orderId,
          customerId: context.customerId,
        }),
      journey: state.journey,
      step,
      subjectId: delivery.subjectId,
      customerId: context.customerId,
      orderId: state.orderId,
      variant: message.variant,
      createdAt: now.toISOString(),
      expiresAt: new Date(now.getTime() + parseDuration(deps.config.links.keepFor)).toISOString(),
    }),
  );
  return {
    variables: { ...variables, link: linkUrl(deps.config.links.baseUrl ?? "", minted.code) },
    link: minted.code,
  };
}

/** Whether a marketing message's customer or number opted out since the step was decided (read fresh). */
async function optedOutSinceDecided(delivery: Delivery): Promise<boolean> {
  const { deps, context } = delivery;
  if (delivery.message.messageClass !== "marketing") return false;
  const customer = context.customerId ? await deps.store.getCustomer(context.customerId) : undefined;
  const { optedOutAt } = await marketingOf(deps.store, {
    phone: delivery.to,
    optedOutAt: customer?.optedOutAt,
    consent: customer?.consent,
  });
  return optedOutAt !== undefined;
}

/** Calls the provider once and records what came of it. */
async function send(
  delivery: Delivery,
  text: string,
  variables: Record<string, string | number>,
  link: string | undefined,
): Promise<ExecutionState> {
  const { deps, state, step, message, to } = delivery;
  const reference = ledgerReference(delivery.ledgerKey);
  const outcome = await callProvider(deps, {
    to: to as string,
    text,
    messageClass: message.messageClass,
    templateId: message.templateId,
    ...(message.variant ? { variant: message.variant } : {}),
    variables,
    reference,
  });
  const sent = { to, template: message.templateId, variant: message.variant, link, text };
  const segments = countSegments(text).segments;
  switch (outcome.kind) {
    case "sent":
      await deps.store.putMessageRef(
        outcome.provider,
        { messageId: outcome.messageId, reference },
        { journey: state.journey, subjectId: delivery.subjectId, step },
        deps.clock.now(),
      );
      return finish(
        delivery,
        "sent",
        { ...sent, segments },
        { provider: outcome.provider, messageId: outcome.messageId },
      );
    case "rejected":
      return finish(
        delivery,
        "skipped",
        { to, reason: "provider-rejected", template: message.templateId },
        { provider: deps.sms.name, error: outcome.code },
      );
    case "ambiguous":
      // No message id came back: the receipt will name the send by its reference (out_id, Context).
      await keepCutReference(deps, deps.sms.name, state, delivery.subjectId, step);
      return finish(
        delivery,
        "sent",
        { ...sent, segments, delivery: "unknown" },
        { provider: deps.sms.name, error: outcome.code },
      );
    case "retryable":
      // Certainly not sent (or refused for the account): the state machine's retry may try again.
      await deps.store.releaseClaim(state.journey, delivery.subjectId, step);
      throw outcome.error;
    default: {
      const unknown: never = outcome;
      throw new Error(`unknown send outcome ${JSON.stringify(unknown)}`);
    }
  }
}
