import type { DecisionRecord } from "../../core/shared/model.js";

/** How two runs' decisions differ, decision by decision (what `whatif` compares). */

/** How one decision differs between the base run and the candidate run. */
export interface DecisionChange {
  /**
   * `added` / `removed`: only one run decided it; `moved`: the same journey, step and subject a second or
   * more earlier or later; `changed`: the same time with another outcome, reason, template or text.
   */
  readonly change: "added" | "removed" | "moved" | "changed";
  readonly journey: string;
  readonly step: string;
  readonly orderId?: string;
  readonly customerId?: string;
  readonly before: DecisionRecord | null;
  readonly after: DecisionRecord | null;
}

/** What a decision is about: its journey, step and subject (the order, else the customer). */
const subjectKey = (decision: DecisionRecord) =>
  JSON.stringify([decision.journey, decision.step, decision.orderId ?? "", decision.customerId ?? ""]);

/**
 * Sends due at the same moment take sub-second slots of the shop-wide send rate in whichever order their
 * executions reach it — pacing, which no journey decides (the parity test compares decisions to the second
 * for the same reason). A candidate that adds one send reshuffles its neighbours' slots by milliseconds;
 * counted as moves, they were 1,402 of a 4,000-order month's 2,346 changes (mostly review-care requests
 * due at one slot), and a sampled what-if, whose customers share a smaller rate, could not estimate them. A decision counts as moved when its time changes by a second or more.
 */
const PACING_MS = 1000;

const SAME_FIELDS = ["outcome", "reason", "template", "text"] as const;

/**
 * Pairs the two runs' decisions by journey, step and subject (the n-th of each, oldest first: a refund
 * notice is one step decided once per refund) and says how each pair differs.
 */
export function diffDecisions(
  before: readonly DecisionRecord[],
  after: readonly DecisionRecord[],
): DecisionChange[] {
  const group = (decisions: readonly DecisionRecord[]) => {
    const groups = new Map<string, DecisionRecord[]>();
    for (const decision of decisions) {
      const key = subjectKey(decision);
      const list = groups.get(key) ?? [];
      list.push(decision);
      groups.set(key, list);
    }
    for (const list of groups.values()) list.sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
    return groups;
  };
  const was = group(before);
  const now = group(after);
  const changes: DecisionChange[] = [];
  for (const key of new Set([...was.keys(), ...now.keys()])) {
    const olds = was.get(key) ?? [];
    const news = now.get(key) ?? [];
    for (let index = 0; index < Math.max(olds.length, news.length); index += 1) {
      const old = olds[index] ?? null;
      const next = news[index] ?? null;
      const change = !old
        ? "added"
        : !next
          ? "removed"
          : Math.abs(Date.parse(old.at) - Date.parse(next.at)) >= PACING_MS
            ? "moved"
            : SAME_FIELDS.some((field) => old[field] !== next[field])
              ? "changed"
              : undefined;
      if (!change) continue;
      const { journey, step, orderId, customerId } = (old ?? next) as DecisionRecord;
      changes.push({
        change,
        journey,
        step,
        ...(orderId ? { orderId } : {}),
        ...(customerId ? { customerId } : {}),
        before: old,
        after: next,
      });
    }
  }
  // Oldest first, by the earlier of the two times.
  const at = (change: DecisionChange) =>
    Math.min(...[change.before, change.after].filter((d) => d !== null).map((d) => Date.parse(d.at)));
  return changes.sort((a, b) => at(a) - at(b));
}
