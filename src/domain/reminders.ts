/**
 * Issue 20.2: reminders and escalation before the R27 auto-return, as plain rules.
 *
 * Interpretation (the one place it is decided):
 * - The hours count from the moment the application's R27 clock started at its stage (the
 *   later of stage entry and the wrap-up's start, as the auto-return counts them).
 * - Of the reminder hours due, only the latest is sent: an application first seen at 170 h is
 *   reminded "168 h", not "72 h" as well.
 * - "The review period's last week" is its last `reviewLastDays` calendar days.
 * - Quiet hours are local hours [from, to): "22-8" keeps 22:00–07:59 quiet; equal: none.
 */
import { type Season, startOfDay, zoneFormat } from "./calendar.ts";

const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;

/** R27: when the clock of an application that entered its stage at `stageSince` started. */
export function clockStart(season: Season, stageSince: Date): Date {
  const wrapUp = startOfDay(season.wrapUpStart, season.timezone).getTime();
  return new Date(Math.max(stageSince.getTime(), wrapUp));
}

/**
 * The latest stage start whose clock has run `hours` by `now`, for set-based sweeps; null while
 * the wrap-up's own clock has not run that long (then no application's has).
 */
export function clockRunSince(season: Season, hours: number, now: Date): Date | null {
  const latest = now.getTime() - hours * HOUR_MS;
  return clockStart(season, new Date(latest)).getTime() > latest ? null : new Date(latest);
}

/** The latest reminder hour due `hours` after the clock started, or null. */
export function dueReminderHours(hours: number, stageHours: readonly number[]): number | null {
  const due = stageHours.filter((h) => h <= hours);
  return due.length > 0 ? Math.max(...due) : null;
}

/** Hours since the clock started (negative before it starts). */
export function hoursOnClock(season: Season, stageSince: Date, now: Date): number {
  return (now.getTime() - clockStart(season, stageSince).getTime()) / HOUR_MS;
}

function hourIn(at: Date, timezone: string): number {
  return Number(
    zoneFormat("en-US", {
      timeZone: timezone,
      hour: "2-digit",
      hourCycle: "h23",
    }).format(at),
  );
}

export function isQuiet(at: Date, timezone: string, [from, to]: [number, number]): boolean {
  const h = hourIn(at, timezone);
  if (from === to) return false;
  return from < to ? h >= from && h < to : h >= from || h < to;
}

/** The first moment at or after `at` that is not quiet (on the hour). */
export function nextAwake(at: Date, timezone: string, quiet: [number, number]): Date {
  let t = at;
  for (let i = 0; i < 24 && isQuiet(t, timezone, quiet); i++) {
    t = new Date(Math.floor(t.getTime() / HOUR_MS) * HOUR_MS + HOUR_MS);
  }
  return t;
}

/** Whether `now` lies in the review period's last `days` days. */
export function inReviewLastDays(season: Season, now: Date, days: number): boolean {
  if (days <= 0) return false;
  const end = startOfDay(season.reviewEnd, season.timezone).getTime() + DAY_MS;
  const from = Math.max(
    end - days * DAY_MS,
    startOfDay(season.reviewStart, season.timezone).getTime(),
  );
  return now.getTime() >= from && now.getTime() < end;
}
