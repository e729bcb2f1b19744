/**
 * FQ, SX, XS and DW (SPEC §5) of the admin's organization for the season's graduation year,
 * with the counts behind them, each against its target due next (children below it worst
 * first), and each child region, worst XS first.
 */
import { loadAdmin } from "../../../services/orgStore.ts";
import { rates } from "../../../services/rates.ts";
import { targetReport } from "../../../services/targets.ts";
import { isAdminContext } from "../../defineAction.ts";
import { breakdownLines, indicatorLines } from "../../rateLines.ts";
import { menuButtonRow, raw, reply } from "../../replies.ts";
import { adminOnly } from "../../steps.ts";
import { targetReportLines } from "../../targetLines.ts";
import type { Flow, Text } from "../../types.ts";
import { A, adminIdOf } from "./common.ts";

export const ratesFlow: Flow = {
  name: "rates",
  requires: "admin",
  async start(ctx) {
    if (!isAdminContext(ctx)) return adminOnly();
    const admin = await loadAdmin(ctx.db, adminIdOf(ctx));
    const result = admin ? await rates(ctx.db, admin.org.id, ctx.season.year, ctx.now) : null;
    if (!result?.ok) {
      return { state: null, replies: [reply(A("rates.unknownOrg"), [menuButtonRow()])] };
    }
    const lines: Text[] = [
      A("rates.title", { org: raw(result.org.name), year: result.year }),
      ...indicatorLines(result),
      ...targetReportLines(await targetReport(ctx.db, result, ctx.now, ctx.season)),
      ...breakdownLines(result),
    ];
    return { state: null, replies: [reply(lines, [menuButtonRow()])] };
  },
  handle: () => ({ state: null, replies: [] }),
};
