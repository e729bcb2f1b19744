/**
 * Issue 20.2's clock as a set-based sweep reads it: the cutoff `clockRunSince` picks exactly the
 * applications whose R27 clock (from the later of stage entry and the wrap-up) has run the hours.
 */
import { describe, expect, it } from "vitest";
import { clockRunSince, hoursOnClock } from "../../src/domain/reminders.ts";
import { TEST_SEASON } from "../helpers/season.ts";
import { shanghai } from "../helpers/world.ts";

const HOUR = 3_600_000;

describe("R27 reminder clock cutoff", () => {
  it("is null until the wrap-up's own clock has run the hours, then every stage start up to now − hours", () => {
    expect(clockRunSince(TEST_SEASON, 72, shanghai("2026-09-30T12:00:00"))).toBeNull();
    expect(clockRunSince(TEST_SEASON, 72, shanghai("2026-10-03T23:00:00"))).toBeNull();
    expect(clockRunSince(TEST_SEASON, 72, shanghai("2026-10-04T00:00:00"))).toEqual(
      shanghai("2026-10-01T00:00:00"),
    );
  });

  it("agrees with hoursOnClock for stage starts before and after the wrap-up", () => {
    const starts = Array.from(
      { length: 60 },
      (_, i) => shanghai("2026-09-20T09:00:00").getTime() + i * 7 * HOUR,
    );
    for (let n = 0; n < 40; n++) {
      const now = new Date(shanghai("2026-09-29T00:00:00").getTime() + n * 11 * HOUR);
      for (const hours of [72, 168, 192]) {
        const since = clockRunSince(TEST_SEASON, hours, now);
        for (const s of starts.filter((t) => t <= now.getTime())) {
          const due = hoursOnClock(TEST_SEASON, new Date(s), now) >= hours;
          expect(
            since !== null && s <= since.getTime(),
            `${new Date(s).toISOString()} at ${now.toISOString()}, ${hours} h`,
          ).toBe(due);
        }
      }
    }
  });
});
