/**
 * The application history of a region (R25): every recorded action on the applications that
 * leave or enter the subtree (out-organization, receiver, assigned branch or deciding
 * organization inside), application by application, in the order they happened.
 */
import { sql } from "drizzle-orm";
import { type Db, query } from "../../db/client.ts";
import { within } from "../../db/queries/subtree.ts";
import { openIdNumber } from "../../db/sealing.ts";
import type { ApplicationState, HistoryAction, TransferReason } from "../../domain/application.ts";
import { maskIdNumber } from "../../domain/idNumber.ts";
import { PAGE_ROWS, paged } from "./scope.ts";
import type { ExportContext } from "./types.ts";

export interface HistoryRow {
  applicationId: number;
  name: string;
  idNumber: string;
  reason: TransferReason;
  action: HistoryAction;
  fromState: ApplicationState | null;
  toState: ApplicationState;
  actor: string | null;
  actorKind: "member" | "admin" | "system";
  at: Date;
  note: string | null;
}

interface Raw {
  hid: number;
  application_id: number;
  name: string;
  sealed: string | null;
  reason: TransferReason;
  action: HistoryAction;
  from_state: ApplicationState | null;
  to_state: ApplicationState;
  actor_kind: "member" | "admin" | "system";
  actor: string | null;
  at: Date;
  note: string | null;
}

export async function* historyRows(db: Db, ctx: ExportContext): AsyncGenerator<HistoryRow> {
  const { path } = ctx.viewer.org;
  const inside = (column: string) => within(sql.raw(`coalesce(${column}.path, '')`), path);
  const rows = paged<Raw>((after) =>
    query<Raw>(
      db,
      sql`select h.id as hid, h.application_id, m.name, m.id_sealed as sealed, a.reason,
            h.action, h.from_state, h.to_state, h.actor_kind,
            coalesce(ad.name, am.name) as actor, h.at, h.note
          from application_history h
          join applications a on a.id = h.application_id
          join members m on m.id = a.member_id
          join organizations fo on fo.id = a.from_org_id
          left join organizations t on t.id = a.to_org_id
          left join organizations ab on ab.id = a.assigned_branch_id
          left join organizations w on w.id = a.deciding_org_id
          left join admins ad on ad.id = h.actor_admin_id
          left join members am on am.id = h.actor_member_id
          where (${inside("fo")} or ${inside("t")} or ${inside("ab")} or ${inside("w")})
            ${after ? sql`and (h.application_id, h.id) > (${after.application_id}, ${after.hid})` : sql``}
          order by h.application_id, h.id limit ${PAGE_ROWS}`,
      { at: "date" },
    ),
  );
  for await (const r of rows) {
    const idNumber = openIdNumber(r.sealed);
    yield {
      applicationId: r.application_id,
      name: r.name,
      idNumber: ctx.viewer.fullIds ? idNumber : maskIdNumber(idNumber),
      reason: r.reason,
      action: r.action,
      fromState: r.from_state,
      toState: r.to_state,
      actor: r.actor,
      actorKind: r.actor_kind,
      at: r.at,
      note: r.note,
    };
  }
}

export function historySheet(ctx: ExportContext) {
  const h = (key: string) => ctx.t(`export:columns.${key}`);
  const state = (s: ApplicationState | null) => (s ? ctx.t(`transfer:state.${s}`) : "");
  return {
    name: ctx.t("export:kind.history"),
    timeZone: ctx.season.timezone,
    columns: [
      {
        header: h("applicationId"),
        kind: "integer" as const,
        value: (r: HistoryRow) => r.applicationId,
      },
      { header: h("name"), kind: "text" as const, value: (r: HistoryRow) => r.name },
      { header: h("idNumber"), kind: "text" as const, value: (r: HistoryRow) => r.idNumber },
      {
        header: h("reason"),
        kind: "text" as const,
        value: (r: HistoryRow) => ctx.t(`transfer:reason.${r.reason}`),
      },
      {
        header: h("action"),
        kind: "text" as const,
        value: (r: HistoryRow) => ctx.t(`transfer:action.${r.action}`),
      },
      {
        header: h("fromState"),
        kind: "text" as const,
        value: (r: HistoryRow) => state(r.fromState),
      },
      { header: h("toState"), kind: "text" as const, value: (r: HistoryRow) => state(r.toState) },
      {
        header: h("actor"),
        kind: "text" as const,
        value: (r: HistoryRow) =>
          r.actorKind === "system" ? ctx.t("export:actor.system") : (r.actor ?? ""),
      },
      { header: h("at"), kind: "datetime" as const, value: (r: HistoryRow) => r.at },
      { header: h("note"), kind: "text" as const, value: (r: HistoryRow) => r.note },
    ],
  };
}
