import type { ShopEvent } from "../../functions/core/intake/events.js";
import type { DecisionRecord } from "../../functions/core/shared/model.js";
import type { LocalShop } from "../../functions/local/emulator/runtime.js";
import type { FaultyProvider, FaultyTable } from "./fault-parts.js";

/** The invariants of a fault-injection run, read from the table without faults once the month is over. */

/** What the invariants found: every count must be 0 (but `linked`), with a line per finding. */
export interface FaultFindings {
  /** Accepted events whose facts never reached the store, plus dead letters. */
  readonly lost: number;
  /** Ledger keys with two provider calls that could both have delivered. */
  readonly duplicated: number;
  /** Marketing provider calls made after the number's or customer's opt-out was recorded. */
  readonly sentAfterOptOut: number;
  /** Ambiguous sends whose receipt arrived and whose decision still says `delivery: unknown`. */
  readonly unsettled: number;
  /** Ledger entries still claimed (pending) at the end, and executions that failed. */
  readonly undecided: number;
  /** Sent messages that carried a tracked link, and those whose code did not redirect. */
  readonly linked: number;
  readonly deadLinks: number;
  readonly details: readonly string[];
}

/** Everything the invariants read: the shop, the faulty parts, failed executions and accepted events. */
export interface FaultEvidence {
  readonly shop: LocalShop;
  readonly table: FaultyTable;
  readonly provider: FaultyProvider;
  readonly failures: readonly string[];
  readonly accepted: readonly ShopEvent[];
  readonly decisions: readonly DecisionRecord[];
}

/** Accepted events whose facts never reached the store, plus dead letters. */
async function lostEvents({ shop, accepted }: FaultEvidence, details: string[]): Promise<number> {
  const deadLetters = await shop.store.listDeadLetters();
  let lost = deadLetters.length;
  for (const letter of deadLetters) details.push(`dead letter: ${letter.error}`);
  for (const event of accepted) {
    if (event.type === "order.created" && !(await shop.store.getOrder(event.order.id))) {
      lost += 1;
      details.push(`lost: order.created ${event.order.id}`);
    }
    if (event.type === "order.paid" && !(await shop.store.getOrder(event.orderId))?.paidAt) {
      lost += 1;
      details.push(`lost: order.paid ${event.orderId}`);
    }
  }
  return lost;
}

/** Ledger keys with two provider calls that could both have delivered. */
function duplicatedSends({ provider }: FaultEvidence, details: string[]): number {
  const delivering = new Map<string, number>();
  for (const call of provider.calls)
    if (call.couldDeliver) delivering.set(call.reference, (delivering.get(call.reference) ?? 0) + 1);
  for (const [reference, count] of delivering)
    if (count > 1) details.push(`duplicated: ${reference} × ${count}`);
  return [...delivering.values()].filter((count) => count > 1).length;
}

/** Marketing provider calls made after the number's or customer's opt-out was recorded. */
async function sentAfterOptOut({ shop, table, provider }: FaultEvidence, details: string[]): Promise<number> {
  // Opt-outs by number, with the sequence number at which each was recorded.
  const optedOutAt = new Map<string, number>();
  for (const optOut of table.optOuts) {
    let phone: string | undefined;
    if (optOut.key.startsWith("OPTOUT#")) phone = optOut.key.slice("OPTOUT#".length);
    else phone = (await shop.store.getCustomer(optOut.key.slice("CUSTOMER#".length)))?.phone;
    if (phone && !optedOutAt.has(phone)) optedOutAt.set(phone, optOut.seq);
  }
  const afterOptOut = provider.calls.filter(
    (call) => call.marketing && (optedOutAt.get(call.to) ?? Number.POSITIVE_INFINITY) < call.seq,
  );
  for (const call of afterOptOut) details.push(`sent after opt-out: ${call.reference}`);
  return afterOptOut.length;
}

/** A receipt that arrived must have settled its send: the reference is the ledger key, journey:subject:step. */
async function unsettledSends({ shop, provider }: FaultEvidence, details: string[]): Promise<number> {
  let unsettled = 0;
  for (const reference of provider.receiptsArrived) {
    const parts = reference.split(":");
    const [journey, step] = [parts[0] as string, parts.at(-1) as string];
    const subject = parts.slice(1, -1).join(":");
    const entry = (await shop.store.listLedger(journey as never, subject)).get(step);
    if (entry?.status === "final" && entry.outcome === "sent" && entry.delivery === "unknown") {
      unsettled += 1;
      details.push(`unsettled: ${reference}`);
    }
  }
  return unsettled;
}

/** Every message that went out with a link carries a code that redirects to its target. */
async function deadLinks({ shop, decisions }: FaultEvidence, details: string[]) {
  const linked = decisions.filter((decision) => decision.outcome === "sent" && decision.link !== undefined);
  let dead = 0;
  for (const decision of linked) {
    const link = await shop.store.getLink(decision.link as string, new Date(decision.at));
    if (!link || !decision.text?.includes(`/l/${decision.link}`)) {
      dead += 1;
      details.push(`dead link: ${decision.journey}.${decision.step} ${decision.link}`);
    }
  }
  return { linked: linked.length, deadLinks: dead };
}

/** Claims still held in the table (read back: the tracking only narrows the search), and failed executions. */
async function undecidedSteps({ shop, table, failures }: FaultEvidence, details: string[]): Promise<number> {
  const held: string[] = [];
  for (const claim of table.pendingClaims) {
    const [pk, sk] = claim.split("|") as [string, string];
    const [, journey, ...subject] = pk.split("#");
    const entry = (await shop.store.listLedger(journey as never, subject.join("#"))).get(
      sk.slice("STEP#".length),
    );
    if (entry?.status === "pending") held.push(`${claim} ${JSON.stringify(entry)}`);
  }
  for (const claim of held) details.push(`still claimed: ${claim}`);
  for (const failure of failures) details.push(`execution failed: ${failure}`);
  return failures.length + held.length;
}

/** Reads every invariant, in the order their findings are listed. */
export async function readInvariants(evidence: FaultEvidence): Promise<FaultFindings> {
  const details: string[] = [];
  const lost = await lostEvents(evidence, details);
  const duplicated = duplicatedSends(evidence, details);
  const afterOptOut = await sentAfterOptOut(evidence, details);
  const unsettled = await unsettledSends(evidence, details);
  const links = await deadLinks(evidence, details);
  const undecided = await undecidedSteps(evidence, details);
  return { lost, duplicated, sentAfterOptOut: afterOptOut, unsettled, undecided, ...links, details };
}
