import { IANAZone } from "luxon";

export const HOUR_MS = 3_600_000;
export const DAY_MS = 24 * HOUR_MS;

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

const MINUTE_MS = 60_000;

/**
 * An instant and the UTC offset (minutes) it is read with: the pair luxon's `DateTime` carries. The
 * arithmetic below is luxon's own (`fixOffset`, `set`, `plus({ days })`), done on these two numbers:
 * building `DateTime`s for it was a tenth of a simulation's time. `tests/unit/time.test.ts` holds every
 * function here to the same computation through luxon's `DateTime`, DST gaps and folds included.
 */
interface Zoned {
  readonly ts: number;
  readonly offset: number;
}

function inZone(instant: Date, zone: IANAZone): Zoned {
  const ts = instant.getTime();
  return { ts, offset: zone.offset(ts) };
}

/** The local wall-clock reading, as milliseconds since the epoch of a UTC clock showing the same. */
function wallOf(zoned: Zoned): number {
  return zoned.ts + zoned.offset * MINUTE_MS;
}

/**
 * The instant a wall-clock reading stands for, starting from the offset `guess` (luxon's `fixOffset`): a
 * reading a DST gap skips is moved forward by the gap; one a fold repeats keeps the guessed side.
 */
function fromWall(wall: number, guess: number, zone: IANAZone): Zoned {
  let ts = wall - guess * MINUTE_MS;
  const second = zone.offset(ts);
  if (second === guess) return { ts, offset: guess };
  ts -= (second - guess) * MINUTE_MS;
  const third = zone.offset(ts);
  if (second === third) return { ts, offset: second };
  return { ts: wall - Math.min(second, third) * MINUTE_MS, offset: Math.max(second, third) };
}

function startOfWallDay(wall: number): number {
  return wall - (((wall % DAY_MS) + DAY_MS) % DAY_MS);
}

function plusDays(zoned: Zoned, days: number, zone: IANAZone): Zoned {
  return fromWall(wallOf(zoned) + days * DAY_MS, zoned.offset, zone);
}

/** `timeOfDay` ("HH:MM", or "24:00" for the end of the day) on the local day of `day`. */
function localAt(day: Zoned, timeOfDay: string, zone: IANAZone): Zoned {
  if (timeOfDay === "24:00") {
    const next = plusDays(day, 1, zone);
    return fromWall(startOfWallDay(wallOf(next)), next.offset, zone);
  }
  const [hour = 0, minute = 0] = timeOfDay.split(":").map(Number);
  return fromWall(startOfWallDay(wallOf(day)) + hour * HOUR_MS + minute * MINUTE_MS, day.offset, zone);
}

/**
 * The earliest instant at or after `instant` that lies inside the daily `window` in `timeZone`.
 * A message due outside its window is held until the window next opens, never dropped.
 */
export function holdToWindow(instant: Date, window: DailyWindow, timeZone: string): Date {
  const zone = zoneNamed(timeZone);
  const local = inZone(instant, zone);
  const opens = localAt(local, window.start, zone);
  if (local.ts < opens.ts) return new Date(opens.ts);
  if (local.ts < localAt(local, window.end, zone).ts) return instant;
  return new Date(localAt(plusDays(local, 1, zone), window.start, zone).ts);
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
  const zone = zoneNamed(timeZone);
  const local = inZone(instant, zone);
  const inWindow = slotsInWindow(slots, window);
  if (inWindow.length === 0) throw new Error("no marketing slot lies inside the marketing window");
  for (let dayOffset = 0; dayOffset < 2; dayOffset += 1) {
    const day = dayOffset === 0 ? local : plusDays(local, dayOffset, zone);
    for (const slot of inWindow) {
      const candidate = localAt(day, slot, zone);
      if (candidate.ts >= local.ts) return new Date(candidate.ts);
    }
  }
  throw new Error("unreachable: a slot exists on the next day");
}

/** `timeOfDay` local on the calendar day after the local day of `instant` (e.g. "10:00 the next day"). */
export function atLocalTimeNextDay(instant: Date, timeOfDay: string, timeZone: string): Date {
  const zone = zoneNamed(timeZone);
  return new Date(localAt(plusDays(inZone(instant, zone), 1, zone), timeOfDay, zone).ts);
}

/** Whether `instant` lies in the half-open range [`start`, `end`). */
export function within(instant: Date, start: Date, end: Date): boolean {
  return instant >= start && instant < end;
}

function pad(value: number, width = 2): string {
  return String(value).padStart(width, "0");
}

/** ISO 8601 with the shop's offset and milliseconds, the format of decision records' `at`. */
export function formatInZone(instant: Date, timeZone: string): string {
  const zoned = inZone(instant, zoneNamed(timeZone));
  const wall = new Date(wallOf(zoned));
  const sign = zoned.offset >= 0 ? "+" : "-";
  const offset = Math.abs(zoned.offset);
  return (
    `${pad(wall.getUTCFullYear(), 4)}-${pad(wall.getUTCMonth() + 1)}-${pad(wall.getUTCDate())}` +
    `T${pad(wall.getUTCHours())}:${pad(wall.getUTCMinutes())}:${pad(wall.getUTCSeconds())}` +
    `.${pad(wall.getUTCMilliseconds(), 3)}${sign}${pad(Math.trunc(offset / 60))}:${pad(offset % 60)}`
  );
}

/** A short local date-time for message text, e.g. `6月21日 11:00` style `MM-dd HH:mm`. */
export function formatShortLocal(instant: Date, timeZone: string): string {
  const wall = new Date(wallOf(inZone(instant, zoneNamed(timeZone))));
  return `${pad(wall.getUTCMonth() + 1)}-${pad(wall.getUTCDate())} ${pad(wall.getUTCHours())}:${pad(wall.getUTCMinutes())}`;
}

/** The local calendar date of `instant`: `"YYYY-MM-DD"`. */
export function localDateOf(instant: Date, timeZone: string): string {
  const wall = new Date(wallOf(inZone(instant, zoneNamed(timeZone))));
  return `${pad(wall.getUTCFullYear(), 4)}-${pad(wall.getUTCMonth() + 1)}-${pad(wall.getUTCDate())}`;
}

/** The instant the local calendar date `"YYYY-MM-DD"` begins (its first instant, DST gaps included). */
export function startOfLocalDate(date: string, timeZone: string): Date {
  const zone = zoneNamed(timeZone);
  const wall = Date.parse(`${date}T00:00:00Z`);
  return new Date(fromWall(wall, zone.offset(wall), zone).ts);
}

/**
 * The earliest instant at or after `instant` inside the window `windowOn` gives for its local day in
 * `timeZone` (`windowOn` takes the local weekday, 0 Sunday to 6 Saturday; undefined: closed all day),
 * looking at most `days` days ahead. @returns undefined when no day in reach is open
 */
export function holdToDayWindows(
  instant: Date,
  windowOn: (weekday: number) => DailyWindow | undefined,
  timeZone: string,
  days = 8,
): Date | undefined {
  const zone = zoneNamed(timeZone);
  const local = inZone(instant, zone);
  for (let offset = 0; offset <= days; offset += 1) {
    const day = offset === 0 ? local : plusDays(local, offset, zone);
    const window = windowOn(new Date(wallOf(day)).getUTCDay());
    if (!window) continue;
    const opens = localAt(day, window.start, zone);
    if (offset > 0 || local.ts < opens.ts) return new Date(opens.ts);
    if (local.ts < localAt(day, window.end, zone).ts) return instant;
  }
  return undefined;
}

/** The local weekday of `instant` in `timeZone`: 0 Sunday to 6 Saturday. */
export function localWeekday(instant: Date, timeZone: string): number {
  return new Date(wallOf(inZone(instant, zoneNamed(timeZone)))).getUTCDay();
}

/** Whether `Intl` knows `zone` as an IANA time zone (`America/Los_Angeles`). */
export function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat("en", { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}
