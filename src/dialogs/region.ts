/**
 * R29: a leading organ's view of what waits anywhere below it, for /pending and the daily
 * digest: counts by stage and age, what R27 returns soon, and the applications oldest first,
 * a page at a time with the way to the next.
 */
import { z } from "zod";
import type { Season } from "../domain/calendar.ts";
import { isLeadingOrgan } from "../domain/organization.ts";
import type { OrgNode } from "../domain/tree.ts";
import { loadAdmin } from "../services/orgStore.ts";
import {
  ageBounds,
  type RegionSummary,
  regionItems,
  regionSummary,
} from "../services/regionQueue.ts";
import { defineAction } from "./defineAction.ts";
import { formatTime } from "./format.ts";
import { menuButtonRow, raw, reply, text } from "./replies.ts";
import type { Button, DialogContext, GlobalActionResult, Reply, Text } from "./types.ts";

/** A page of the region's list; a button from an older version opens the first page. */
const regionArgs = z
  .object({ page: z.number().catch(0), soon: z.boolean().catch(false) })
  .catch({ page: 0, soon: false });

const W = (key: string, params?: Text["params"]) => text(`workflow:${key}`, params);

/** Applications per page of the region list. */
export const REGION_PAGE = 10;

/** The summary lines: the total, each stage by age, and how many R27 returns soon. */
export function regionSummaryLines(summary: RegionSummary, season: Season): Text[] {
  if (summary.total === 0) return [W("region.none")];
  const [d0, d1, d2] = ageBounds(season) as [number, number, number];
  return [
    W("region.title", { count: summary.total }),
    ...summary.stages.map((s) =>
      W("region.stage", {
        state: text(`transfer:state.${s.state}`),
        count: s.count,
        ages: W("region.ages", {
          d0,
          d1,
          d2,
          d0next: d0 + 1,
          d1next: d1 + 1,
          a0: s.byAge[0] ?? 0,
          a1: s.byAge[1] ?? 0,
          a2: s.byAge[2] ?? 0,
          a3: s.byAge[3] ?? 0,
        }),
      }),
    ),
    W("region.soon", { count: summary.returningSoon }),
  ];
}

/** The buttons opening the list, and the list of those returned soon. */
export function regionButtons(summary: RegionSummary): Button[] {
  if (summary.total === 0) return [];
  return [
    regionAction.button(W("region.open", { count: summary.total }), { page: 0, soon: false }),
    ...(summary.returningSoon > 0
      ? [
          regionAction.button(W("region.openSoon", { count: summary.returningSoon }), {
            page: 0,
            soon: true,
          }),
        ]
      : []),
  ];
}

/** The organization whose region this admin may read: a leading organ's admins only (R29). */
async function regionOrg(ctx: DialogContext): Promise<OrgNode | null> {
  if (ctx.identity.adminId === null) return null;
  const admin = await loadAdmin(ctx.db, ctx.identity.adminId);
  return admin && isLeadingOrgan(admin.org) ? admin.org : null;
}

/** The summary as one message with its buttons, for /pending; none below a leading organ. */
export async function regionSummaryReply(ctx: DialogContext): Promise<Reply | null> {
  const org = await regionOrg(ctx);
  if (!org) return null;
  const summary = await regionSummary(ctx.db, org, ctx.now, ctx.season);
  const buttons = regionButtons(summary);
  return reply(regionSummaryLines(summary, ctx.season), buttons.length > 0 ? [buttons] : []);
}

/** One page of the region's list, oldest first, with the way to the pages around it. */
export const regionAction = defineAction("region", regionArgs, regionPage);

async function regionPage(
  ctx: DialogContext,
  { page, soon }: z.output<typeof regionArgs>,
): Promise<GlobalActionResult> {
  const org = await regionOrg(ctx);
  if (!org) return { replies: [reply(text("card:notAuthorized"))] };
  const summary = await regionSummary(ctx.db, org, ctx.now, ctx.season);
  const soonOnly = soon === true;
  const total = soonOnly ? summary.returningSoon : summary.total;
  const pages = Math.max(1, Math.ceil(total / REGION_PAGE));
  const p = Math.min(Math.max(0, typeof page === "number" ? Math.floor(page) : 0), pages - 1);
  const items = await regionItems(
    ctx.db,
    org,
    { offset: p * REGION_PAGE, limit: REGION_PAGE, soonOnly },
    ctx.now,
    ctx.season,
  );
  if (items.length === 0) return { replies: [reply(W("region.none"), [menuButtonRow()])] };
  const tz = ctx.season.timezone;
  const lines = [
    W(soonOnly ? "region.soonTitle" : "region.listTitle", { page: p + 1, pages, count: total }),
    ...items.map((i) =>
      W("region.item", {
        id: i.id,
        name: raw(i.memberName),
        org: raw(i.decidingOrgName),
        state: text(`transfer:state.${i.state}`),
        days: i.daysWaiting,
        at: formatTime(i.autoReturnAt, tz),
      }),
    ),
  ];
  const paging: Button[] = [];
  if (p > 0)
    paging.push(regionAction.button("chat:picker.previous", { page: p - 1, soon: soonOnly }));
  if (p < pages - 1)
    paging.push(regionAction.button("chat:picker.next", { page: p + 1, soon: soonOnly }));
  return { replies: [reply(lines, [...(paging.length > 0 ? [paging] : []), menuButtonRow()])] };
}
