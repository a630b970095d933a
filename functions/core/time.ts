import { DateTime, IANAZone } from "luxon";

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

/**
 * An IANA zone that remembers its UTC offsets. luxon asks `Intl.DateTimeFormat#formatToParts` for the
 * offset on every construction, `set` and `plus` (several times each, to settle DST), which was the
 * largest single cost of planning a step. A UTC day, or failing that an hour, whose first and last second
 * share an offset holds it throughout (zones change offset at most once a day); only the hour of a change
 * is asked every time.
 */
class OffsetCachingZone extends IANAZone {
  private readonly days = new Map<number, number>();
  private readonly hours = new Map<number, number>();

  override offset(ts: number): number {
    const day = this.spanOffset(ts, DAY_MS, this.days);
    if (!Number.isNaN(day)) return day;
    const hour = this.spanOffset(ts, HOUR_MS, this.hours);
    return Number.isNaN(hour) ? super.offset(ts) : hour;
  }

  /** The offset throughout the span of `length` holding `ts`, or NaN if it changes in it. */
  private spanOffset(ts: number, length: number, cache: Map<number, number>): number {
    const start = Math.floor(ts / length) * length;
    let cached = cache.get(start);
    if (cached === undefined) {
      const first = super.offset(start);
      cached = first === super.offset(start + length - 1000) ? first : Number.NaN;
      // A long-lived container sees a few hundred days; the bound only guards against unbounded use.
      if (cache.size >= 100_000) cache.clear();
      cache.set(start, cached);
    }
    return cached;
  }
}

const zones = new Map<string, IANAZone>();

/** The shop's zone by IANA name, with offsets cached (one instance per name). */
export function zoneNamed(timeZone: string): IANAZone {
  let zone = zones.get(timeZone);
  if (!zone) {
    zone = new OffsetCachingZone(timeZone);
    zones.set(timeZone, zone);
  }
  return zone;
}

/** A daily local-time window such as notices' 08:00–22:00; `end` is exclusive. */
export interface DailyWindow {
  readonly start: string;
  readonly end: string;
}

function localAt(day: DateTime, timeOfDay: string): DateTime {
  if (timeOfDay === "24:00") return day.plus({ days: 1 }).startOf("day");
  const [hour, minute] = timeOfDay.split(":").map(Number);
  // luxon moves a wall time that a DST gap skips forward, so "02:30" on a spring-forward day still exists.
  return day.set({ hour, minute, second: 0, millisecond: 0 });
}

function inZone(instant: Date, timeZone: string): DateTime {
  return DateTime.fromJSDate(instant, { zone: zoneNamed(timeZone) });
}

/**
 * The earliest instant at or after `instant` that lies inside the daily `window` in `timeZone`.
 * A message due outside its window is held until the window next opens, never dropped.
 */
export function holdToWindow(instant: Date, window: DailyWindow, timeZone: string): Date {
  const local = inZone(instant, timeZone);
  const opens = localAt(local, window.start);
  const closes = localAt(local, window.end);
  if (local < opens) return opens.toJSDate();
  if (local < closes) return instant;
  return localAt(local.plus({ days: 1 }), window.start).toJSDate();
}

/** The slots (local times like "10:00") that lie inside `window`, earliest first. */
export function slotsInWindow(slots: readonly string[], window: DailyWindow): string[] {
  return slots.filter((slot) => slot >= window.start && slot < window.end).sort();
}

/**
 * The earliest slot time (e.g. 10:00 or 17:00 local) at or after `instant` that is also inside `window`.
 * Marketing goes out only at the preferred slots, the seeds' best open times.
 */
export function nextSlot(
  instant: Date,
  slots: readonly string[],
  window: DailyWindow,
  timeZone: string,
): Date {
  const local = inZone(instant, timeZone);
  const inWindow = slotsInWindow(slots, window);
  if (inWindow.length === 0) throw new Error("no marketing slot lies inside the marketing window");
  for (let dayOffset = 0; dayOffset < 2; dayOffset += 1) {
    const day = local.plus({ days: dayOffset });
    for (const slot of inWindow) {
      const candidate = localAt(day, slot);
      if (candidate >= local) return candidate.toJSDate();
    }
  }
  throw new Error("unreachable: a slot exists on the next day");
}

/** `timeOfDay` local on the calendar day after the local day of `instant` (e.g. "10:00 the next day"). */
export function atLocalTimeNextDay(instant: Date, timeOfDay: string, timeZone: string): Date {
  return localAt(inZone(instant, timeZone).plus({ days: 1 }), timeOfDay).toJSDate();
}

/** Whether `instant` lies in the half-open range [`start`, `end`). */
export function within(instant: Date, start: Date, end: Date): boolean {
  return instant >= start && instant < end;
}

/** ISO 8601 with the shop's offset and milliseconds, the format of decision records' `at`. */
export function formatInZone(instant: Date, timeZone: string): string {
  return inZone(instant, timeZone).toFormat("yyyy-MM-dd'T'HH:mm:ss.SSSZZ");
}

/** A short local date-time for message text, e.g. `6月21日 11:00` style `MM-dd HH:mm`. */
export function formatShortLocal(instant: Date, timeZone: string): string {
  return inZone(instant, timeZone).toFormat("MM-dd HH:mm");
}
