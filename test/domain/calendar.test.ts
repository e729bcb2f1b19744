import { describe, expect, it, vi } from "vitest";
import {
  autoReturnAt,
  autoReturnCutoff,
  dayIn,
  daysWaiting,
  defaultSeasonDates,
  seasonFor,
  startOfDay,
} from "../../src/domain/calendar.ts";
import { REMINDER_DEFAULTS } from "../../src/domain/reminderSettings.ts";

const SH = "Asia/Shanghai";
const at = (iso: string) => new Date(iso);
const msBefore = (iso: string) => new Date(new Date(iso).getTime() - 1);
const msAfter = (iso: string) => new Date(new Date(iso).getTime() + 1);
const season2026 = seasonFor(2026, SH);
const isAutoReturnDue = (s: typeof season2026, since: Date, now: Date) =>
  now >= autoReturnAt(s, since);

describe("§4 calendar: default dates of graduation year Y (G3)", () => {
  it("R7 conversion on 1 June; application until 31 Aug; review 1–30 Sep; wrap-up 1 Oct; target 31 Oct", () => {
    expect(defaultSeasonDates(2026)).toEqual({
      conversionDate: "2026-06-01",
      applicationEnd: "2026-08-31",
      reviewStart: "2026-09-01",
      reviewEnd: "2026-09-30",
      wrapUpStart: "2026-10-01",
      target: "2026-10-31",
      retentionFrom: "2026-08-01",
    });
  });

  it("R27 seasonFor carries the year, zone and a 10-day auto-return limit by default", () => {
    expect(seasonFor(2021, SH)).toEqual({
      year: 2021,
      targets: [
        { indicator: "fq", percent: 100, due: "2021-08-31" },
        { indicator: "sx", percent: 95, due: "2021-10-31" },
        { indicator: "xs", percent: 95, due: "2021-10-31" },
      ],
      timezone: SH,
      autoReturnDays: 10,
      reminders: REMINDER_DEFAULTS,
      conversionDate: "2021-06-01",
      applicationEnd: "2021-08-31",
      reviewStart: "2021-09-01",
      reviewEnd: "2021-09-30",
      wrapUpStart: "2021-10-01",
      target: "2021-10-31",
      retentionFrom: "2021-08-01",
    });
  });

  it("R7 R27 overrides apply to their own year only, field by field", () => {
    const overrides = {
      "2021": { conversionDate: "2021-06-15", wrapUpStart: "2021-10-08", autoReturnDays: 7 },
    };
    expect(seasonFor(2021, SH, overrides)).toEqual({
      ...seasonFor(2021, SH),
      timezone: SH,
      autoReturnDays: 7,
      reminders: REMINDER_DEFAULTS,
      conversionDate: "2021-06-15",
      applicationEnd: "2021-08-31",
      reviewStart: "2021-09-01",
      reviewEnd: "2021-09-30",
      wrapUpStart: "2021-10-08",
      target: "2021-10-31",
      retentionFrom: "2021-08-01",
    });
    expect(seasonFor(2020, SH, overrides)).toEqual({
      ...seasonFor(2020, SH),
      conversionDate: "2020-06-01",
      wrapUpStart: "2020-10-01",
      autoReturnDays: 10,
    });
  });
});

describe("§4 startOfDay / dayIn in the configured zone", () => {
  it("in Asia/Shanghai 2026-10-01 starts at 2026-09-30T16:00:00Z", () => {
    expect(startOfDay("2026-10-01", SH).toISOString()).toBe("2026-09-30T16:00:00.000Z");
    expect(startOfDay("2026-06-01", SH).toISOString()).toBe("2026-05-31T16:00:00.000Z");
    expect(startOfDay("2027-01-01", SH).toISOString()).toBe("2026-12-31T16:00:00.000Z");
  });

  it("in Europe/Berlin on the spring DST day (23 h) and the day after", () => {
    expect(startOfDay("2026-03-29", "Europe/Berlin").toISOString()).toBe(
      "2026-03-28T23:00:00.000Z",
    );
    expect(startOfDay("2026-03-30", "Europe/Berlin").toISOString()).toBe(
      "2026-03-29T22:00:00.000Z",
    );
  });

  it("in Europe/Berlin on the autumn DST day (25 h) and the day after", () => {
    expect(startOfDay("2026-10-25", "Europe/Berlin").toISOString()).toBe(
      "2026-10-24T22:00:00.000Z",
    );
    expect(startOfDay("2026-10-26", "Europe/Berlin").toISOString()).toBe(
      "2026-10-25T23:00:00.000Z",
    );
  });

  it("in America/New_York on both DST days (changes at 02:00, west of UTC)", () => {
    expect(startOfDay("2026-03-08", "America/New_York").toISOString()).toBe(
      "2026-03-08T05:00:00.000Z",
    );
    expect(startOfDay("2026-11-01", "America/New_York").toISOString()).toBe(
      "2026-11-01T04:00:00.000Z",
    );
  });

  it("in UTC a day starts at UTC midnight", () => {
    expect(startOfDay("2026-10-01", "UTC").toISOString()).toBe("2026-10-01T00:00:00.000Z");
  });

  // Where the spring DST gap swallows midnight (Chile: 24:00 → 01:00 on the first Sunday of
  // September), the day starts at 01:00.
  it("in America/Santiago the day whose midnight is skipped starts at 01:00 -03 (04:00Z)", () => {
    const start = startOfDay("2026-09-06", "America/Santiago");
    expect(start.toISOString()).toBe("2026-09-06T04:00:00.000Z");
    expect(dayIn(start, "America/Santiago")).toBe("2026-09-06");
  });

  it("startOfDay is the first instant of its day: dayIn of it and of 1 ms before", () => {
    for (const [day, tz] of [
      ["2026-10-01", SH],
      ["2026-03-29", "Europe/Berlin"],
      ["2026-10-25", "Europe/Berlin"],
      ["2026-03-08", "America/New_York"],
      ["2026-10-04", "Australia/Sydney"],
    ] as const) {
      const start = startOfDay(day, tz);
      expect(dayIn(start, tz)).toBe(day);
      expect(dayIn(new Date(start.getTime() - 1), tz)).not.toBe(day);
    }
  });

  it("dayIn gives the calendar day in the zone, YYYY-MM-DD", () => {
    expect(dayIn(at("2026-09-30T15:59:59.999Z"), SH)).toBe("2026-09-30");
    expect(dayIn(at("2026-09-30T16:00:00.000Z"), SH)).toBe("2026-10-01");
    expect(dayIn(at("2026-09-30T16:00:00.000Z"), "UTC")).toBe("2026-09-30");
    expect(dayIn(at("2026-03-28T23:00:00.000Z"), "Europe/Berlin")).toBe("2026-03-29");
    expect(dayIn(at("2026-01-05T03:00:00.000Z"), "America/New_York")).toBe("2026-01-04");
  });
});

describe("R27 auto-return: more than 10 days at one stage, counted from the later of stage entry and 1 Oct", () => {
  const wrapUp = "2026-09-30T16:00:00.000Z"; // 1 Oct 00:00 Shanghai
  const firstDue = "2026-10-10T16:00:00.001Z"; // 11 Oct 00:00 Shanghai + 1 ms

  it("R27 pending since 15 Sep counts from 1 Oct: due 1 ms after 11 Oct 00:00 Shanghai, not before", () => {
    const since = at("2026-09-15T02:00:00Z"); // 15 Sep 10:00 Shanghai
    expect(autoReturnAt(season2026, since).toISOString()).toBe(firstDue);
    expect(isAutoReturnDue(season2026, since, at(wrapUp))).toBe(false);
    expect(isAutoReturnDue(season2026, since, at("2026-10-10T16:00:00.000Z"))).toBe(false);
    expect(isAutoReturnDue(season2026, since, at(firstDue))).toBe(true);
  });

  it("R27 time waited in August or September never counts: nothing is returned before 11 Oct 00:00", () => {
    for (const since of ["2026-07-01T00:00:00Z", "2026-08-15T02:00:00Z", "2026-09-30T15:59:59Z"]) {
      expect(autoReturnAt(season2026, at(since)).toISOString()).toBe(firstDue);
      expect(isAutoReturnDue(season2026, at(since), msBefore(firstDue))).toBe(false);
    }
  });

  it("R27 stage began 5 Oct 10:00 Shanghai: not due at exactly 15 Oct 10:00, due 1 ms after", () => {
    const since = at("2026-10-05T02:00:00Z");
    const tenDays = "2026-10-15T02:00:00.000Z";
    expect(autoReturnAt(season2026, since).toISOString()).toBe("2026-10-15T02:00:00.001Z");
    expect(isAutoReturnDue(season2026, since, at(tenDays))).toBe(false);
    expect(isAutoReturnDue(season2026, since, msAfter(tenDays))).toBe(true);
  });

  it("R27 stage began at the wrap-up's first instant: the same as any earlier stage", () => {
    expect(autoReturnAt(season2026, at(wrapUp)).toISOString()).toBe(firstDue);
  });

  it("R27 the limit and the wrap-up day follow the overrides", () => {
    const s = seasonFor(2026, SH, { "2026": { autoReturnDays: 3, wrapUpStart: "2026-10-08" } });
    expect(autoReturnAt(s, at("2026-09-15T00:00:00Z")).toISOString()).toBe(
      "2026-10-10T16:00:00.001Z",
    );
    expect(autoReturnAt(s, at("2026-10-10T00:00:00Z")).toISOString()).toBe(
      "2026-10-13T00:00:00.001Z",
    );
  });

  it("R27 autoReturnCutoff is null until the first returns are due (11 Oct 00:00 + 1 ms)", () => {
    expect(autoReturnCutoff(season2026, at("2026-09-15T00:00:00Z"))).toBeNull();
    expect(autoReturnCutoff(season2026, at(wrapUp))).toBeNull();
    expect(autoReturnCutoff(season2026, msBefore(firstDue))).toBeNull();
    expect(autoReturnCutoff(season2026, at(firstDue))?.toISOString()).toBe(wrapUp);
  });

  it("R27 autoReturnCutoff from then on is now − 10 days − 1 ms", () => {
    expect(autoReturnCutoff(season2026, at("2026-10-15T02:00:00Z"))?.toISOString()).toBe(
      "2026-10-05T01:59:59.999Z",
    );
  });

  it("R27 the set-based cutoff and isAutoReturnDue agree at the boundary", () => {
    const now = at("2026-10-15T02:00:00Z");
    const cutoff = autoReturnCutoff(season2026, now) as Date;
    expect(isAutoReturnDue(season2026, cutoff, now)).toBe(true);
    expect(isAutoReturnDue(season2026, msAfter(cutoff.toISOString()), now)).toBe(false);
    // Every stage entered before the wrap-up is due by then too.
    expect(isAutoReturnDue(season2026, at("2026-08-01T00:00:00Z"), now)).toBe(true);
  });
});

describe("§6 daysWaiting (queues and cards)", () => {
  const since = at("2026-09-15T02:00:00Z");

  it("counts whole days, rounding down", () => {
    expect(daysWaiting(since, since)).toBe(0);
    expect(daysWaiting(since, at("2026-09-16T01:59:59.999Z"))).toBe(0);
    expect(daysWaiting(since, at("2026-09-16T02:00:00Z"))).toBe(1);
    expect(daysWaiting(since, at("2026-09-25T01:59:59.999Z"))).toBe(9);
    expect(daysWaiting(since, at("2026-09-25T02:00:00Z"))).toBe(10);
  });

  it("never goes below zero when the clock is behind the stage start", () => {
    expect(daysWaiting(since, at("2026-09-14T00:00:00Z"))).toBe(0);
  });
});

describe("the calendar's formatters (issue 22.5: a replayed season)", () => {
  it("builds one Intl.DateTimeFormat per zone and pattern, not one per question: a season's jobs and deliveries asked millions of times and the app grew past 1 GB of RSS", () => {
    const Real = Intl.DateTimeFormat;
    let built = 0;
    const spy = vi.spyOn(Intl, "DateTimeFormat").mockImplementation(function (
      this: unknown,
      locale?: string | string[],
      options?: Intl.DateTimeFormatOptions,
    ) {
      built++;
      return new Real(locale, options);
    } as typeof Intl.DateTimeFormat);
    try {
      const days = new Set<string>();
      for (let i = 0; i < 1_000; i++) {
        const at = new Date(Date.UTC(2031, 5, 1) + i * 3_600_000);
        days.add(dayIn(at, "Europe/Lisbon"));
        startOfDay(dayIn(at, "Europe/Lisbon"), "Europe/Lisbon");
      }
      // 1,000 hours are 42 days, each still read right.
      expect(days.size).toBe(42);
      expect(startOfDay("2031-06-01", "Europe/Lisbon").toISOString()).toBe(
        "2031-05-31T23:00:00.000Z",
      );
      expect(built).toBeLessThanOrEqual(2);
    } finally {
      spy.mockRestore();
    }
  });
});
