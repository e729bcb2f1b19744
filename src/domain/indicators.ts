/**
 * The indicators of SPEC §5 (G5): SX = A / (B + C), XS = D / (E + F), DW = G / (E + F) and
 * FQ = initiated / (B + E), and the population rules behind them. This is the only place these
 * rules live: the database layer only groups people by the raw facts below (where they
 * graduated, where their outcome goes, its reason, state and retained flag) and this module
 * decides what each group counts as, and which organizations are regions of a breakdown.
 */
import type { ApplicationState, TransferReason } from "./application.ts";
import { isDead } from "./lifecycle.ts";
import type { MemberIdentity } from "./member.ts";
import type { OrgCategory } from "./organization.ts";

/** Only graduates count; teachers and delayed graduates are excluded from both indicators (R9). */
export const COUNTED_IDENTITIES = ["graduate"] as const satisfies readonly MemberIdentity[];

/**
 * Applications in dead states (lifecycle) no longer speak for the member: a person's outcome is
 * chosen among the others by `outcomeOf`.
 */
export { DEAD_STATES, isDead as isDeadState } from "./lifecycle.ts";

/** What choosing a person's outcome looks at in each of their applications. */
export interface OutcomeCandidate {
  id: number;
  state: ApplicationState;
  retainAtSchool: boolean;
}

/**
 * §5, R28: a person's outcome. A completed transfer stays the outcome, whatever follows it (the
 * first, if a follow-up completed too); a retention at school (R15) stays until a follow-up
 * completes; otherwise the latest application not dead (latest = highest id), or none.
 * `src/services/outcomes.ts` orders by the same ranks in SQL.
 */
export function outcomeOf<T extends OutcomeCandidate>(applications: readonly T[]): T | undefined {
  const live = applications.filter((a) => !isDead(a.state));
  const byId = (x: T, y: T) => x.id - y.id;
  const transferred = live.filter((a) => a.state === "completed" && !a.retainAtSchool);
  if (transferred.length > 0) return transferred.sort(byId)[0];
  const retained = live.filter((a) => a.state === "completed");
  if (retained.length > 0) return retained.sort(byId).at(-1);
  return live.sort(byId).at(-1);
}

/** The reason that puts a person into SX; every other outcome (or none) belongs to XS. */
export const SX_REASON: TransferReason = "further_study";

/** The reason whose completed transfers DW counts (单位团组织转接率). */
export const DW_REASON: TransferReason = "employed_with_org";

/** The counts of §5. */
export interface IndicatorCounts {
  /** Further-study people of B and C whose outcome completed. */
  a: number;
  /** Graduates from inside the region whose outcome is further study. */
  b: number;
  /** Further-study graduates from outside the region whose destination is inside it. */
  c: number;
  /** People of E and F whose outcome completed, retained at school excepted (R15). */
  d: number;
  /** Graduates from inside the region not in B: social destination, no application, retained. */
  e: number;
  /** Other-than-further-study graduates from outside the region whose destination is inside it. */
  f: number;
  /** People of E and F whose completed transfer went to their employer's league organization. */
  g: number;
  /** People of B and E (graduated inside) with an open or completed application: FQ's numerator. */
  initiated: number;
}

export const ZERO_COUNTS: IndicatorCounts = {
  a: 0,
  b: 0,
  c: 0,
  d: 0,
  e: 0,
  f: 0,
  g: 0,
  initiated: 0,
};

/**
 * A number of graduates sharing the same facts. `origin` and `destination` are opaque keys of
 * where the person graduated and where their outcome goes (null: not known to the caller, i.e.
 * outside every region it asks about); reason, state and retained come from the outcome
 * application and are null / false for someone without one.
 */
export interface OutcomeGroup<K> {
  origin: K | null;
  destination: K | null;
  reason: TransferReason | null;
  state: ApplicationState | null;
  retainAtSchool: boolean;
  count: number;
}

/** Completed, for SX: the outcome application reached `completed`. */
function completedForSx(group: OutcomeGroup<unknown>): boolean {
  return group.state === "completed";
}

/** Completed, for XS: as for SX, but a member retained at school never counts (R15). */
function completedForXs(group: OutcomeGroup<unknown>): boolean {
  return group.state === "completed" && !group.retainAtSchool;
}

/** Initiated, for FQ: an application that still speaks for the member (open or completed). */
function isInitiated(group: OutcomeGroup<unknown>): boolean {
  return group.state !== null && !isDead(group.state);
}

/**
 * The counts of one region from grouped facts. `inside(key)` tells whether an origin or
 * destination key lies in the region's subtree. People who graduated inside count by their origin whatever
 * their destination; people from outside count only when their outcome's destination is inside.
 */
export function countIndicators<K>(
  groups: Iterable<OutcomeGroup<K>>,
  inside: (key: K) => boolean,
): IndicatorCounts {
  const counts = { ...ZERO_COUNTS };
  for (const group of groups) {
    const fromInside = group.origin !== null && inside(group.origin);
    const intoRegion = group.destination !== null && inside(group.destination);
    if (!fromInside && !intoRegion) continue;
    const n = group.count;
    if (fromInside && isInitiated(group)) counts.initiated += n;
    if (group.reason === SX_REASON) {
      if (fromInside) counts.b += n;
      else counts.c += n;
      if (completedForSx(group)) counts.a += n;
    } else {
      if (fromInside) counts.e += n;
      else counts.f += n;
      if (completedForXs(group)) {
        counts.d += n;
        if (group.reason === DW_REASON) counts.g += n;
      }
    }
  }
  return counts;
}

/** A rate, or "not applicable" (`value: null`, shown as "—") when its denominator is empty. */
export type Rate = { value: number } | { value: null };

/** numerator / denominator in [0, 1]; an empty denominator is never 0% or 100%. */
export function ratio(numerator: number, denominator: number): Rate {
  if (denominator <= 0) return { value: null };
  return { value: numerator / denominator };
}

/** The four indicators, in the order a committee reads them in a season (FQ first, by 31 Aug). */
export const INDICATORS = ["fq", "sx", "xs", "dw"] as const;
export type Indicator = (typeof INDICATORS)[number];

/** Numerator and denominator of each indicator. */
const FORMULAS: Record<Indicator, (c: IndicatorCounts) => [number, number]> = {
  /** FQ = initiated / (B + E): of the region's own graduates, how many have started. */
  fq: (c) => [c.initiated, c.b + c.e],
  /** SX = A / (B + C). */
  sx: (c) => [c.a, c.b + c.c],
  /** XS = D / (E + F). */
  xs: (c) => [c.d, c.e + c.f],
  /** DW = G / (E + F). */
  dw: (c) => [c.g, c.e + c.f],
};

/** One indicator of some counts: its numerator, its denominator and the rate. */
export interface IndicatorValue {
  numerator: number;
  denominator: number;
  rate: Rate;
}

export function indicatorValue(indicator: Indicator, counts: IndicatorCounts): IndicatorValue {
  const [numerator, denominator] = FORMULAS[indicator](counts);
  return { numerator, denominator, rate: ratio(numerator, denominator) };
}

export const sxRate = (counts: IndicatorCounts): Rate => indicatorValue("sx", counts).rate;
export const xsRate = (counts: IndicatorCounts): Rate => indicatorValue("xs", counts).rate;
export const dwRate = (counts: IndicatorCounts): Rate => indicatorValue("dw", counts).rate;
export const fqRate = (counts: IndicatorCounts): Rate => indicatorValue("fq", counts).rate;

/**
 * §5: special-unit libraries and overseas branches are destinations, not regions; they are
 * never listed as child organizations in a breakdown (their people count in the region above).
 */
const NOT_REGIONS: readonly OrgCategory[] = ["special_unit_library", "overseas_branch"];

export function isBreakdownRegion(org: { category: OrgCategory }): boolean {
  return !NOT_REGIONS.includes(org.category);
}

/**
 * Whether a region has anyone in a denominator: graduates of its own or people coming in. One
 * without is summarised in a breakdown, not listed.
 */
export function hasGraduates(counts: Pick<IndicatorCounts, "b" | "c" | "e" | "f">): boolean {
  return counts.b + counts.c + counts.e + counts.f > 0;
}
