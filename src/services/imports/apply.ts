/**
 * Applying a previewed import in ONE transaction, cancelling it, and undoing an applied one
 * while nothing has happened to what it added. Only the actor who previewed an import (or the
 * operator, for the CLI's) may apply, cancel or undo it.
 */
import { and, eq, sql } from "drizzle-orm";
import { type Db, isUniqueViolation, query, type Tx } from "../../db/client.ts";
import { createOrganization } from "../../db/orgTree.ts";
import { imports, organizations } from "../../db/schema.ts";
import type { ImportCounts, ImportState } from "../../domain/importRows.ts";
import { applyMonthToGraduates } from "../marks.ts";
import { demoDataPresent } from "./preview.ts";
import type { ImportActor, ImportRefusal } from "./types.ts";

/** Rolls the transaction back when what the preview saw is no longer so. */
class ChangedSincePreview extends Error {}

type Loaded = {
  ok: true;
  id: number;
  kind: (typeof imports.$inferSelect)["kind"];
  counts: ImportCounts;
  appliedAt: Date | null;
};

async function lockImport(
  tx: Tx,
  importId: number,
  actor: ImportActor,
  state: ImportState,
): Promise<Loaded | ImportRefusal> {
  const [row] = await tx.select().from(imports).where(eq(imports.id, importId)).for("update");
  if (!row) return { ok: false, reason: "unknown_import" };
  const mine = actor.kind === "admin" ? row.adminId === actor.adminId : row.adminId === null;
  if (!mine) return { ok: false, reason: "not_your_import" };
  if (row.state !== state) return { ok: false, reason: "wrong_state", state: row.state };
  return { ok: true, id: row.id, kind: row.kind, counts: row.counts, appliedAt: row.appliedAt };
}

async function applyMembers(tx: Tx, importId: number) {
  await query(
    tx,
    sql`insert into members (name, id_hash, id_sealed, branch_id, identity, graduation_branch_id,
          graduation_month, graduation_year, delayed_reason, ages_out, import_id)
        select name, id_hash, id_sealed, target_id, identity, graduation_branch_id,
          graduation_month, graduation_year, delayed_reason, false, import_id
        from import_rows where import_id = ${importId} and action = 'add' order by row_no`,
  );
  const [expected] = await query<{ n: number }>(
    tx,
    sql`select count(*)::int as n from import_rows
        where import_id = ${importId} and action in ('change', 'move')`,
  );
  // Each member as the preview saw them: in the same branch, and for a move still without an
  // application. Anyone else changed since, and the whole import waits for a new preview.
  const updated = await query<{ id: number }>(
    tx,
    sql`update members m set name = r.name, branch_id = r.target_id, identity = r.identity,
          graduation_month = r.graduation_month, graduation_year = r.graduation_year,
          graduation_branch_id = r.graduation_branch_id, delayed_reason = r.delayed_reason,
          ages_out = false
        from import_rows r
        where r.import_id = ${importId} and r.action in ('change', 'move') and m.id = r.existing_id
          and m.branch_id = (r.previous->>'branchId')::int
          and (r.action = 'change' or not exists (select 1 from applications a where a.member_id = m.id))
        returning m.id`,
  );
  if (updated.length !== (expected?.n ?? 0)) throw new ChangedSincePreview();
}

interface OrgPayload {
  name: string;
  kind: (typeof organizations.$inferInsert)["kind"];
  level: (typeof organizations.$inferInsert)["level"];
  domain: (typeof organizations.$inferInsert)["domain"];
  category: (typeof organizations.$inferInsert)["category"];
  institutionCode: string | null;
  hotline: string | null;
  graduationMonth: string | null;
  graduationUnsetReason: (typeof organizations.$inferInsert)["graduationUnsetReason"];
  parentRow: number | null;
}

async function applyOrganizations(tx: Tx, importId: number) {
  const rows = await query<{
    rowNo: number;
    action: string;
    targetId: number | null;
    existingId: number | null;
    payload: OrgPayload;
  }>(
    tx,
    sql`select row_no as "rowNo", action, target_id as "targetId", existing_id as "existingId", payload
        from import_rows where import_id = ${importId} and action in ('add', 'change') order by row_no`,
  );
  const created = new Map<number, number>();
  for (const r of rows) {
    const { parentRow, name, ...fields } = r.payload;
    if (r.action === "add") {
      const parentId = parentRow !== null ? created.get(parentRow) : r.targetId;
      if (parentId === undefined) throw new ChangedSincePreview();
      if (parentId !== null) {
        const [twin] = await tx
          .select({ id: organizations.id })
          .from(organizations)
          .where(and(eq(organizations.parentId, parentId), eq(organizations.name, name)));
        if (twin) throw new ChangedSincePreview();
      }
      const org = await createOrganization(tx, { ...fields, name, parentId, importId });
      created.set(r.rowNo, org.id);
    } else {
      await tx.update(organizations).set(fields).where(eq(organizations.id, r.existingId!));
      if (fields.kind === "branch")
        await applyMonthToGraduates(tx, r.existingId!, fields.graduationMonth);
    }
  }
}

async function applyAdmins(tx: Tx, importId: number) {
  await query(
    tx,
    sql`insert into admins (org_id, name, phone, import_id)
        select target_id, name, payload->>'phone', import_id from import_rows
        where import_id = ${importId} and action = 'add' order by row_no`,
  );
  await query(
    tx,
    sql`update admins a set phone = r.payload->>'phone' from import_rows r
        where r.import_id = ${importId} and r.action = 'change' and a.id = r.existing_id`,
  );
}

/** Applies a previewed import: all of it or, when anything changed since, nothing. */
export async function applyImport(
  db: Db,
  input: { importId: number; actor: ImportActor; now: Date },
): Promise<{ ok: true; counts: ImportCounts } | ImportRefusal> {
  try {
    return await db.transaction(async (tx) => {
      const loaded = await lockImport(tx, input.importId, input.actor, "previewed");
      if (!loaded.ok) return loaded;
      if (await demoDataPresent(tx)) return { ok: false, reason: "demo_data_on" } as const;
      if (loaded.kind === "members") await applyMembers(tx, loaded.id);
      else if (loaded.kind === "organizations") await applyOrganizations(tx, loaded.id);
      else await applyAdmins(tx, loaded.id);
      // What was added or left alone needs no row any more; changes keep theirs for undo.
      await query(
        tx,
        sql`delete from import_rows where import_id = ${loaded.id} and action in ('add', 'same')`,
      );
      await tx
        .update(imports)
        .set({ state: "applied", appliedAt: input.now })
        .where(eq(imports.id, loaded.id));
      return { ok: true, counts: loaded.counts } as const;
    });
  } catch (err) {
    if (err instanceof ChangedSincePreview || isUniqueViolation(err))
      return { ok: false, reason: "changed_since_preview" };
    throw err;
  }
}

export async function cancelImport(
  db: Db,
  input: { importId: number; actor: ImportActor },
): Promise<{ ok: true } | ImportRefusal> {
  return db.transaction(async (tx) => {
    const loaded = await lockImport(tx, input.importId, input.actor, "previewed");
    if (!loaded.ok) return loaded;
    await query(
      tx,
      sql`delete from import_rows where import_id = ${loaded.id} and action <> 'refused'`,
    );
    await tx.update(imports).set({ state: "cancelled" }).where(eq(imports.id, loaded.id));
    return { ok: true } as const;
  });
}

/** What of an import has been used since: members who filed or bound a chat, admins who bound. */
async function usedSince(tx: Tx, importId: number, kind: Loaded["kind"]): Promise<number> {
  const statement =
    kind === "members"
      ? sql`select count(*)::int as n from members m
            where (m.import_id = ${importId} or m.id in (select existing_id from import_rows
                   where import_id = ${importId} and action = 'move'))
              and (exists (select 1 from applications a where a.member_id = m.id)
                   or exists (select 1 from chat_identities c where c.member_id = m.id))`
      : kind === "admins"
        ? sql`select count(*)::int as n from admins a where a.import_id = ${importId}
                and exists (select 1 from chat_identities c where c.admin_id = a.id)`
        : sql`select count(*)::int as n from organizations o where o.import_id = ${importId}
                and (exists (select 1 from members m where m.branch_id = o.id)
                     or exists (select 1 from admins a where a.org_id = o.id)
                     or exists (select 1 from organizations c where c.parent_id = o.id and c.import_id is distinct from ${importId}))`;
  const [row] = await query<{ n: number }>(tx, statement);
  return row?.n ?? 0;
}

/** Undoes an applied import while nothing has happened to what it added (SPEC §7). */
export async function undoImport(
  db: Db,
  input: { importId: number; actor: ImportActor; now: Date },
): Promise<{ ok: true; counts: ImportCounts } | ImportRefusal> {
  return db.transaction(async (tx) => {
    const loaded = await lockImport(tx, input.importId, input.actor, "applied");
    if (!loaded.ok) return loaded;
    const used = await usedSince(tx, loaded.id, loaded.kind);
    if (used > 0) return { ok: false, reason: "undo_blocked", count: used } as const;
    const id = loaded.id;
    if (loaded.kind === "members") {
      await query(
        tx,
        sql`delete from binding_codes where used_at is null and member_id in (select id from members where import_id = ${id})`,
      );
      await query(tx, sql`delete from members where import_id = ${id}`);
      await query(
        tx,
        sql`update members m set name = r.previous->>'name', branch_id = (r.previous->>'branchId')::int,
              identity = r.previous->>'identity', graduation_month = r.previous->>'graduationMonth',
              graduation_year = (r.previous->>'graduationYear')::smallint,
              graduation_branch_id = (r.previous->>'graduationBranchId')::int,
              delayed_reason = r.previous->>'delayedReason'
            from import_rows r
            where r.import_id = ${id} and r.action in ('change', 'move') and m.id = r.existing_id`,
      );
    } else if (loaded.kind === "admins") {
      await query(
        tx,
        sql`delete from binding_codes where used_at is null and admin_id in (select id from admins where import_id = ${id})`,
      );
      await query(tx, sql`delete from admins where import_id = ${id}`);
      await query(
        tx,
        sql`update admins a set phone = r.previous->>'phone' from import_rows r
            where r.import_id = ${id} and r.action = 'change' and a.id = r.existing_id`,
      );
    } else {
      // Children before parents: the longest paths first.
      const added = await query<{ id: number }>(
        tx,
        sql`select id from organizations where import_id = ${id} order by length(path) desc`,
      );
      for (const o of added) await query(tx, sql`delete from organizations where id = ${o.id}`);
      const changed = await query<{ existingId: number; previous: Record<string, unknown> }>(
        tx,
        sql`select existing_id as "existingId", previous from import_rows
            where import_id = ${id} and action = 'change'`,
      );
      for (const c of changed) {
        await tx
          .update(organizations)
          .set(c.previous as never)
          .where(eq(organizations.id, c.existingId));
        const month = (c.previous.graduationMonth as string | null) ?? null;
        if (c.previous.kind === "branch") await applyMonthToGraduates(tx, c.existingId, month);
      }
    }
    await tx
      .update(imports)
      .set({ state: "undone", undoneAt: input.now })
      .where(eq(imports.id, id));
    return { ok: true, counts: loaded.counts } as const;
  });
}
