import { DateTime } from "luxon";

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
  return DateTime.fromJSDate(instant, { zone: timeZone });
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
