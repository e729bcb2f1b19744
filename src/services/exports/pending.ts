/**
 * The pending list of a region: every open application waiting at an organization of the
 * subtree, or leaving it (its member's out-organization is inside, the decision elsewhere),
 * oldest stage first, with how long it has waited and when R27 returns it.
 */
import { sql } from "drizzle-orm";
import { type Db, query } from "../../db/client.ts";
import { within } from "../../db/queries/subtree.ts";
import { openIdNumber } from "../../db/sealing.ts";
import type { ApplicationState, TransferReason } from "../../domain/application.ts";
import { autoReturnAt, daysWaiting } from "../../domain/calendar.ts";
import { maskIdNumber } from "../../domain/idNumber.ts";
import { OPEN_STATES } from "../../domain/lifecycle.ts";
import { PAGE_ROWS, paged } from "./scope.ts";
import type { ExportContext } from "./types.ts";

export interface PendingRow {
  id: number;
  name: string;
  idNumber: string;
  state: ApplicationState;
  waitsAt: string;
  fromOrg: string;
  toOrg: string;
  reason: TransferReason;
  stageSince: Date;
  days: number;
  autoReturnAt: Date;
}

interface Raw {
  id: number;
  name: string;
  sealed: string | null;
  state: ApplicationState;
  waits_at: string | null;
  from_org: string;
  to_org: string | null;
  reason: TransferReason;
  since: Date;
}

export async function* pendingRows(db: Db, ctx: ExportContext): AsyncGenerator<PendingRow> {
  const { path } = ctx.viewer.org;
  const open = sql.join(
    OPEN_STATES.map((s) => sql`${s}`),
    sql`, `,
  );
  const rows = paged<Raw>((after) =>
    query<Raw>(
      db,
      sql`select a.id, m.name, m.id_sealed as sealed, a.state, w.name as waits_at,
            fo.name as from_org, coalesce(t.name, a.external_org_name) as to_org, a.reason,
            a.stage_since as since
          from applications a
          join members m on m.id = a.member_id
          join organizations fo on fo.id = a.from_org_id
          left join organizations t on t.id = a.to_org_id
          left join organizations w on w.id = a.deciding_org_id
          where a.state in (${open})
            and (${within(sql`coalesce(w.path, '')`, path)} or ${within(sql`fo.path`, path)})
            ${after ? sql`and (a.stage_since, a.id) > (${after.since.toISOString()}::timestamptz, ${after.id})` : sql``}
          order by a.stage_since, a.id limit ${PAGE_ROWS}`,
      { since: "date" },
    ),
  );
  for await (const r of rows) {
    const idNumber = openIdNumber(r.sealed);
    const stageSince = r.since;
    yield {
      id: r.id,
      name: r.name,
      idNumber: ctx.viewer.fullIds ? idNumber : maskIdNumber(idNumber),
      state: r.state,
      waitsAt: r.waits_at ?? "",
      fromOrg: r.from_org,
      toOrg: r.to_org ?? "",
      reason: r.reason,
      stageSince,
      days: daysWaiting(stageSince, ctx.now),
      autoReturnAt: autoReturnAt(ctx.season, stageSince),
    };
  }
}

export function pendingSheet(ctx: ExportContext) {
  const h = (key: string) => ctx.t(`export:columns.${key}`);
  return {
    name: ctx.t("export:kind.pending"),
    timeZone: ctx.season.timezone,
    columns: [
      { header: h("applicationId"), kind: "integer" as const, value: (r: PendingRow) => r.id },
      { header: h("name"), kind: "text" as const, value: (r: PendingRow) => r.name },
      { header: h("idNumber"), kind: "text" as const, value: (r: PendingRow) => r.idNumber },
      {
        header: h("state"),
        kind: "text" as const,
        value: (r: PendingRow) => ctx.t(`transfer:state.${r.state}`),
      },
      { header: h("waitsAt"), kind: "text" as const, value: (r: PendingRow) => r.waitsAt },
      { header: h("fromOrg"), kind: "text" as const, value: (r: PendingRow) => r.fromOrg },
      { header: h("toOrg"), kind: "text" as const, value: (r: PendingRow) => r.toOrg },
      {
        header: h("reason"),
        kind: "text" as const,
        value: (r: PendingRow) => ctx.t(`transfer:reason.${r.reason}`),
      },
      {
        header: h("stageSince"),
        kind: "datetime" as const,
        value: (r: PendingRow) => r.stageSince,
      },
      { header: h("daysWaiting"), kind: "integer" as const, value: (r: PendingRow) => r.days },
      {
        header: h("autoReturnAt"),
        kind: "datetime" as const,
        value: (r: PendingRow) => r.autoReturnAt,
      },
    ],
  };
}
