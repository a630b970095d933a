import type { TemplateVariant } from "../config/settings.js";
import type { JourneyConfig } from "../config/shop-settings.js";
import { TEMPLATE_SPECS, templateValueAt } from "../config/templates.js";
import { effectiveConsent } from "../customers/consent.js";
import { unitHash } from "../customers/holdout.js";
import { type CustomerConfig, levelOf } from "../customers/profiles.js";
import { type PhonePlaces, recipientPlace } from "../engine/quiet-hours.js";
import type { Clock } from "../shared/clock.js";
import type { Consent, CustomerRecord, ExecutionState, MessageClass, OrderRecord } from "../shared/model.js";
import type { JourneyReads, Repositories } from "../shared/ports.js";
import type { AnyJourneyModule, JourneyContext, MessageContent } from "./module.js";

/** The message a step sends: which template, and the values for its variables. */
export interface StepMessage extends MessageContent {
  readonly templateId: string;
  /** The variant of an A/B-tested template this message is. */
  readonly variant?: string;
  readonly template: string;
  readonly messageClass: MessageClass;
}

/**
 * The variant of a template a subject gets: by weight, from a hash of `key` (journey, step, customer) that
 * is salted apart from the holdout's, so the variant groups and the holdout are drawn independently.
 */
export function variantOf(variants: readonly TemplateVariant[], key: string): TemplateVariant | undefined {
  const total = variants.reduce((sum, variant) => sum + variant.weight, 0);
  let point = unitHash(`variant:${key}`) * total;
  for (const variant of variants) {
    point -= variant.weight;
    if (point < 0) return variant;
  }
  return variants.at(-1);
}

/** A journey's settings in the shop config. */
export function settingsOf(config: JourneyConfig, journey: AnyJourneyModule): { enabled: boolean } {
  return (config.journeys as Record<string, { enabled: boolean }>)[journey.configKey] as { enabled: boolean };
}

/** The id and class of a step's template: what skip, handoff and give-up records need (no variables). */
export function templateOf(
  journey: AnyJourneyModule,
  context: JourneyContext,
  step: string,
):
  | { readonly templateId: string; readonly messageClass: MessageClass }
  | Promise<{ readonly templateId: string; readonly messageClass: MessageClass }> {
  const declared = journey.templateFor?.(context, step);
  if (declared) return declared;
  const of = (key: string) => {
    const declaration = journey.templates[key];
    if (!declaration) throw new Error(`${journey.id}: step ${JSON.stringify(step)} names no template ${key}`);
    return { templateId: `${journey.id}.${key}`, messageClass: declaration.messageClass };
  };
  const key = journey.template(context, step);
  return typeof key === "string" ? of(key) : key.then(of);
}

/** The step's whole message: template id, class and text (from the shop config), and its content. */
export async function messageOf(
  journey: AnyJourneyModule,
  context: JourneyContext,
  step: string,
): Promise<StepMessage> {
  const declared = journey.templateFor?.(context, step);
  const { templateId, messageClass } = declared ?? (await templateOf(journey, context, step));
  // A record-only template (a handoff's) has no text.
  const value =
    declared?.text ?? (TEMPLATE_SPECS[templateId] ? templateValueAt(context.config, templateId) : "");
  // A template with variants: the customer's, drawn by journey, step and customer (`variantOf`).
  const chosen =
    typeof value === "string"
      ? undefined
      : variantOf(value, `${journey.id}:${step}:${context.customerId ?? ""}`);
  const template = typeof value === "string" ? value : (chosen?.text ?? "");
  const content = await journey.content(context, step);
  const variant = chosen ? { variant: chosen.id } : {};
  if (messageClass !== "marketing") return { templateId, template, messageClass, ...variant, ...content };
  // `{level}` works in every marketing template: the customer's member level now.
  const level = levelOf(context.customer, context.config as unknown as CustomerConfig, context.now);
  return {
    templateId,
    template,
    messageClass,
    ...variant,
    ...content,
    variables: { level, ...content.variables },
  };
}

/**
 * What the customer's and their number's records say of marketing to them, read now (`effectiveConsent`):
 * the deciding consent record, and when they opted out if it is a withdrawal. The one rule for the sending
 * rules and the send step.
 */
export async function marketingOf(
  store: Pick<Repositories, "getNumberMarketing">,
  customer: Pick<CustomerRecord, "phone" | "optedOutAt" | "consent"> | undefined,
): Promise<{ readonly consent?: Consent; readonly optedOutAt?: string }> {
  const number = customer?.phone ? await store.getNumberMarketing(customer.phone) : undefined;
  const consent = effectiveConsent(customer, number);
  return consent?.state === "unsubscribed" ? { consent, optedOutAt: consent.at } : { consent };
}

/** Loads the context the rules of `journey` need, at the clock's current time. */
export async function loadJourneyContext(
  deps: {
    readonly store: JourneyReads;
    readonly clock: Clock;
    readonly config: JourneyConfig;
    /** What numbers tell of where their holders are. @default none: the shop's zone for every number */
    readonly phones?: PhonePlaces;
  },
  journey: AnyJourneyModule,
  state: ExecutionState,
): Promise<JourneyContext> {
  const { store } = deps;
  // In parallel when the execution names its customer; otherwise the order does, once it is known.
  const [order, ledger, knownCustomer, checkout] = await Promise.all([
    state.orderId ? store.getOrder(state.orderId) : Promise.resolve(undefined),
    store.listLedger(journey.id, journey.subjectId(state)),
    state.customerId ? store.getCustomer(state.customerId) : Promise.resolve(undefined),
    state.checkout ? store.getCheckout(state.checkout) : Promise.resolve(undefined),
  ]);
  const customerId = state.customerId ?? order?.customerId;
  const customer = state.customerId || !customerId ? knownCustomer : await store.getCustomer(customerId);
  const { consent, optedOutAt } = await marketingOf(store, customer);
  let customerOrders: Promise<OrderRecord[]> | undefined;
  const context: JourneyContext = {
    config: deps.config,
    settings: settingsOf(deps.config, journey),
    now: deps.clock.now(),
    state,
    order,
    customer,
    ...(checkout ? { checkout } : {}),
    customerId,
    ledger,
    optedOutAt,
    consent,
    recipient: customer?.phone,
    place: recipientPlace(deps.config, customer, customer?.phone, deps.phones),
    customerOrders: () => {
      customerOrders ??= customerId ? store.listCustomerOrders(customerId) : Promise.resolve([]);
      return customerOrders;
    },
  };
  if (!journey.recipient) return context;
  const recipient = journey.recipient(context);
  // Most journeys write to the customer's own number: their place is already known.
  if (recipient === context.recipient) return context;
  return { ...context, recipient, place: recipientPlace(deps.config, customer, recipient, deps.phones) };
}
