import fc from "fast-check";
import { DateTime, IANAZone } from "luxon";
import { describe, expect, it } from "vitest";
import {
  atLocalTimeNextDay,
  type DailyWindow,
  formatInZone,
  formatShortLocal,
  holdToWindow,
  nextSlot,
  zoneNamed,
} from "../../functions/core/shared/time.js";

const NOTICE = { start: "08:00", end: "22:00" };
const MARKETING = { start: "09:00", end: "21:00" };
const SHANGHAI = "Asia/Shanghai";

describe("send windows in the shop's time zone", () => {
  it("leaves a time inside the window alone", () => {
    const at = new Date("2026-06-18T11:00:00+08:00");
    expect(holdToWindow(at, NOTICE, SHANGHAI)).toEqual(at);
  });

  it("holds an early-morning message to the window's opening the same day", () => {
    expect(holdToWindow(new Date("2026-06-18T06:30:00+08:00"), NOTICE, SHANGHAI)).toEqual(
      new Date("2026-06-18T08:00:00+08:00"),
    );
  });

  it("holds a late-night message to the next morning; the window's end is exclusive", () => {
    expect(holdToWindow(new Date("2026-06-18T22:00:00+08:00"), NOTICE, SHANGHAI)).toEqual(
      new Date("2026-06-19T08:00:00+08:00"),
    );
    expect(holdToWindow(new Date("2026-06-18T21:59:59+08:00"), NOTICE, SHANGHAI)).toEqual(
      new Date("2026-06-18T21:59:59+08:00"),
    );
  });

  it("uses the shop's zone, not UTC: 23:30 UTC is 07:30 in Shanghai", () => {
    expect(holdToWindow(new Date("2026-06-18T23:30:00Z"), NOTICE, SHANGHAI)).toEqual(
      new Date("2026-06-19T08:00:00+08:00"),
    );
  });

  it("picks the next marketing slot inside the marketing window", () => {
    const slots = ["10:00", "17:00"];
    expect(nextSlot(new Date("2026-06-18T09:10:00+08:00"), slots, MARKETING, SHANGHAI)).toEqual(
      new Date("2026-06-18T10:00:00+08:00"),
    );
    expect(nextSlot(new Date("2026-06-18T10:00:01+08:00"), slots, MARKETING, SHANGHAI)).toEqual(
      new Date("2026-06-18T17:00:00+08:00"),
    );
    expect(nextSlot(new Date("2026-06-18T18:00:00+08:00"), slots, MARKETING, SHANGHAI)).toEqual(
      new Date("2026-06-19T10:00:00+08:00"),
    );
  });

  it("keeps 10:00 local across a DST change (New York, spring forward on 2026-03-08)", () => {
    const zone = "America/New_York";
    const before = new Date("2026-03-07T15:00:00-05:00");
    const next = atLocalTimeNextDay(before, "10:00", zone);
    expect(formatInZone(next, zone)).toBe("2026-03-08T10:00:00.000-04:00");
    expect(next.getTime() - before.getTime()).toBe(18 * 3_600_000);
  });

  it("holds a message to 08:00 local on the day the clocks go back (London, 2026-10-25)", () => {
    const zone = "Europe/London";
    const held = holdToWindow(new Date("2026-10-25T01:30:00+01:00"), NOTICE, zone);
    expect(formatInZone(held, zone)).toBe("2026-10-25T08:00:00.000+00:00");
  });

  it("formats decision times with the shop's offset", () => {
    expect(formatInZone(new Date("2026-06-18T03:00:00Z"), SHANGHAI)).toBe("2026-06-18T11:00:00.000+08:00");
  });
});

describe("the offset-caching zone", () => {
  // Zones with DST at whole hours, at half hours (Lord Howe moves by 30 minutes), south of the equator, and
  // one that changed its rules, over years with the clock changes in them.
  const zones = [
    "Europe/London",
    "America/New_York",
    "Australia/Lord_Howe",
    "America/Santiago",
    "Asia/Shanghai",
  ];
  const instants = fc.integer({
    min: Date.parse("2024-01-01T00:00:00Z"),
    max: Date.parse("2028-12-31T23:59:59Z"),
  });

  it("gives luxon's own IANA offset at every instant, whatever was cached before", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...zones),
        fc.array(instants, { minLength: 1, maxLength: 20 }),
        (name, times) => {
          const plain = new IANAZone(name);
          for (const ts of times) expect(zoneNamed(name).offset(ts)).toBe(plain.offset(ts));
        },
      ),
      { numRuns: 300 },
    );
  });

  it("is exact in the seconds either side of a clock change", () => {
    const london = new IANAZone("Europe/London");
    // 2026-03-29 01:00 UTC: London goes from +0 to +60; 2026-10-25 01:00 UTC: back.
    for (const change of [Date.parse("2026-03-29T01:00:00Z"), Date.parse("2026-10-25T01:00:00Z")]) {
      for (const delta of [-3_600_000, -1000, 0, 1000, 3_600_000]) {
        expect(zoneNamed("Europe/London").offset(change + delta)).toBe(london.offset(change + delta));
      }
    }
    expect(zoneNamed("Europe/London").offset(Date.parse("2026-03-29T00:59:59Z"))).toBe(0);
    expect(zoneNamed("Europe/London").offset(Date.parse("2026-03-29T01:00:00Z"))).toBe(60);
  });

  it("keeps DST right in window arithmetic: 08:00 in New York is 12:00 UTC in summer, 13:00 in winter", () => {
    const newYork = "America/New_York";
    expect(holdToWindow(new Date("2026-07-01T10:00:00Z"), NOTICE, newYork)).toEqual(
      new Date("2026-07-01T12:00:00Z"),
    );
    expect(holdToWindow(new Date("2026-12-01T10:00:00Z"), NOTICE, newYork)).toEqual(
      new Date("2026-12-01T13:00:00Z"),
    );
  });
});

/** The same rules through luxon's `DateTime`, as time.ts computed them before it did luxon's arithmetic itself. */
const viaLuxon = {
  localAt(day: DateTime, timeOfDay: string): DateTime {
    if (timeOfDay === "24:00") return day.plus({ days: 1 }).startOf("day");
    const [hour, minute] = timeOfDay.split(":").map(Number);
    return day.set({ hour, minute, second: 0, millisecond: 0 });
  },
  inZone(instant: Date, timeZone: string): DateTime {
    return DateTime.fromJSDate(instant, { zone: new IANAZone(timeZone) });
  },
  holdToWindow(instant: Date, window: DailyWindow, timeZone: string): Date {
    const local = viaLuxon.inZone(instant, timeZone);
    const opens = viaLuxon.localAt(local, window.start);
    const closes = viaLuxon.localAt(local, window.end);
    if (local < opens) return opens.toJSDate();
    if (local < closes) return instant;
    return viaLuxon.localAt(local.plus({ days: 1 }), window.start).toJSDate();
  },
  nextSlot(instant: Date, slots: readonly string[], window: DailyWindow, timeZone: string): Date {
    const local = viaLuxon.inZone(instant, timeZone);
    const inWindow = slots.filter((slot) => slot >= window.start && slot < window.end).sort();
    for (let dayOffset = 0; dayOffset < 2; dayOffset += 1) {
      const day = local.plus({ days: dayOffset });
      for (const slot of inWindow) {
        const candidate = viaLuxon.localAt(day, slot);
        if (candidate >= local) return candidate.toJSDate();
      }
    }
    throw new Error("no slot");
  },
};

describe("zone arithmetic without DateTime objects", () => {
  // Whole-hour DST both hemispheres, Lord Howe's 30-minute DST, Kathmandu's +05:45, no DST at all.
  const zones = [
    "America/New_York",
    "Europe/London",
    "Australia/Lord_Howe",
    "America/Santiago",
    "Asia/Kathmandu",
    "Asia/Shanghai",
  ];
  const zone = fc.constantFrom(...zones);
  // Instants near the 2026 clock changes of these zones as well as anywhere in 2025–2027.
  const changes = [
    "2026-03-08T07:00:00Z",
    "2026-11-01T06:00:00Z",
    "2026-03-29T01:00:00Z",
    "2026-10-25T01:00:00Z",
    "2026-04-04T15:00:00Z",
    "2026-10-03T15:30:00Z",
    "2026-04-05T03:00:00Z",
    "2026-09-06T04:00:00Z",
  ].map(Date.parse);
  const instant = fc.oneof(
    fc.integer({ min: Date.parse("2025-01-01T00:00:00Z"), max: Date.parse("2027-12-31T23:59:59Z") }),
    fc
      .tuple(fc.constantFrom(...changes), fc.integer({ min: -36 * 3_600_000, max: 36 * 3_600_000 }))
      .map(([change, delta]) => change + delta),
  );
  const timeOfDay = fc
    .tuple(fc.integer({ min: 0, max: 23 }), fc.constantFrom(0, 15, 30, 45, 59))
    .map(([hour, minute]) => `${String(hour).padStart(2, "0")}:${String(minute).padStart(2, "0")}`);
  const window = fc
    .tuple(timeOfDay, fc.oneof(timeOfDay, fc.constant("24:00")))
    .filter(([start, end]) => start < end)
    .map(([start, end]) => ({ start, end }));

  it("holds to a window exactly as luxon's DateTime does", () => {
    fc.assert(
      fc.property(instant, window, zone, (ts, win, name) => {
        const at = new Date(ts);
        expect(holdToWindow(at, win, name).getTime()).toBe(viaLuxon.holdToWindow(at, win, name).getTime());
      }),
      { numRuns: 3000 },
    );
  });

  it("finds the next marketing slot exactly as luxon's DateTime does", () => {
    const slots = fc.array(timeOfDay, { minLength: 1, maxLength: 4 });
    fc.assert(
      fc.property(instant, slots, zone, (ts, wanted, name) => {
        const win = { start: "00:00", end: "24:00" };
        const at = new Date(ts);
        expect(nextSlot(at, wanted, win, name).getTime()).toBe(
          viaLuxon.nextSlot(at, wanted, win, name).getTime(),
        );
      }),
      { numRuns: 3000 },
    );
  });

  it("moves to a time of day on the next local day and formats in the zone as luxon does", () => {
    fc.assert(
      fc.property(instant, timeOfDay, zone, (ts, time, name) => {
        const at = new Date(ts);
        const local = viaLuxon.inZone(at, name);
        expect(atLocalTimeNextDay(at, time, name).getTime()).toBe(
          viaLuxon.localAt(local.plus({ days: 1 }), time).toMillis(),
        );
        expect(formatInZone(at, name)).toBe(local.toFormat("yyyy-MM-dd'T'HH:mm:ss.SSSZZ"));
        expect(formatShortLocal(at, name)).toBe(local.toFormat("MM-dd HH:mm"));
      }),
      { numRuns: 3000 },
    );
  });

  it("moves a wall time inside a DST gap forward, as luxon does: 02:30 on New York's spring-forward day", () => {
    const zone = "America/New_York";
    const held = holdToWindow(new Date("2026-03-08T01:00:00-05:00"), { start: "02:30", end: "05:00" }, zone);
    expect(formatInZone(held, zone)).toBe("2026-03-08T03:30:00.000-04:00");
  });
});
