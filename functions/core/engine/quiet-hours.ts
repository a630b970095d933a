import { type SendingRule, sendingRulesOf, US_STATES, WEEKDAYS } from "../config/sending-rules.js";
import type { JourneyConfig } from "../config/shop-settings.js";
import type { CustomerRecord, MessageClass } from "../shared/model.js";
import {
  DAY_MS,
  type DailyWindow,
  holdToDayWindows,
  holdToWindow,
  localWeekday,
  nextSlot,
} from "../shared/time.js";

/**
 * Quiet hours are the recipient's: windows and marketing slots are judged in their time zone, and the
 * sending rules of their region apply on top (docs/sending-rules.md).
 */

/** What a phone number tells of where its holder is (libphonenumber's data: `adapters/phones`). */
export interface PhonePlaces {
  /** The number's time zones and region (`US-CA`, or the country alone), if the data knows them. */
  placeOf(phone: string): { readonly zones: readonly string[]; readonly region?: string } | undefined;
  /** The zones a region's numbers are in (`US-FL`: New York's and Chicago's time), if known. */
  zonesOfRegion(region: string): readonly string[] | undefined;
}

/** Where a message's recipient is, as far as their quiet hours go. */
export interface RecipientPlace {
  /** The zones their local time is judged in: every one of them must allow a message. */
  readonly zones: readonly string[];
  /** What the zones were taken from, most trusted first. */
  readonly zoneSource: "customer" | "address" | "number" | "shop";
  /** Their region (`US-FL`, or `US`): whose sending rules apply. */
  readonly region?: string;
}

/** A number in more zones than this (`+1 800`: the whole continent) says nothing of its holder's time. */
const MAX_NUMBER_ZONES = 3;

/**
 * Where the recipient is: the customer's own zone, else their shipping region's, else their number's,
 * else the shop's. The customer's zone and address speak for them only when the message goes to their
 * own number (not a gift's payer).
 */
export function recipientPlace(
  config: Pick<JourneyConfig, "timeZone">,
  customer: Pick<CustomerRecord, "phone" | "timeZone" | "region"> | undefined,
  phone: string | undefined,
  phones: PhonePlaces | undefined,
): RecipientPlace {
  const own = customer && (phone === undefined || phone === customer.phone) ? customer : undefined;
  const number = phone && phones ? phones.placeOf(phone) : undefined;
  const region = own?.region ?? number?.region;
  if (own?.timeZone) return { zones: [own.timeZone], zoneSource: "customer", region };
  const regionZones = own?.region && phones ? phones.zonesOfRegion(own.region) : undefined;
  if (regionZones?.length && regionZones.length <= MAX_NUMBER_ZONES)
    return { zones: regionZones, zoneSource: "address", region };
  if (number?.zones.length && number.zones.length <= MAX_NUMBER_ZONES)
    return { zones: number.zones, zoneSource: "number", region };
  return { zones: [config.timeZone], zoneSource: "shop", region };
}

/** The shop's own place: its zone, no region (what planning without a recipient uses). */
export const shopPlace = (config: Pick<JourneyConfig, "timeZone">): RecipientPlace => ({
  zones: [config.timeZone],
  zoneSource: "shop",
});

/** Each config's rule rows by region and class, worked out once (a decision asks for them several times). */
const rowsByConfig = new WeakMap<readonly SendingRule[], Map<string, SendingRule[][]>>();

/** The rule rows of the recipient's regions for one class, grouped by region (`US`, then `US-FL`). */
function rowsFor(
  config: Pick<JourneyConfig, "sendingRules">,
  region: string | undefined,
  messageClass: MessageClass,
): SendingRule[][] {
  if (!region) return [];
  let known = rowsByConfig.get(config.sendingRules);
  if (!known) {
    known = new Map();
    rowsByConfig.set(config.sendingRules, known);
  }
  const key = `${region}|${messageClass}`;
  let groups = known.get(key);
  if (!groups) {
    groups = groupRows(config, region, messageClass);
    known.set(key, groups);
  }
  return groups;
}

function groupRows(
  config: Pick<JourneyConfig, "sendingRules">,
  region: string,
  messageClass: MessageClass,
): SendingRule[][] {
  const country = region.slice(0, 2);
  const groups = new Map<string, SendingRule[]>();
  for (const rule of sendingRulesOf(config.sendingRules)) {
    if (rule.messageClass !== messageClass || (rule.region !== country && rule.region !== region)) continue;
    groups.set(rule.region, [...(groups.get(rule.region) ?? []), rule]);
  }
  return [...groups.values()];
}

/** The window one region's rows allow on a weekday (none: closed that day). */
function groupWindow(group: readonly SendingRule[], weekday: number): DailyWindow | undefined {
  const day = WEEKDAYS[weekday];
  const row = group.find((rule) => !rule.days || rule.days.includes(day as (typeof WEEKDAYS)[number]));
  return row ? { start: row.start, end: row.end } : undefined;
}

function intersect(windows: readonly (DailyWindow | undefined)[]): DailyWindow | undefined {
  let start = "00:00";
  let end = "24:00";
  for (const window of windows) {
    if (!window) return undefined;
    if (window.start > start) start = window.start;
    if (window.end < end) end = window.end;
  }
  return start < end ? { start, end } : undefined;
}

/** The sending rules for one recipient and class, ready to judge instants with. */
interface Judge {
  /** The earliest instant at or after `instant` every zone allows (undefined: none within a week). */
  hold(instant: Date): Date | undefined;
}

/** Whether nothing but the shop's own window in its zone applies to the recipient: today's fast path. */
function isPlain(
  config: Pick<JourneyConfig, "timeZone" | "sendingRules">,
  messageClass: MessageClass,
  place: RecipientPlace,
): boolean {
  return (
    place.zones.length === 1 &&
    place.zones[0] === config.timeZone &&
    rowsFor(config, place.region, messageClass).length === 0
  );
}

function judgeFor(
  config: Pick<JourneyConfig, "windows" | "timeZone" | "sendingRules">,
  messageClass: MessageClass,
  place: RecipientPlace,
): Judge {
  const shopWindow = config.windows[messageClass];
  const groups = rowsFor(config, place.region, messageClass);
  const windowOn = (weekday: number) =>
    intersect([shopWindow, ...groups.map((group) => groupWindow(group, weekday))]);
  return {
    hold(instant) {
      let at: Date | undefined = instant;
      // Each zone in turn until none moves it: a later instant one zone needs may leave another's window.
      for (let round = 0; round < 16 && at; round += 1) {
        const from: Date = at;
        for (const zone of place.zones) at = at && holdToDayWindows(at, windowOn, zone);
        if (at && at.getTime() === from.getTime()) return at;
        if (at && at.getTime() - instant.getTime() > 8 * DAY_MS) return undefined;
      }
      return at;
    },
  };
}

/**
 * The earliest instant at or after `instant` when a message of `messageClass` may reach a recipient at
 * `place`: inside the shop's window and its region's rules in every one of their zones, and for marketing
 * at one of the shop's slots in their (first) zone — or, where the rules allow no slot within a week, at
 * the first instant they allow. @returns undefined when the rules allow no time within a week
 */
export function allowedSendTime(
  instant: Date,
  messageClass: MessageClass,
  config: Pick<JourneyConfig, "windows" | "marketingSlots" | "timeZone" | "sendingRules">,
  place: RecipientPlace,
): Date | undefined {
  if (isPlain(config, messageClass, place))
    return messageClass === "marketing"
      ? nextSlot(instant, config.marketingSlots, config.windows.marketing, config.timeZone)
      : holdToWindow(instant, config.windows.notice, config.timeZone);
  const judge = judgeFor(config, messageClass, place);
  if (messageClass === "notice") return judge.hold(instant);
  const zone = place.zones[0] as string;
  let from = instant;
  for (let round = 0; round < 32; round += 1) {
    const slot = nextSlot(from, config.marketingSlots, config.windows.marketing, zone);
    const held = judge.hold(slot);
    if (!held) break;
    if (held.getTime() === slot.getTime()) return slot;
    if (held.getTime() - instant.getTime() > 8 * DAY_MS) break;
    from = held;
  }
  return judge.hold(instant);
}

/** Whether `instant` itself is inside every window that applies to the recipient (a slot aside). */
export function insideWindows(
  instant: Date,
  messageClass: MessageClass,
  config: Pick<JourneyConfig, "windows" | "timeZone" | "sendingRules">,
  place: RecipientPlace,
): boolean {
  if (isPlain(config, messageClass, place))
    return (
      holdToWindow(instant, config.windows[messageClass], config.timeZone).getTime() === instant.getTime()
    );
  return judgeFor(config, messageClass, place).hold(instant)?.getTime() === instant.getTime();
}

const hours = (time: string) => time.replace(/^0(?=\d)/, "").replace(/:00$/, "");

/** A region's name for people: `Florida` for `US-FL`, else the code. */
function regionName(region: string): string {
  return region.startsWith("US-") ? (US_STATES[region.slice(3)] ?? region) : region;
}

/**
 * The rule that placed a message at `sendAt`, for explain: "recipient's quiet hours (America/Los_Angeles,
 * Florida 8–20)" — their zones and the regional rows stricter than the country's that applied that day —
 * or undefined when the recipient's place changed nothing (the shop's zone, no rules).
 */
export function quietHoursRule(
  sendAt: Date,
  messageClass: MessageClass,
  config: Pick<JourneyConfig, "windows" | "timeZone" | "sendingRules">,
  place: RecipientPlace,
): string | undefined {
  if (isPlain(config, messageClass, place)) return undefined;
  const zone = place.zones[0] as string;
  const weekday = localWeekday(sendAt, zone);
  const regional = rowsFor(config, place.region, messageClass)
    .filter((group) => group[0]?.region.includes("-"))
    .map((group) => {
      const window = groupWindow(group, weekday);
      const name = regionName(group[0]?.region as string);
      return window ? `${name} ${hours(window.start)}–${hours(window.end)}` : `${name} closed`;
    });
  return `recipient's quiet hours (${[place.zones.join(" & "), ...regional].join(", ")})`;
}
