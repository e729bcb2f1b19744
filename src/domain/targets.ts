/**
 * Targets of a season (SPEC §5): "FQ 100% by 31 Aug", "SX 95% by 31 Oct". Committees set them
 * for their region; a child organization inherits its parent's unless it sets stricter ones.
 * This module holds the inheritance rule and how a rate stands against its targets; it does
 * no I/O.
 */
import { INDICATORS, type Indicator, type Rate } from "./indicators.ts";

export interface Target {
  indicator: Indicator;
  /** Whole percent, 1…100. */
  percent: number;
  /** "YYYY-MM-DD": the day by which the rate should reach `percent` (inclusive). */
  due: string;
}

/** A default target of every season: its day as "MM-DD" of the graduation year. */
export interface TargetDefault {
  indicator: Indicator;
  percent: number;
  monthDay: string;
}

/** The guide's defaults (G5): FQ 100% by 31 Aug, SX and XS 95% by 31 Oct. */
export const DEFAULT_TARGETS: readonly TargetDefault[] = [
  { indicator: "fq", percent: 100, monthDay: "08-31" },
  { indicator: "sx", percent: 95, monthDay: "10-31" },
  { indicator: "xs", percent: 95, monthDay: "10-31" },
];

export function defaultTargetsFor(year: number, defaults: readonly TargetDefault[]): Target[] {
  return defaults.map((d) => ({
    indicator: d.indicator,
    percent: d.percent,
    due: `${year}-${d.monthDay}`,
  }));
}

/**
 * The inheritance rule: `candidate` is stricter than `than` when it asks a higher value, or the
 * same value by an earlier date. Targets of different indicators never compare.
 */
export function isStricter(candidate: Target, than: Target): boolean {
  if (candidate.indicator !== than.indicator) return false;
  return (
    candidate.percent > than.percent ||
    (candidate.percent === than.percent && candidate.due < than.due)
  );
}

/** `a` asks at least as much as `b`, no later: meeting `a` on time meets `b` on time. */
function covers(a: Target, b: Target): boolean {
  return a.indicator === b.indicator && a.percent >= b.percent && a.due <= b.due;
}

/**
 * The inherited target that makes `candidate` pointless (it asks no more, no sooner), or null
 * when it is stricter than everything inherited for its indicator or asks something new (a
 * lower value earlier: a milestone on the way).
 */
export function weakerThanInherited(
  candidate: Target,
  inherited: readonly Target[],
): Target | null {
  return inherited.find((t) => covers(t, candidate)) ?? null;
}

/**
 * The targets in force for an organization, from the layers above it down to its own (the
 * season's defaults first, then each organization of its chain from the root). A target a
 * stricter one covers is dropped, so a child's weaker target never lowers the parent's and a
 * stricter one replaces it. By indicator (FQ, SX, XS, DW), then by date.
 */
export function effectiveTargets(layers: readonly (readonly Target[])[]): Target[] {
  const all = layers.flat();
  const kept = all.filter(
    (t, i) =>
      !all.some((other, j) => j !== i && covers(other, t) && (isStricter(other, t) || j < i)),
  );
  return kept.sort(
    (x, y) =>
      INDICATORS.indexOf(x.indicator) - INDICATORS.indexOf(y.indicator) ||
      x.due.localeCompare(y.due) ||
      y.percent - x.percent,
  );
}

/** Whole calendar days from `today` to `due` ("YYYY-MM-DD"); negative once it passed. */
export function daysUntil(today: string, due: string): number {
  const at = (d: string) => Date.parse(`${d}T00:00:00Z`);
  return Math.round((at(due) - at(today)) / 86_400_000);
}

/** Whether a rate reaches a target; an empty denominator ("—") neither meets nor misses it. */
export function meets(rate: Rate, target: Target): boolean | null {
  if (rate.value === null) return null;
  // Compared in whole per mille, as shown, so 94.99…% never reads as 95% met.
  return Math.floor(rate.value * 1000) >= target.percent * 10;
}

/** How one rate stands against its targets on `today`. */
export interface TargetStanding {
  indicator: Indicator;
  rate: Rate;
  /** The target due next (today included), or null when every date has passed. */
  next: (Target & { daysLeft: number; met: boolean | null }) | null;
  /** Targets whose date passed while the rate is still below them: flagged. */
  overdue: Target[];
}

export function standing(
  indicator: Indicator,
  rate: Rate,
  targets: readonly Target[],
  today: string,
): TargetStanding | null {
  const own = targets.filter((t) => t.indicator === indicator);
  if (own.length === 0) return null;
  const upcoming = own.filter((t) => t.due >= today);
  const [next] = upcoming.sort((x, y) => x.due.localeCompare(y.due) || y.percent - x.percent);
  const overdue = own.filter((t) => t.due < today && meets(rate, t) === false);
  return {
    indicator,
    rate,
    next: next ? { ...next, daysLeft: daysUntil(today, next.due), met: meets(rate, next) } : null,
    overdue,
  };
}

/**
 * How far below its target a rate is, for ranking children worst first: the shortfall in
 * percentage points, or null when the rate meets it or does not apply.
 */
export function shortfall(s: TargetStanding): number | null {
  const target = s.next ?? s.overdue.at(-1);
  if (!target || s.rate.value === null) return null;
  if (meets(s.rate, target) !== false) return null;
  return target.percent - s.rate.value * 100;
}
