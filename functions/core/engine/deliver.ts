import {
  type OperatorChannel,
  type SmsMessage,
  type SmsProvider,
  SmsSendError,
} from "../config/messaging.js";
import { countSegments, renderTemplate } from "../config/template.js";
import { loadJourneyContext, messageOf, optOutOf } from "../journeys/context.js";
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
  const to = context.recipient;
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
  // A tracked short link: this send's own code, stored with its target before the message can be read.
  let link: string | undefined;
  if (message.template.includes("{link}")) {
    const now = deps.clock.now();
    const minted = await releasingClaimOnFailure(() =>
      mintLink(deps.store, {
        target: linkTargetOf(deps.config, state.journey, step, {
          orderId: state.orderId,
          customerId: context.customerId,
        }),
        journey: state.journey,
        step,
        subjectId,
        customerId: context.customerId,
        orderId: state.orderId,
        variant: message.variant,
        createdAt: now.toISOString(),
        expiresAt: new Date(now.getTime() + parseDuration(deps.config.links.keepFor)).toISOString(),
      }),
    );
    link = minted.code;
    variables = { ...variables, link: linkUrl(deps.config.links.baseUrl ?? "", minted.code) };
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
  const outcome = await callProvider(deps, {
    to,
    text,
    messageClass: message.messageClass,
    templateId: message.templateId,
    ...(message.variant ? { variant: message.variant } : {}),
    variables,
    reference,
  });
  const segments = countSegments(text).segments;
  switch (outcome.kind) {
    case "sent":
      await deps.store.putMessageRef(
        outcome.provider,
        { messageId: outcome.messageId, reference },
        { journey: state.journey, subjectId, step },
        deps.clock.now(),
      );
      return finish(
        "sent",
        { to, template: message.templateId, variant: message.variant, link, text, segments },
        { provider: outcome.provider, messageId: outcome.messageId },
      );
    case "rejected":
      return finish(
        "skipped",
        { to, reason: "provider-rejected", template: message.templateId },
        { provider: deps.sms.name, error: outcome.code },
      );
    case "ambiguous":
      // No message id came back: the receipt will name the send by its reference (out_id, Context).
      await keepCutReference(deps, deps.sms.name, state, subjectId, step);
      return finish(
        "sent",
        {
          to,
          template: message.templateId,
          variant: message.variant,
          link,
          text,
          segments,
          delivery: "unknown",
        },
        { provider: deps.sms.name, error: outcome.code },
      );
    case "retryable":
      // Certainly not sent (or refused for the account): the state machine's retry may try again.
      await deps.store.releaseClaim(state.journey, subjectId, step);
      throw outcome.error;
    default: {
      const unknown: never = outcome;
      throw new Error(`unknown send outcome ${JSON.stringify(unknown)}`);
    }
  }
}
