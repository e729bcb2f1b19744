/**
 * 通报 (SPEC §5, §7): the child organizations of a leading organ, worst first by the rate the
 * committee chooses, each rate with its counts and its target (due next, as the digest shows
 * it: `targetReport`) and whether it is met; the region itself as the last line. A rate with
 * an empty denominator reads "—", never 0% or 100%, and sorts after every real rate.
 */
import type { Db } from "../../db/client.ts";
import { type Indicator, indicatorValue } from "../../domain/indicators.ts";
import type { TargetStanding } from "../../domain/targets.ts";
import { type RegionRates, rates } from "../rates.ts";
import { targetReport } from "../targets.ts";
import type { ExportContext } from "./types.ts";

export interface RankingRow {
  rank: number | null;
  region: RegionRates;
  /** The region's standing against its targets, for the indicators it has targets for. */
  targets: Partial<Record<Indicator, TargetStanding>>;
}

/** Worst first by `by`; regions where it does not apply last; then by id. */
export function worstFirst(by: Indicator) {
  const value = (r: RegionRates) => r[by].value ?? Number.POSITIVE_INFINITY;
  return (x: RegionRates, y: RegionRates) => value(x) - value(y) || x.org.id - y.org.id;
}

export async function rankingRows(
  db: Db,
  ctx: Pick<ExportContext, "viewer" | "season" | "now">,
  by: Indicator,
): Promise<{ rows: RankingRow[]; children: RegionRates[] } | null> {
  const result = await rates(db, ctx.viewer.org.id, ctx.season.year, ctx.now);
  if (!result.ok) return null;
  const report = await targetReport(db, result, ctx.now, ctx.season);
  const targetsOf = (orgId: number | null): RankingRow["targets"] =>
    Object.fromEntries(
      report.indicators.flatMap((s) => {
        if (orgId === null) return [[s.indicator, s]];
        const child = s.children.find((c) => c.org.id === orgId);
        return child ? [[s.indicator, child.standing]] : [];
      }),
    );
  const children = [...result.children].sort(worstFirst(by));
  return {
    rows: [
      ...children.map((region, i) => ({ rank: i + 1, region, targets: targetsOf(region.org.id) })),
      { rank: null, region: result, targets: targetsOf(null) },
    ],
    children,
  };
}

/** The target a standing is read against: the one due next, else the last one passed unmet. */
const targetOf = (s: TargetStanding) => s.next ?? s.overdue.at(-1) ?? null;

/** Met: the target due next is reached, or, every date passed, none was missed. */
function metOf(s: TargetStanding): boolean | null {
  if (s.next) return s.next.met;
  return s.rate.value === null ? null : s.overdue.length === 0;
}

const INDICATOR_COLUMNS: Indicator[] = ["fq", "sx", "xs", "dw"];

export function rankingSheet(ctx: ExportContext, by: Indicator) {
  const h = (key: string) => ctx.t(`export:columns.${key}`);
  const notApplicable = ctx.t("rates:notApplicable");
  const columns = [
    {
      header: h("rank"),
      kind: "integer" as const,
      value: (r: RankingRow) => r.rank ?? ctx.t("export:ranking.total"),
    },
    { header: h("org"), kind: "text" as const, value: (r: RankingRow) => r.region.org.name },
    ...INDICATOR_COLUMNS.flatMap((indicator) => {
      const of = (r: RankingRow) => indicatorValue(indicator, r.region.counts);
      const label = ctx.t(`export:indicator.${indicator}`);
      return [
        {
          header: label,
          kind: "percent" as const,
          value: (r: RankingRow) => of(r).rate.value ?? notApplicable,
        },
        {
          header: ctx.t("export:columns.numerator", { indicator: label }),
          kind: "integer" as const,
          value: (r: RankingRow) => of(r).numerator,
        },
        {
          header: ctx.t("export:columns.denominator", { indicator: label }),
          kind: "integer" as const,
          value: (r: RankingRow) => of(r).denominator,
        },
        {
          header: ctx.t("export:columns.target", { indicator: label }),
          kind: "text" as const,
          value: (r: RankingRow) => {
            const standing = r.targets[indicator];
            const target = standing && targetOf(standing);
            return target
              ? ctx.t("export:ranking.target", { percent: target.percent, due: target.due })
              : notApplicable;
          },
        },
        {
          header: ctx.t("export:columns.met", { indicator: label }),
          kind: "text" as const,
          value: (r: RankingRow) => {
            const standing = r.targets[indicator];
            const met = standing ? metOf(standing) : null;
            return met === null
              ? notApplicable
              : ctx.t(met ? "export:ranking.met" : "export:ranking.notMet");
          },
        },
      ];
    }),
  ];
  return {
    name: ctx.t("export:kind.ranking"),
    title: ctx.t("export:ranking.title", {
      org: ctx.viewer.org.name,
      year: ctx.season.year,
      by: ctx.t(`export:indicator.${by}`),
    }),
    timeZone: ctx.season.timezone,
    columns,
  };
}
