import { readFile, writeFile } from "node:fs/promises";
import { gunzipSync, gzipSync } from "node:zlib";
import { parseShopConfig } from "../../functions/core/config/config.js";
import { TEMPLATE_SPECS } from "../../functions/core/config/templates.js";
import type { DecisionRecord } from "../../functions/core/shared/model.js";
import { simulate } from "../../functions/local/simulator/simulate.js";
import { syntheticEvents } from "../../functions/local/simulator/synthetic.js";

/**
 * The parity run of issue 21's redesign: the synthetic 10,000-order month through the simulation (one
 * thread, the in-memory table), journeys added since switched off. `tests/fixtures/parity/decisions.jsonl.gz`
 * holds the decisions of the code before the redesign (commit 457782a); the parity test compares today's
 * run with it line by line.
 *
 * One thing is left out of the comparison: the order in which sends due at the same instant reach the
 * shared send rate. Concurrent steps take their sub-second rate slots in whatever order they get to
 * DynamoDB (on AWS, whichever Lambda is quicker; locally, whichever has fewer awaits on the way), which no
 * journey decides. So the run uses the provider's top rate (1,000/s: every burst of the month fits in its
 * second) and each decision's `at` is compared to the second. Everything a journey decides — which step,
 * when it is due, sent or skipped and why, template, text, segments, delivery — is compared exactly.
 */
export const PARITY_ORDERS = 10_000;
export const PARITY_SEED = 21;
export const PARITY_FILE = new URL("../fixtures/parity/decisions.jsonl.gz", import.meta.url);

/**
 * The journeys added since the redesign (issues 21 and 22), off: the parity run is about the seven before
 * them.
 */
const ADDED_JOURNEYS_OFF = {
  refund: { enabled: false },
  completed: { enabled: false },
  logistics: { enabled: false },
  birthday: { enabled: false },
};

/**
 * The marketing templates in the wording of the code before: issue 32 changed the default opt-out line from
 * "回T退订" to "拒收请回复R" (China's carriers now require it), a change of text, not of any decision. The
 * parity run keeps the old wording, which still passes the lint, so the month's texts compare exactly.
 */
function legacyOptOutTemplates(): Record<string, Record<string, unknown>> {
  const journeys: Record<string, Record<string, unknown>> = {};
  for (const spec of Object.values(TEMPLATE_SPECS)) {
    if (spec.messageClass !== "marketing") continue;
    const [, configKey, ...setting] = spec.path as [string, string, ...string[]];
    journeys[configKey] = journeys[configKey] ?? {};
    let node = journeys[configKey];
    for (const key of setting.slice(0, -1)) {
      node[key] = node[key] ?? {};
      node = node[key] as Record<string, unknown>;
    }
    node[setting.at(-1) as string] = spec.text.replace(/拒收请回复R$/, "回T退订");
  }
  return journeys;
}

/** The raw config of the parity run; `before` is the config the code before the redesign accepts. */
function parityRawConfig(before: boolean): Record<string, unknown> {
  if (before) return { sms: { ratePerSecond: 1000 } };
  const journeys = legacyOptOutTemplates();
  for (const [key, settings] of Object.entries(ADDED_JOURNEYS_OFF))
    journeys[key] = { ...journeys[key], ...settings };
  return { sms: { ratePerSecond: 1000 }, journeys };
}

/** A decision as the parity run compares it: its `at` to the second. */
export function parityLine(decision: DecisionRecord): string {
  // `configVersion` came later (issue 23): the code before had none.
  const { configVersion: _version, ...fields } = decision;
  return JSON.stringify({ ...fields, at: decision.at.replace(/\.\d{3}(?=[+-]\d\d:\d\d$|Z$)/, "") });
}

/** Runs the parity month and returns its decisions as compared, sorted. */
export async function parityDecisions(before = false): Promise<string[]> {
  const events = syntheticEvents({ orders: PARITY_ORDERS, days: 30, seed: PARITY_SEED });
  const config = parseShopConfig(parityRawConfig(before));
  const result = await simulate({ config, events, dynamo: "memory" });
  return result.decisions.map(parityLine).sort();
}

/**
 * Issue 22's one intended change to the seven journeys: a returning customer's first payment reminder uses
 * `payment-reminder.first-returning` (003: 第一次或老客户). A pair of lines may differ only so — the same
 * decision with that template and its text and segments — and nothing else may.
 */
export function isReturningReminderChange(was: string, now: string): boolean {
  const before = JSON.parse(was) as Record<string, unknown>;
  const after = JSON.parse(now) as Record<string, unknown>;
  if (before.template !== "payment-reminder.first" || after.template !== "payment-reminder.first-returning")
    return false;
  const rest = ({ template: _t, text: _x, segments: _s, ...fields }: Record<string, unknown>) =>
    JSON.stringify(fields);
  // A skipped reminder (paid before it was due) has no text; a sent one has the returning customer's.
  const text = after.text === undefined || String(after.text).includes("感谢一直以来的支持");
  return rest(before) === rest(after) && text;
}

/** A decision's identity in the parity run: which step of which subject, and when. */
export function parityKey(line: string): string {
  const { at, journey, step, orderId, customerId } = JSON.parse(line) as Record<string, string>;
  return JSON.stringify([at, journey, step, orderId, customerId]);
}

/** The decisions the code before the redesign made, as compared. */
export async function expectedParityDecisions(): Promise<string[]> {
  return gunzipSync(await readFile(PARITY_FILE))
    .toString("utf8")
    .split("\n")
    .filter(Boolean);
}

// `npx tsx tests/support/parity.ts --write`, run in a checkout of the code before the redesign, records
// the golden decisions.
if (process.argv.includes("--write") && import.meta.url.endsWith("/parity.ts")) {
  const lines = await parityDecisions(true);
  await writeFile(PARITY_FILE, gzipSync(`${lines.join("\n")}\n`, { level: 9 }));
  console.log(`${lines.length} decisions written to ${PARITY_FILE.pathname}`);
}
