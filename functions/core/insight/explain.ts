import type { ShopConfig } from "../config/config.js";
import { maskPhone, maskPhonesIn } from "../config/messaging.js";
import { type PhonePlaces, quietHoursRule, type RecipientPlace } from "../engine/quiet-hours.js";
import type { ShopEvent } from "../intake/events.js";
import { timeFieldOf } from "../intake/order-events.js";
import { loadJourneyContext, settingsOf, templateOf } from "../journeys/context.js";
import { JOURNEY_MODULES } from "../journeys/index.js";
import type { AnyJourneyModule, Trigger } from "../journeys/module.js";
import { paidOrders } from "../journeys/vocabulary.js";
import type { DecisionRecord, ExecutionState, MessageClass, OrderRecord } from "../shared/model.js";
import type { ExecutionEntry, ExplainRepositories } from "../shared/ports.js";
import { formatInZone } from "../shared/time.js";
import type { ExplainSubject, ReceivedEvent, TimelineEntry, TimelineFacts } from "./timeline.js";

export type * from "./timeline.js";

/**
 * `shopcare explain`: one customer's or order's timeline, oldest first — the events received, the
 * decisions (with the config that made them), the replies, and the steps still pending with their due
 * time and the rule that set it. The question decision records exist to answer: why did (or didn't)
 * this customer get a message?
 */

/** The order an event is about, if any. */
function orderIdOf(event: ShopEvent): string | undefined {
  if (event.type === "order.created") return event.order.id;
  return "orderId" in event && typeof event.orderId === "string" ? event.orderId : undefined;
}

/** Whether an event is about the subject: one of its orders, its customer, or its number. */
function concerns(
  facts: Pick<TimelineFacts, "customerIds" | "orderIds" | "phones">,
  event: ShopEvent,
): boolean {
  const orderId = orderIdOf(event);
  if (orderId !== undefined && facts.orderIds.has(orderId)) return true;
  switch (event.type) {
    case "order.created":
      return facts.customerIds.has(event.order.customer.id);
    case "customer.opted_out":
    case "customer.consent":
      return (
        (event.customerId !== undefined && facts.customerIds.has(event.customerId)) ||
        (event.phone !== undefined && facts.phones.has(event.phone))
      );
    case "customer.declined":
      return facts.customerIds.has(event.customerId);
    case "customer.updated":
      return facts.customerIds.has(event.customer.id);
    default:
      return false;
  }
}

/** The timeline, oldest first; with `showPhone` false every number is masked. */
export function buildTimeline(
  facts: TimelineFacts,
  options: { readonly showPhone: boolean },
): TimelineEntry[] {
  const mask = (phone: string | undefined) => (options.showPhone ? phone : maskPhone(phone));
  // A decision or a clicked link is the subject's by one of its orders or its customer.
  const ofSubject = (about: { readonly orderId?: string; readonly customerId?: string }) =>
    (about.orderId !== undefined && facts.orderIds.has(about.orderId)) ||
    (about.customerId !== undefined && facts.customerIds.has(about.customerId));
  const entries: TimelineEntry[] = [
    ...facts.events
      .filter((received) => concerns(facts, received.event))
      .map(
        ({ event, source, webhookId }): TimelineEntry => ({
          at: event.at,
          kind: "event",
          type: event.type,
          source,
          webhookId,
          ...(orderIdOf(event) ? { orderId: orderIdOf(event) } : {}),
        }),
      ),
    ...facts.decisions
      .filter(ofSubject)
      .map((decision): TimelineEntry => ({ kind: "decision", ...decision, to: mask(decision.to) })),
    ...facts.replies
      .filter(
        (reply) =>
          facts.phones.has(reply.from) ||
          (reply.customerId !== undefined && facts.customerIds.has(reply.customerId)),
      )
      .map(
        (reply): TimelineEntry => ({
          at: reply.at,
          kind: "reply",
          from: mask(reply.from) ?? "",
          // A customer may write a number into a reply ("call 13800000000 instead").
          text: options.showPhone ? reply.text : maskPhonesIn(reply.text),
          likelyOptOut: reply.likelyOptOut,
          ...(reply.inReplyTo ? { inReplyTo: `${reply.inReplyTo.journey}.${reply.inReplyTo.step}` } : {}),
        }),
      ),
    ...(facts.optOuts ?? [])
      .filter((optOut) => facts.phones.has(optOut.phone))
      .map(
        (optOut): TimelineEntry => ({
          at: optOut.at,
          kind: "opt-out",
          from: mask(optOut.phone) ?? "",
          source: optOut.source,
          ...(optOut.reply === undefined
            ? {}
            : { reply: options.showPhone ? optOut.reply : maskPhonesIn(optOut.reply) }),
        }),
      ),
    ...(facts.consents ?? []).map(
      (record): TimelineEntry => ({
        at: record.at,
        kind: "consent",
        state: record.state,
        source: record.source,
        of: record.customerId ?? mask(record.phone) ?? "",
      }),
    ),
    ...(facts.clicks ?? []).filter(ofSubject).map(
      (link): TimelineEntry => ({
        at: link.firstClickAt,
        kind: "click",
        journey: link.journey,
        step: link.step,
        ...(link.orderId ? { orderId: link.orderId } : {}),
        ...(link.variant ? { variant: link.variant } : {}),
        clicks: link.clicks,
        lastClickAt: link.lastClickAt,
        target: link.target,
      }),
    ),
    ...facts.executions.map(
      ({ at, journey, name, action }): TimelineEntry => ({ at, kind: "execution", journey, name, action }),
    ),
    ...facts.pending,
  ];
  return entries.sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
}

/** A timeline entry as one line of text, times in the shop's zone. */
export function timelineLine(entry: TimelineEntry, timeZone: string): string {
  const at = formatInZone(new Date(entry.at), timeZone).slice(0, 19).replace("T", " ");
  switch (entry.kind) {
    case "event":
      return `${at}  event     ${entry.type}${entry.orderId ? ` ${entry.orderId}` : ""} (${entry.source}, ${entry.webhookId})`;
    case "decision": {
      const parts = [
        `${entry.journey}.${entry.step}`,
        entry.orderId ? `order ${entry.orderId}` : undefined,
        entry.reason ? `${entry.outcome} ${entry.reason}` : entry.outcome,
        entry.template,
        entry.to ? `to ${entry.to}` : undefined,
        entry.text ? `"${entry.text}"` : undefined,
        entry.segments ? `${entry.segments} segment(s)` : undefined,
        entry.delivery ? `delivery ${entry.delivery}` : undefined,
        entry.configVersion ? `config ${entry.configVersion}` : undefined,
      ];
      return `${at}  decision  ${parts.filter(Boolean).join(" · ")}`;
    }
    case "reply":
      return `${at}  reply     from ${entry.from}: "${entry.text}"${entry.inReplyTo ? ` (to ${entry.inReplyTo})` : ""}${entry.likelyOptOut ? " — likely opt-out, for a person to confirm" : ""}`;
    case "opt-out":
      return `${at}  opt-out   ${entry.from} out of marketing ${entry.reply === undefined ? `by ${entry.source}` : `by reply "${entry.reply}" (${entry.source})`}`;
    case "consent":
      return `${at}  consent   ${entry.of} ${entry.state} (${entry.source})`;
    case "click": {
      const last = formatInZone(new Date(entry.lastClickAt), timeZone).slice(0, 19).replace("T", " ");
      return `${at}  click     ${entry.journey}.${entry.step}${entry.orderId ? ` order ${entry.orderId}` : ""} link followed ${entry.clicks} time(s), last ${last} → ${entry.target}`;
    }
    case "execution":
      return `${at}  ${entry.action.padEnd(8)}  ${entry.journey} execution ${entry.name}`;
    case "pending":
      return `${at}  pending   ${entry.journey}.${entry.step}${entry.orderId ? ` order ${entry.orderId}` : ""} due then (${entry.rule})`;
    default: {
      const unknown: never = entry;
      throw new Error(`unknown timeline entry ${JSON.stringify(unknown)}`);
    }
  }
}

/** The executions a customer's facts imply for a journey's triggers (whether still running or not). */
function impliedStates(
  config: ShopConfig,
  journey: AnyJourneyModule,
  customerId: string,
  orders: readonly OrderRecord[],
): ExecutionState[] {
  const states: ExecutionState[] = [];
  const base = { journey: journey.id, customerId };
  const paid = paidOrders(orders);
  for (const trigger of journey.triggers as readonly Trigger[]) {
    switch (trigger.kind) {
      case "order-created":
        for (const order of orders)
          if (order.createdAt) states.push({ ...base, orderId: order.orderId, enteredAt: order.createdAt });
        break;
      case "order-event": {
        if (trigger.when && !trigger.when(settingsOf(config, journey))) break;
        const fact = timeFieldOf(trigger.event);
        for (const order of orders) {
          const at = order[fact];
          if (at) states.push({ ...base, orderId: order.orderId, enteredAt: at, stage: trigger.stage });
        }
        break;
      }
      case "first-paid-order": {
        const first = paid[0];
        if (first?.paidAt) states.push({ ...base, orderId: first.orderId, enteredAt: first.paidAt });
        break;
      }
      case "paid-order-cycle": {
        const latest = paid.at(-1);
        if (latest?.paidAt) states.push({ ...base, orderId: latest.orderId, enteredAt: latest.paidAt });
        break;
      }
      case "each-refund":
      case "customer-birthday":
      case "checkout":
        // A refund's notice is decided within the notice window; a birthday's is found by its successor; a
        // checkout's execution is named by its token, which an order's facts do not keep.
        break;
      default: {
        const unknown: never = trigger;
        throw new Error(`unknown trigger ${JSON.stringify(unknown)}`);
      }
    }
  }
  return states;
}

/**
 * Why a step is due when it is: the recipient's quiet hours (their zone, their region's rules), the window,
 * the slot, the deadline, or its own delay.
 */
function ruleOf(config: ShopConfig, messageClass: MessageClass, sendAt: Date, place: RecipientPlace): string {
  const quiet = quietHoursRule(sendAt, messageClass, config, place);
  if (quiet) return quiet;
  const local = formatInZone(sendAt, config.timeZone).slice(11, 16);
  if (messageClass === "marketing" && config.marketingSlots.includes(local)) return "next marketing slot";
  if (messageClass === "notice" && local === config.windows.notice.start) return "notice window";
  return "delay";
}

/**
 * The steps a customer's executions will decide next: each enabled journey's plan on the facts as they
 * are now, for the executions the facts imply, where the step is not decided yet.
 */
export async function pendingSteps(
  deps: {
    readonly store: ExplainRepositories;
    readonly config: ShopConfig;
    readonly now: Date;
    /** @default none: the recipient's zone is their own or their address's, else the shop's */
    readonly phones?: PhonePlaces;
  },
  customerId: string,
  orders: readonly OrderRecord[],
): Promise<Extract<TimelineEntry, { kind: "pending" }>[]> {
  const clock = { now: () => deps.now, sleepUntil: async () => {} };
  const pending: Extract<TimelineEntry, { kind: "pending" }>[] = [];
  const enabled = (JOURNEY_MODULES as readonly AnyJourneyModule[]).filter(
    (module) => settingsOf(deps.config, module).enabled,
  );
  for (const journey of enabled) {
    for (const state of impliedStates(deps.config, journey, customerId, orders)) {
      const context = await loadJourneyContext(
        { store: deps.store, clock, config: deps.config, phones: deps.phones },
        journey,
        state,
      );
      const next = journey.plan(context);
      if (next.kind !== "wait" || context.ledger.has(next.step)) continue;
      const deadline = journey.deadline?.(context, next.step);
      const sendAt = new Date(next.sendAt);
      const { messageClass } = await templateOf(journey, context, next.step);
      // A marketing step the caps would not let through then is held slot to slot (`caps.maxHold`).
      const capped =
        messageClass === "marketing" &&
        !(await deps.store.marketingSendFits({
          customerId,
          phone: context.recipient,
          key: `${journey.id}#${journey.subjectId(state)}#${next.step}`,
          at: sendAt,
          perDay: deps.config.caps.marketingPerDay,
          perWeek: deps.config.caps.marketingPerWeek,
        }));
      pending.push({
        at: next.sendAt,
        kind: "pending",
        journey: journey.id,
        step: next.step,
        ...(state.orderId ? { orderId: state.orderId } : {}),
        rule:
          deadline && sendAt.getTime() >= deadline.at.getTime()
            ? `deadline (${deadline.reason})`
            : capped
              ? `frequency cap (${deps.config.caps.marketingPerDay} a day, ${deps.config.caps.marketingPerWeek} a week: held to the next free slot)`
              : ruleOf(deps.config, messageClass, sendAt, context.place),
      });
    }
  }
  return pending;
}

/** The customer, orders and numbers a subject names, from the store. */
export async function resolveSubject(
  store: ExplainRepositories,
  subject: ExplainSubject,
  decisions: readonly DecisionRecord[],
): Promise<{ customerIds: Set<string>; orders: OrderRecord[]; phones: Set<string> }> {
  const customerIds = new Set<string>();
  const phones = new Set<string>();
  if ("customer" in subject) customerIds.add(subject.customer);
  if ("order" in subject) {
    const order = await store.getOrder(subject.order);
    if (order?.customerId) customerIds.add(order.customerId);
    if (!order) return { customerIds, orders: [], phones };
    // An order's timeline is that order's: its customer's other orders are not listed.
    const customer = order.customerId ? await store.getCustomer(order.customerId) : undefined;
    if (customer?.phone) phones.add(customer.phone);
    return { customerIds, orders: [order], phones };
  }
  if ("phone" in subject) {
    phones.add(subject.phone);
    for (const decision of decisions)
      if (decision.to === subject.phone && decision.customerId) customerIds.add(decision.customerId);
  }
  const orders: OrderRecord[] = [];
  for (const customerId of customerIds) {
    orders.push(...(await store.listCustomerOrders(customerId)));
    const customer = await store.getCustomer(customerId);
    if (customer?.phone) phones.add(customer.phone);
  }
  return { customerIds, orders, phones };
}

/** A subject's whole timeline from a store, with the events the caller has (a file, the archive). */
export async function explainFromStore(
  deps: {
    readonly store: ExplainRepositories;
    readonly config: ShopConfig;
    readonly now: Date;
    readonly phones?: PhonePlaces;
  },
  subject: ExplainSubject,
  events: readonly ReceivedEvent[],
  options: { readonly showPhone: boolean },
): Promise<TimelineEntry[]> {
  const decisions = await deps.store.listDecisions();
  const { customerIds, orders, phones } = await resolveSubject(deps.store, subject, decisions);
  const orderIds = new Set(orders.map((order) => order.orderId));
  if ("order" in subject) orderIds.add(subject.order);
  const pending: Extract<TimelineEntry, { kind: "pending" }>[] = [];
  for (const customerId of customerIds) pending.push(...(await pendingSteps(deps, customerId, orders)));
  const decisionsOf = "order" in subject ? decisions.filter((d) => d.orderId === subject.order) : decisions;
  const executions: ExecutionEntry[] = [];
  for (const customerId of customerIds) executions.push(...(await deps.store.listExecutions(customerId)));
  const executionsOf =
    "order" in subject ? executions.filter((entry) => entry.orderId === subject.order) : executions;
  return buildTimeline(
    {
      customerIds: "order" in subject ? new Set() : customerIds,
      orderIds,
      phones: "order" in subject ? new Set() : phones,
      events,
      decisions: decisionsOf,
      replies: "order" in subject ? [] : await deps.store.listReplies(),
      optOuts:
        "order" in subject
          ? []
          : (await Promise.all([...phones].map((phone) => deps.store.listPhoneOptOuts(phone)))).flat(),
      consents: "order" in subject ? [] : await consentsOf(deps.store, customerIds, phones),
      clicks: await deps.store.listClickedLinks(),
      executions: executionsOf,
      pending: "order" in subject ? pending.filter((p) => p.orderId === subject.order) : pending,
    },
    options,
  );
}

/** The consent histories of the subject's customers and numbers, each record with whose it is. */
async function consentsOf(
  store: Pick<ExplainRepositories, "listConsents">,
  customerIds: ReadonlySet<string>,
  phones: ReadonlySet<string>,
) {
  const ofCustomers = [...customerIds].map(async (customerId) =>
    (await store.listConsents({ customerId })).map((record) => ({ ...record, customerId })),
  );
  const ofNumbers = [...phones].map(async (phone) =>
    (await store.listConsents({ phone })).map((record) => ({ ...record, phone })),
  );
  return (await Promise.all([...ofCustomers, ...ofNumbers])).flat();
}
