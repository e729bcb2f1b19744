/**
 * The season calendar of SPEC §4 (G3) for graduation year Y, in the configured time zone.
 * Every date is configurable per year; the defaults are the guide's.
 */

import { REMINDER_DEFAULTS, type ReminderSettings } from "./reminderSettings.ts";
import { DEFAULT_TARGETS, defaultTargetsFor, type Target, type TargetDefault } from "./targets.ts";

export interface SeasonDates {
  /** R7: marked branches graduating this year become graduate organizations. */
  conversionDate: string;
  /** Last day of the application period. */
  applicationEnd: string;
  reviewStart: string;
  reviewEnd: string;
  /** R27 applies from this day on. */
  wrapUpStart: string;
  /** Essentially everything completed by this day. */
  target: string;
  /**
   * R15 (provincial practice): retaining the relation at school is offered from this day on
   * (after 31 Jul), when it is clear who truly found no place.
   */
  retentionFrom: string;
}

export interface Season extends SeasonDates {
  year: number;
  timezone: string;
  /** R27: more than this many days at one approval stage → returned. */
  autoReturnDays: number;
  /** §5: the targets every region has unless a committee sets stricter ones (TARGETS). */
  targets: Target[];
  /** Issue 20.2: when the deciding chats are reminded before R27 returns, and when not. */
  reminders: ReminderSettings;
}

export type SeasonOverrides = Record<string, Partial<SeasonDates & { autoReturnDays: number }>>;

export function defaultSeasonDates(year: number): SeasonDates {
  return {
    conversionDate: `${year}-06-01`,
    applicationEnd: `${year}-08-31`,
    reviewStart: `${year}-09-01`,
    reviewEnd: `${year}-09-30`,
    wrapUpStart: `${year}-10-01`,
    target: `${year}-10-31`,
    retentionFrom: `${year}-08-01`,
  };
}

export function seasonFor(
  year: number,
  timezone: string,
  overrides: SeasonOverrides = {},
  targetDefaults: readonly TargetDefault[] = DEFAULT_TARGETS,
  reminders: ReminderSettings = REMINDER_DEFAULTS,
): Season {
  return {
    year,
    timezone,
    autoReturnDays: 10,
    targets: defaultTargetsFor(year, targetDefaults),
    reminders,
    ...defaultSeasonDates(year),
    ...overrides[String(year)],
  };
}

const DAY_MS = 86_400_000;

const formats = new Map<string, Intl.DateTimeFormat>();

/**
 * One formatter per locale and options, kept: building an `Intl.DateTimeFormat` costs about
 * 0.1 ms and native memory that is slow to come back, and the calendar is asked on every
 * delivery, card and job run (a replayed season made millions and grew past 1 GB of RSS).
 */
export function zoneFormat(
  locale: string,
  options: Intl.DateTimeFormatOptions,
): Intl.DateTimeFormat {
  const key = `${locale}|${JSON.stringify(options)}`;
  let format = formats.get(key);
  if (!format) {
    format = new Intl.DateTimeFormat(locale, options);
    formats.set(key, format);
  }
  return format;
}

/** Offset of the zone from UTC at `at`, in milliseconds. */
function zoneOffsetMs(timezone: string, at: Date): number {
  const parts = zoneFormat("en-US", {
    timeZone: timezone,
    hourCycle: "h23",
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
  }).formatToParts(at);
  const get = (type: string) => Number(parts.find((p) => p.type === type)?.value);
  const asUtc = Date.UTC(
    get("year"),
    get("month") - 1,
    get("day"),
    get("hour"),
    get("minute"),
    get("second"),
  );
  return asUtc - Math.floor(at.getTime() / 1000) * 1000;
}

/**
 * The instant a calendar day ("YYYY-MM-DD") starts in the zone. Around a clock change the
 * offset before and after midnight differ; the earliest candidate that falls on the day wins,
 * which also handles zones whose clocks skip midnight (the day then starts at 01:00).
 */
export function startOfDay(day: string, timezone: string): Date {
  const key = `${timezone}|${day}`;
  let start = dayStarts.get(key);
  if (start === undefined) {
    // A season's jobs ask for the same few days for every application they look at.
    if (dayStarts.size >= 4_096) dayStarts.clear();
    start = findStartOfDay(day, timezone).getTime();
    dayStarts.set(key, start);
  }
  return new Date(start);
}
const dayStarts = new Map<string, number>();

function findStartOfDay(day: string, timezone: string): Date {
  const [y, m, d] = day.split("-").map(Number) as [number, number, number];
  const utcMidnight = Date.UTC(y, m - 1, d);
  const candidates = [utcMidnight - DAY_MS, utcMidnight + DAY_MS]
    .map((probe) => utcMidnight - zoneOffsetMs(timezone, new Date(probe)))
    .sort((a, b) => a - b)
    .map((t) => new Date(t));
  return candidates.find((c) => dayIn(c, timezone) === day) ?? (candidates[0] as Date);
}

/** The calendar day ("YYYY-MM-DD") of an instant in the zone. */
export function dayIn(at: Date, timezone: string): string {
  return zoneFormat("en-CA", {
    timeZone: timezone,
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
  }).format(at);
}

/**
 * R27 (interpretation): an application that has waited MORE than `autoReturnDays` × 24 h at its
 * current approval stage is returned, the wait counted from the later of the moment it entered
 * the stage and the start of the wrap-up (1 Oct 00:00). Nothing is thus returned before
 * 11 Oct 00:00, and time waited in August or September never counts.
 */
export function autoReturnAt(season: Season, stageSince: Date): Date {
  const from = Math.max(stageSince.getTime(), wrapUpStartMs(season));
  return new Date(from + season.autoReturnDays * DAY_MS + 1);
}

function wrapUpStartMs(season: Season): number {
  return startOfDay(season.wrapUpStart, season.timezone).getTime();
}

/** Whole days an application has waited at its stage (for queues and cards). */
export function daysWaiting(stageSince: Date, now: Date): number {
  return Math.max(0, Math.floor((now.getTime() - stageSince.getTime()) / DAY_MS));
}

/**
 * The latest stage start that is due for auto-return at `now` (for set-based sweeps): null
 * until the first returns are due, then every stage start up to `now` − the limit, those before
 * the wrap-up included (they count from its start, which lies before the cutoff by then).
 */
export function autoReturnCutoff(season: Season, now: Date): Date | null {
  const limit = season.autoReturnDays * DAY_MS + 1;
  if (now.getTime() < wrapUpStartMs(season) + limit) return null;
  return new Date(now.getTime() - limit);
}

/** R15: whether retaining at school may be chosen at `now` (from `retentionFrom` 00:00 on). */
export function retentionOpen(season: Season, now: Date): boolean {
  return now >= startOfDay(season.retentionFrom, season.timezone);
}
