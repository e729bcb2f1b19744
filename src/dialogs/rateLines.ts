/**
 * How every channel shows the indicators of §5 (`/rates`, the digest, the CLI): each rate with
 * its counts, "—" for an empty denominator or for what a snapshot did not record, each child
 * region worst XS first, and the child regions without graduates in one line.
 */
import { INDICATORS, type Indicator, type Rate } from "../domain/indicators.ts";
import {
  type OrgRef,
  type RecordedCounts,
  type RecordedRegion,
  type RegionBreakdown,
  recordedValue,
} from "../services/rates.ts";
import { raw, text } from "./replies.ts";
import type { Text } from "./types.ts";

const R = (key: string, params?: Text["params"]) => text(`rates:${key}`, params);

/** Rounded down, so that only a complete region ever shows 100%. */
export function rateText(rate: Rate): Text {
  if (rate.value === null) return R("notApplicable");
  return R("percent", { value: (Math.floor(rate.value * 1000) / 10).toFixed(1) });
}

/** Worst XS first; on equal XS the worse SX; regions where XS does not apply last. */
export const byXs = (x: RecordedRegion, y: RecordedRegion) =>
  (x.xs.value ?? Number.POSITIVE_INFINITY) - (y.xs.value ?? Number.POSITIVE_INFINITY) ||
  (x.sx.value ?? Number.POSITIVE_INFINITY) - (y.sx.value ?? Number.POSITIVE_INFINITY) ||
  x.org.id - y.org.id;

/** The counts as parameters; one a snapshot did not record reads "—". */
function countParams(counts: RecordedCounts): Record<string, number | Text> {
  return {
    ...counts,
    g: counts.g ?? R("notApplicable"),
    initiated: counts.initiated ?? R("notApplicable"),
  };
}

/** One indicator of a region: "SX 50.0% = A 5 / (B 10 + C 0)". */
export function indicatorLine(indicator: Indicator, region: RecordedRegion): Text {
  return R(`line.${indicator}`, {
    rate: rateText(region[indicator]),
    ...countParams(region.counts),
  });
}

/** The four indicators of a region, each on a line, in the order a season reads them. */
export function indicatorLines(region: RecordedRegion, change?: (i: Indicator) => Text): Text[] {
  return INDICATORS.map((indicator) =>
    change
      ? R("withChange", { line: indicatorLine(indicator, region), change: change(indicator) })
      : indicatorLine(indicator, region),
  );
}

/** A child region on one line, every indicator with its counts. */
export function childLine(child: RecordedRegion): Text {
  return R("child", {
    org: raw(child.org.name),
    fq: rateText(child.fq),
    sx: rateText(child.sx),
    xs: rateText(child.xs),
    dw: rateText(child.dw),
    ...countParams(child.counts),
  });
}

/** How many of `orgs`, with the first few names, for a one-line summary. */
const NAMED = 3;
function summary(key: string, orgs: OrgRef[], params: Text["params"] = {}): Text {
  const names = orgs.slice(0, NAMED).map((o) => raw(o.name));
  const joined = R(`names.${names.length}`, Object.fromEntries(names.map((n, i) => [`n${i}`, n])));
  return R(key, {
    ...params,
    count: orgs.length,
    names: orgs.length > NAMED ? R("names.more", { names: joined }) : joined,
  });
}

/**
 * The breakdown under a region: its child regions worst XS first (`indent` wraps each line),
 * then one line for the children without graduates and one for those never recorded.
 */
export function breakdownLines(
  breakdown: Pick<RegionBreakdown, "children" | "childrenWithoutGraduates" | "year"> & {
    childrenNotRecorded?: OrgRef[];
  },
  indent: (line: Text) => Text = (line) => line,
): Text[] {
  const lines: Text[] = [];
  if (breakdown.children.length > 0) {
    lines.push(R("childrenTitle"));
    for (const child of [...breakdown.children].sort(byXs)) lines.push(indent(childLine(child)));
  }
  if (breakdown.childrenWithoutGraduates.length > 0) {
    lines.push(
      indent(
        summary("withoutGraduates", breakdown.childrenWithoutGraduates, { year: breakdown.year }),
      ),
    );
  }
  if (breakdown.childrenNotRecorded && breakdown.childrenNotRecorded.length > 0) {
    lines.push(indent(summary("notRecorded", breakdown.childrenNotRecorded)));
  }
  return lines;
}

/** The value of an indicator for a chart bar's label: "50.0% (5/10)", or "—". */
export function barText(indicator: Indicator, region: RecordedRegion): Text {
  const value = recordedValue(indicator, region.counts);
  if (!value || value.rate.value === null) return R("notApplicable");
  return R("bar", {
    rate: rateText(value.rate),
    numerator: value.numerator,
    denominator: value.denominator,
  });
}
