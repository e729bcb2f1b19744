/**
 * SX and XS (SPEC §5) of the admin's organization for the season's graduation year, with the
 * counts behind them and each child organization, worst XS first.
 */
import type { Rate } from "../../../domain/indicators.ts";
import { loadAdmin } from "../../../services/orgStore.ts";
import { type RegionRates, rates } from "../../../services/rates.ts";
import { menuButtonRow, raw, reply } from "../../replies.ts";
import type { Flow, Text } from "../../types.ts";
import { A, adminIdOf } from "./common.ts";

/** `$1`-style placeholders bound as parameters, as `Database.query` promises. */
/** Rounded down, so that only a complete region ever shows 100%. */
export function rateText(rate: Rate): Text {
  if (rate.value === null) return A("rates.notApplicable");
  return A("rates.percent", { value: (Math.floor(rate.value * 1000) / 10).toFixed(1) });
}

/** Worst XS first; regions where XS does not apply last. */
export const byXs = (x: RegionRates, y: RegionRates) =>
  (x.xs.value ?? Number.POSITIVE_INFINITY) - (y.xs.value ?? Number.POSITIVE_INFINITY) ||
  (x.sx.value ?? Number.POSITIVE_INFINITY) - (y.sx.value ?? Number.POSITIVE_INFINITY) ||
  x.org.id - y.org.id;

export const ratesFlow: Flow = {
  name: "rates",
  requires: "admin",
  async start(ctx) {
    const admin = await loadAdmin(ctx.db, adminIdOf(ctx));
    const result = admin ? await rates(ctx.db, admin.org.id, ctx.season.year, ctx.now) : null;
    if (!result?.ok) {
      return { state: null, replies: [reply(A("rates.unknownOrg"), [menuButtonRow()])] };
    }
    const { counts } = result;
    const lines: Text[] = [
      A("rates.title", { org: raw(result.org.name), year: result.year }),
      A("rates.sx", { rate: rateText(result.sx), ...counts }),
      A("rates.xs", { rate: rateText(result.xs), ...counts }),
    ];
    if (result.children.length > 0) {
      lines.push(A("rates.childrenTitle"));
      for (const child of [...result.children].sort(byXs)) {
        lines.push(
          A("rates.child", {
            org: raw(child.org.name),
            sx: rateText(child.sx),
            xs: rateText(child.xs),
            ...child.counts,
          }),
        );
      }
    }
    return { state: null, replies: [reply(lines, [menuButtonRow()])] };
  },
  handle: () => ({ state: null, replies: [] }),
};
