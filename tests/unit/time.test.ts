import fc from "fast-check";
import { IANAZone } from "luxon";
import { describe, expect, it } from "vitest";
import {
  atLocalTimeNextDay,
  formatInZone,
  holdToWindow,
  nextSlot,
  zoneNamed,
} from "../../functions/core/time.js";

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
