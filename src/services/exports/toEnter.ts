/**
 * 待录入智慧团建 (SPEC §7): completed transfers that still have to be recorded in 智慧团建, the
 * system of record, which has no API. Interpretation: a transfer belongs to the list of every
 * organization whose subtree it leaves or enters (out-organization, receiver or assigned
 * branch) — it is entered once in 智慧团建, so whoever enters it ticks it off for all of them.
 */
import { sql } from "drizzle-orm";
import { type Db, type Queryable, query } from "../../db/client.ts";
import { within } from "../../db/queries/subtree.ts";
import { zhtjEntries } from "../../db/schema.ts";
import { openIdNumber } from "../../db/sealing.ts";
import type { TransferReason } from "../../domain/application.ts";
import { maskIdNumber } from "../../domain/idNumber.ts";
import { loadAdmin } from "../orgStore.ts";
import { PAGE_ROWS, paged } from "./scope.ts";
import type { ExportContext, ExportViewer } from "./types.ts";

export interface ToEnterRow {
  id: number;
  name: string;
  idNumber: string;
  fromOrg: string;
  toOrg: string;
  reason: TransferReason;
  decidedAt: Date | null;
  decidedBy: string | null;
}

/**
 * Completed, not yet entered, and touching the subtree at `path`: its organizations as one
 * array, so each of the three ways in is an index scan of the completed transfers (a digest
 * asks this for every bound chat, every day; read by organization path instead, each asking
 * read every completed transfer of the season).
 */
const listed = (path: string) => sql`
  a.state = 'completed'
  and (a.from_org_id = any(array(select s.id from organizations s where ${within(sql`s.path`, path)}))
       or a.to_org_id = any(array(select s.id from organizations s where ${within(sql`s.path`, path)}))
       or a.assigned_branch_id = any(array(select s.id from organizations s
                                           where ${within(sql`s.path`, path)})))
  and not exists (select 1 from zhtj_entries z where z.application_id = a.id)`;

const FROM = sql`
  from applications a
  join members m on m.id = a.member_id
  join organizations fo on fo.id = a.from_org_id
  left join organizations t on t.id = a.to_org_id
  left join organizations ab on ab.id = a.assigned_branch_id
  left join admins d on d.id = a.decided_by_admin_id`;

interface Raw {
  id: number;
  name: string;
  sealed: string | null;
  from_org: string;
  to_org: string | null;
  reason: TransferReason;
  decided_at: Date | null;
  decider: string | null;
}

async function page(db: Queryable, path: string, afterId: number) {
  return query<Raw>(
    db,
    sql`select a.id, m.name, m.id_sealed as sealed, fo.name as from_org,
          coalesce(ab.name, t.name, a.external_org_name) as to_org, a.reason,
          a.decided_at, d.name as decider
        ${FROM}
        where ${listed(path)} and a.id > ${afterId}
        order by a.id limit ${PAGE_ROWS}`,
    { decided_at: "date" },
  );
}

/** The list, in application order, read a page at a time. */
export async function* toEnterRows(
  db: Queryable,
  viewer: ExportViewer,
): AsyncGenerator<ToEnterRow> {
  const rows = paged<Raw>((after) => page(db, viewer.org.path, after?.id ?? 0));
  for await (const r of rows) {
    const idNumber = openIdNumber(r.sealed);
    yield {
      id: r.id,
      name: r.name,
      idNumber: viewer.fullIds ? idNumber : maskIdNumber(idNumber),
      fromOrg: r.from_org,
      toOrg: r.to_org ?? "",
      reason: r.reason,
      decidedAt: r.decided_at,
      decidedBy: r.decider,
    };
  }
}

/** How many wait to be entered for the organization at `path` (the digest's count). */
export async function countToEnter(db: Queryable, path: string): Promise<number> {
  const [row] = await query<{ n: number }>(
    db,
    sql`select count(*)::int as n from applications a where ${listed(path)}`,
  );
  return row?.n ?? 0;
}

/** One page of the list by name (the chat's one-by-one ticking). */
export async function toEnterPage(
  db: Queryable,
  path: string,
  offset: number,
  limit: number,
): Promise<{ id: number; name: string }[]> {
  return query<{ id: number; name: string }>(
    db,
    sql`select a.id, m.name ${FROM} where ${listed(path)}
        order by a.id limit ${limit} offset ${offset}`,
  );
}

export type Entered =
  | { ok: true; entered: number; skipped: number }
  | { ok: false; reason: "unknown_admin" };

/**
 * Ticks transfers off as entered in 智慧团建, by an admin whose list holds them; ids that are
 * not on it (someone else's, already ticked, not completed) are skipped, never written.
 */
export async function markEntered(
  db: Db,
  input: { adminId: number; applicationIds: number[]; now: Date },
): Promise<Entered> {
  return db.transaction(async (tx) => {
    const admin = await loadAdmin(tx, input.adminId);
    if (!admin) return { ok: false, reason: "unknown_admin" };
    const wanted = [...new Set(input.applicationIds.filter(Number.isInteger))];
    if (wanted.length === 0) return { ok: true, entered: 0, skipped: 0 };
    const onList: number[] = [];
    for (let i = 0; i < wanted.length; i += PAGE_ROWS) {
      const chunk = wanted.slice(i, i + PAGE_ROWS);
      const rows = await query<{ id: number }>(
        tx,
        sql`select a.id ${FROM} where ${listed(admin.org.path)}
            and a.id = any(${sql.param(chunk)}::int[])`,
      );
      onList.push(...rows.map((r) => r.id));
    }
    let entered = 0;
    for (let i = 0; i < onList.length; i += PAGE_ROWS) {
      const done = await tx
        .insert(zhtjEntries)
        .values(
          onList.slice(i, i + PAGE_ROWS).map((applicationId) => ({
            applicationId,
            enteredByAdminId: admin.adminId,
            enteredAt: input.now,
          })),
        )
        .onConflictDoNothing()
        .returning({ id: zhtjEntries.applicationId });
      entered += done.length;
    }
    return { ok: true, entered, skipped: wanted.length - entered };
  });
}

/** The sheet's columns. */
export function toEnterSheet(ctx: ExportContext) {
  const h = (key: string) => ctx.t(`export:columns.${key}`);
  return {
    name: ctx.t("export:kind.toEnter"),
    timeZone: ctx.season.timezone,
    columns: [
      { header: h("applicationId"), kind: "integer" as const, value: (r: ToEnterRow) => r.id },
      { header: h("name"), kind: "text" as const, value: (r: ToEnterRow) => r.name },
      { header: h("idNumber"), kind: "text" as const, value: (r: ToEnterRow) => r.idNumber },
      { header: h("fromOrg"), kind: "text" as const, value: (r: ToEnterRow) => r.fromOrg },
      { header: h("toOrg"), kind: "text" as const, value: (r: ToEnterRow) => r.toOrg },
      {
        header: h("reason"),
        kind: "text" as const,
        value: (r: ToEnterRow) => ctx.t(`transfer:reason.${r.reason}`),
      },
      { header: h("decidedAt"), kind: "datetime" as const, value: (r: ToEnterRow) => r.decidedAt },
      { header: h("decidedBy"), kind: "text" as const, value: (r: ToEnterRow) => r.decidedBy },
    ],
  };
}
