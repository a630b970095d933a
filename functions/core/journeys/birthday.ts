import * as z from "zod";
import { coupon, templateSettings } from "../config/settings.js";
import { earliestSendTime } from "../engine/policy.js";
import { DAY_MS, HOUR_MS, localDateOf, startOfLocalDate } from "../shared/time.js";
import { defineJourney, type JourneyContext, type Successor } from "./module.js";
import { couponContent, paidOrders, sendUnless, unreachable, VARIABLES } from "./vocabulary.js";

const STEP = "greeting";

const TEMPLATES = {
  [STEP]: {
    messageClass: "marketing",
    variables: VARIABLES.coupon,
    setting: ["templates", "greeting"],
    text: "【{shop}】{name}，生日快乐！送您{couponAmount}元生日券{coupon}，愿新的一岁事事顺心。拒收请回复R",
  },
} as const;

const settings = z
  .strictObject({
    enabled: z.boolean().default(true),
    /** Greet this many days before the birthday (0: on the day). */
    daysBefore: z.number().int().min(0).max(30).default(0),
    couponAmount: z.number().positive().default(10),
    coupon,
    templates: templateSettings(TEMPLATES),
  })
  .prefault({});

type Context = JourneyContext<z.infer<typeof settings>>;

/**
 * A Standard execution may run for one year ("Step Functions service quotas": maximum execution time).
 * An execution that would wait longer hands over to a fresh one at this age, well inside the limit.
 */
export const BIRTHDAY_RELAY_AFTER_MS = 300 * DAY_MS;

const isLeap = (year: number) => (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;

/** The day of `year` a `"MM-DD"` birthday is celebrated (29 February on 28 February in other years). */
export function celebrationDate(birthday: string, year: number, daysBefore = 0): string {
  const monthDay = birthday === "02-29" && !isLeap(year) ? "02-28" : birthday;
  const day = new Date(Date.parse(`${year}-${monthDay}T00:00:00Z`) - daysBefore * DAY_MS);
  return day.toISOString().slice(0, 10);
}

/** The greeting's time on its date: the first marketing slot that day, or none if the day has none left. */
function greetingTimeOn(context: Context, date: string, notBefore: Date): Date | undefined {
  const { config, place } = context;
  // The birthday is the recipient's own day: its start and its greeting in their zone.
  const zone = place.zones[0] ?? config.timeZone;
  const dayStart = startOfLocalDate(date, zone);
  const due = earliestSendTime(dayStart < notBefore ? notBefore : dayStart, "marketing", config, place);
  return localDateOf(due, zone) === date ? due : undefined;
}

/** The next celebration of the customer's birthday whose greeting time is at or after `from`. */
export function nextCelebration(context: Context, birthday: string, from: Date): string {
  const year = Number(localDateOf(from, context.config.timeZone).slice(0, 4));
  for (let candidate = year - 1; candidate <= year + 2; candidate += 1) {
    const date = celebrationDate(birthday, candidate, context.settings.daysBefore);
    if (greetingTimeOn(context, date, from)) return date;
  }
  throw new Error(`birthday: no celebration of ${birthday} found after ${from.toISOString()}`);
}

/** Whether `date` is still a celebration of the customer's birthday as the store has it now. */
function isCurrent(context: Context, date: string): boolean {
  const birthdayNow = context.customer?.birthday;
  // An execution with no date yet (dispatch asks what to start) has no celebration.
  if (!/^\d{4}-\d\d-\d\d$/.test(date)) return false;
  const year = Number(date.slice(0, 4));
  // `daysBefore` can move a January birthday's celebration into the year before.
  return (
    birthdayNow !== undefined &&
    [year, year + 1].some(
      (candidate) => celebrationDate(birthdayNow, candidate, context.settings.daysBefore) === date,
    )
  );
}

/** The execution of the celebration on `date`, started now. */
function celebration(context: Context, date: string, relay = false): Successor {
  const customerId = context.customerId ?? "-";
  return {
    state: { journey: "birthday", customerId, enteredAt: context.now.toISOString(), stage: date },
    subject: `${customerId}:${date}${relay ? ":relay" : ""}`,
  };
}

/**
 * 生日关怀 — a birthday greeting with an optional coupon, at the first marketing slot on the day
 * (`daysBefore` earlier), once a year, for customers with a paid order. One execution per customer waits
 * for the next celebration (its date is the execution's stage); when it is decided the execution starts
 * the next year's, and one that would outlive Step Functions' one-year limit hands over to a fresh one at
 * 300 days. A changed birthday starts the new date's execution and stops the old one.
 */
export const birthday = defineJourney({
  id: "birthday",
  configKey: "birthday",
  settings,
  templates: TEMPLATES,
  triggers: [{ kind: "customer-birthday" }],
  attribution: "other-orders",
  // Once a year: a birthday moved within the year is not greeted twice.
  steps: [STEP],
  subjectId: (state) => `${state.customerId ?? "-"}:${(state.stage ?? "").slice(0, 4)}`,

  plan(context) {
    const date = context.state.stage ?? "";
    if (context.ledger.has(STEP) || !isCurrent(context, date)) return { kind: "done" };
    const due = greetingTimeOn(context, date, new Date(context.state.enteredAt)) ?? context.now;
    const relayAt = Date.parse(context.state.enteredAt) + BIRTHDAY_RELAY_AFTER_MS;
    const sendAt = new Date(Math.max(Math.min(due.getTime(), relayAt), context.now.getTime()));
    return { kind: "wait", step: STEP, sendAt: sendAt.toISOString() };
  },

  successor(context) {
    const date = context.state.stage ?? "";
    const birthdayNow = context.customer?.birthday;
    if (!birthdayNow) return undefined;
    if (context.ledger.has(STEP)) {
      // Decided: next year's, counted from the day after this one.
      const dayAfter = new Date(startOfLocalDate(date, context.config.timeZone).getTime() + DAY_MS + HOUR_MS);
      return celebration(context, nextCelebration(context, birthdayNow, dayAfter));
    }
    // The birthday changed: the new date's celebration (a year already greeted hands on to the next).
    if (!isCurrent(context, date))
      return celebration(context, nextCelebration(context, birthdayNow, context.now));
    // Woken at the relay age, before the greeting is due: a fresh execution waits the rest.
    const due = greetingTimeOn(context, date, new Date(context.state.enteredAt));
    if (due && context.now < due) return celebration(context, date, true);
    return undefined;
  },

  check: (context, step) =>
    sendUnless(context, step, [
      async (context) =>
        paidOrders(await context.customerOrders()).length > 0 ? undefined : "no-paid-order",
      unreachable,
    ]),

  template: () => STEP,

  content: couponContent,
});
