import type { Handoff } from "../config/messaging.js";
import { idsNamedBy, type ShopEvent } from "../intake/events.js";
import { type ConsentWriteBack, isPlatformCustomerId } from "./consent-writeback.js";

/**
 * A customer's right to a copy of their data and to its erasure (PIPL arts. 45 and 47, GDPR arts. 15 and
 * 17; Shopify's `customers/data_request` and `customers/redact`): `export` hands over what shopcare holds,
 * `forget` erases it and keeps only what no one can trace back (docs/data-rights.md).
 */

/** What shopcare holds about one customer, item by item as the store keeps them. */
export interface HeldData {
  readonly customerId: string;
  /** Their numbers: the profile's and any the request named. */
  readonly phones: readonly string[];
  readonly orderIds: readonly string[];
  /** Each item found, with what it is (`profile`, `order`, `decision`, `webhook`, `reply`, …). */
  readonly items: readonly HeldItem[];
}

/** One item held about a customer, as the store keeps it (its keys included). */
export interface HeldItem {
  readonly kind: string;
  readonly item: Readonly<Record<string, unknown>>;
}

/** Attributes that only place an item in the store (its keys and expiry): left out of an export. */
const STORE_KEYS = new Set(["pk", "sk", "gsi1pk", "gsi1sk", "gsi2pk", "gsi2sk", "gsi3pk", "gsi3sk", "ttl"]);

/** One customer's data as a data-access request hands it over: their items by kind, without store keys. */
export function exportView(held: HeldData): Record<string, unknown> {
  const byKind: Record<string, Record<string, unknown>[]> = {};
  for (const { kind, item } of held.items) {
    const attributes = Object.fromEntries(Object.entries(item).filter(([name]) => !STORE_KEYS.has(name)));
    byKind[kind] = [...(byKind[kind] ?? []), attributes];
  }
  return { customerId: held.customerId, phones: held.phones, ...byKind };
}

/** What a forget did: items by kind (each erased, or kept without its person under a random id). */
export interface ForgetCounts {
  readonly items: Readonly<Record<string, number>>;
  readonly tombstones: number;
  /** The random id the kept counts and amounts are filed under. */
  readonly anonymousId: string;
}

export type TombstoneKind = "customer" | "order" | "phone";

/** Where a customer's personal data is read and erased (`adapters/dynamodb/personal-data.ts`). */
export interface PersonalData {
  /** The customers whose profiles carry this number. */
  customersOfPhone(phone: string): Promise<string[]>;
  /** Everything held about a customer and their numbers, without a Scan. */
  collect(customerId: string, phones: readonly string[]): Promise<HeldData>;
  /** Erases what `collect` found, keeps the counts and amounts under random ids, and leaves tombstones. */
  erase(data: HeldData, at: string): Promise<ForgetCounts>;
  /**
   * Up to `limit` numbers items are still filed under (`WHO#PHONE#…`): what is left of a shop's people once
   * its directory is empty (a `shop/redact`). The one read that scans (an index of keys only).
   */
  numbersFiled(limit: number): Promise<string[]>;
  /** When a customer, order or number was forgotten, if it was. */
  forgottenAt(kind: TombstoneKind, id: string): Promise<string | undefined>;
  /** Empties a kept webhook's body: a late delivery about someone forgotten keeps nothing of them. */
  eraseWebhook(id: string): Promise<void>;
  /** Drops the message text of every decision made before `before` (their counts stay). @returns how many */
  expireMessageTexts(before: Date): Promise<number>;
}

/** Whom a data request names. */
export type DataSubject = { readonly customerId: string } | { readonly phone: string };

/** The customers a request names: the one given, or every customer the number belongs to. */
async function customersOf(personal: PersonalData, subject: DataSubject): Promise<string[]> {
  return "customerId" in subject ? [subject.customerId] : personal.customersOfPhone(subject.phone);
}

/** Everything shopcare holds about the subject, for a data-access request. */
export async function exportCustomer(personal: PersonalData, subject: DataSubject): Promise<HeldData[]> {
  const phones = "phone" in subject ? [subject.phone] : [];
  const customers = await customersOf(personal, subject);
  // A number no profile carries may still have replies, opt-outs or messages of its own.
  if (customers.length === 0 && "phone" in subject) return [await personal.collect("-", phones)];
  return Promise.all(customers.map((customerId) => personal.collect(customerId, phones)));
}

/** One customer forgotten: what was found, and what became of it. */
export interface Forgotten {
  readonly customerId: string;
  readonly counts: ForgetCounts;
  /** Their executions not known to have ended, each stopped (none without `stopExecution`). */
  readonly stopped: number;
}

/**
 * Forgets the subject: stops their executions not known to have ended, then erases
 * their data and leaves tombstones, so no replay or late webhook dated before `at` brings it back.
 */
export async function forgetCustomer(
  deps: {
    readonly personal: PersonalData;
    /** Stops one execution (stopping a finished one is no error). @default none (the CLI on a table) */
    readonly stopExecution?: (journey: string, name: string) => Promise<void>;
    /**
     * Withdraws their SMS consent on the shop platform first: if it cannot, nothing is erased and the error
     * says why (run it again). @default none
     */
    readonly consentWriteBack?: ConsentWriteBack;
  },
  subject: DataSubject,
  at: string,
): Promise<Forgotten[]> {
  const held = await exportCustomer(deps.personal, subject);
  const forgotten: Forgotten[] = [];
  for (const data of held) {
    const executions = data.items.filter(({ kind }) => kind === "execution").map(({ item }) => item);
    const started = executions.filter((item) => item.action === "started");
    const ended = new Set(executions.filter((item) => item.action === "stopped").map((item) => item.name));
    let stopped = 0;
    for (const execution of started.filter((item) => !ended.has(item.name))) {
      if (!deps.stopExecution) break;
      await deps.stopExecution(String(execution.journey), String(execution.name));
      stopped += 1;
    }
    // Before the erasure: afterwards nothing here would say who to tell.
    if (deps.consentWriteBack && isPlatformCustomerId(data.customerId))
      await deps.consentWriteBack.unsubscribe(data.customerId, at);
    forgotten.push({ customerId: data.customerId, counts: await deps.personal.erase(data, at), stopped });
  }
  return forgotten;
}

/**
 * What an event is first about: its order, else its customer, else its number. One tombstone read an event:
 * a forgotten customer's orders are tombstoned with them, so an old `order.created` is caught by its order.
 */
function subjectOf(event: ShopEvent): [TombstoneKind, string] | undefined {
  const { orderId, customerId, phone } = idsNamedBy(event);
  if (orderId) return ["order", orderId];
  if (customerId) return ["customer", customerId];
  return phone ? ["phone", phone] : undefined;
}

/**
 * Whether the event is about someone forgotten after it happened: a replay of the archive or a late
 * delivery must not bring them back. A new order after the forget is a new customer record.
 */
export async function isForgotten(
  personal: Pick<PersonalData, "forgottenAt">,
  event: ShopEvent,
): Promise<boolean> {
  const subject = subjectOf(event);
  const at = subject && (await personal.forgottenAt(...subject));
  return at !== undefined && Date.parse(event.at) <= Date.parse(at);
}

/**
 * What the operators are told of a data-access request a platform relays (`customer.data_request`): whose,
 * and the command that hands their data over.
 */
export function dataRequestHandoff(customerId: string, requestId?: string): Handoff {
  return {
    journey: "data-rights",
    step: "data-request",
    customerId,
    reason: "data-request",
    summary: `data request${requestId ? ` ${requestId}` : ""}: customer ${customerId} asked for a copy of their data — \`npx shopcare export --customer ${customerId} --table <TableName>\` prints it (docs/data-rights.md)`,
    details: { ...(requestId ? { requestId } : {}), command: `npx shopcare export --customer ${customerId}` },
  };
}
