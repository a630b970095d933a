import { describe, expect, it } from "vitest";
import { atLocalTimeNextDay, formatInZone, holdToWindow, nextSlot } from "../../functions/core/time.js";

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
