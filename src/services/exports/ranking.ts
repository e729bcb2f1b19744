/**
 * 通报 (SPEC §5, §7): the child organizations of a leading organ, worst first by the rate the
 * committee chooses, each rate with its counts; the region itself as the last line. A rate
 * with an empty denominator reads "—", never 0% or 100%, and sorts after every real rate.
 */
import type { Db } from "../../db/client.ts";
import { type Indicator, indicatorValue } from "../../domain/indicators.ts";
import { type RegionRates, rates } from "../rates.ts";
import type { ExportContext } from "./types.ts";

export interface RankingRow {
  rank: number | null;
  region: RegionRates;
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
  const children = [...result.children].sort(worstFirst(by));
  return {
    rows: [
      ...children.map((region, i) => ({ rank: i + 1, region })),
      { rank: null, region: result },
    ],
    children,
  };
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
