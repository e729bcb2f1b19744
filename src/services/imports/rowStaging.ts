/**
 * What each kind of row becomes before anything is compared with the members table: refused
 * with its column and reason, or a row to add / compare. Members and admins need only the
 * organization index; organizations add themselves to it so that later rows may name them.
 */
import type { Queryable } from "../../db/client.ts";
import { admins } from "../../db/schema.ts";
import {
  type HeaderMatch,
  type ImportKind,
  joinProblem,
  nearestLevel,
  type OrgRow,
  parseAdminRow,
  parseMemberRow,
  parseOrgRow,
  placeMember,
  placeOrganization,
  type RowProblem,
} from "../../domain/importRows.ts";
import type { SheetRow } from "../sheets/rows.ts";
import { isPending, type OrgIndex } from "./orgIndex.ts";
import type { StagedRow } from "./stage.ts";

export type RowStager = (row: SheetRow) => StagedRow;

const refused = (rowNo: number, p: RowProblem): StagedRow => ({
  rowNo,
  action: "refused",
  problemColumn: p.column,
  problem: p.problem,
  detail: p.detail ?? null,
});

export interface StagingContext {
  index: OrgIndex;
  columns: HeaderMatch["columns"];
  seasonYear: number;
  /** Today in the season's time zone, "YYYY-MM-DD" (R31 without a graduation month). */
  today: string;
  /** Whether a new organization may be a root (the operator on an empty tree). */
  rootsAllowed: boolean;
}

function memberStager(ctx: StagingContext): RowStager {
  return ({ row, cells }) => {
    const parsed = parseMemberRow(cells, ctx.columns);
    if (!parsed.ok) return refused(row, parsed);
    const branch = ctx.index.resolveStored(parsed.value.branchPath);
    if (!branch.ok) return refused(row, { column: "branch", problem: branch.problem });
    const placed = placeMember({
      row: parsed.value,
      branch: branch.org,
      alreadyThere: true,
      seasonYear: ctx.seasonYear,
      today: ctx.today,
    });
    if (!placed.ok) return refused(row, placed);
    return {
      rowNo: row,
      action: "add",
      // Settled against the members table: a member already in this branch may stay (R2).
      problem: joinProblem(branch.org),
      name: parsed.value.name,
      idNumber: parsed.value.idNumber,
      targetId: branch.org.id,
      ...placed.value,
    };
  };
}

/** The fields of an organization row as stored. */
function orgFields(row: OrgRow) {
  return {
    kind: row.kind,
    level: row.level,
    domain: row.domain,
    category: row.category,
    institutionCode: row.institutionCode,
    hotline: row.hotline,
    graduationMonth: row.graduationMonth,
    graduationUnsetReason: row.graduationUnsetReason,
  };
}

type OrgFields = ReturnType<typeof orgFields>;

function orgStager(ctx: StagingContext): RowStager {
  return ({ row, cells }) => {
    const parsed = parseOrgRow(cells, ctx.columns);
    if (!parsed.ok) return refused(row, parsed);
    const org = parsed.value;
    const fields = orgFields(org);
    const existing = ctx.index.resolve(org.path);
    if (existing.ok) {
      if (isPending(existing.org))
        return refused(row, { column: "path", problem: "duplicate_in_file" });
      const stored = existing.org;
      const before: OrgFields = {
        kind: stored.kind,
        level: stored.level,
        domain: stored.domain,
        category: stored.category as OrgFields["category"],
        institutionCode: stored.institutionCode,
        hotline: ctx.index.hotlines.get(stored.id) ?? null,
        graduationMonth: stored.graduationMonth,
        graduationUnsetReason: stored.graduationUnsetReason,
      };
      const same = (Object.keys(fields) as (keyof OrgFields)[]).every(
        (k) => fields[k] === before[k],
      );
      if (same) return { rowNo: row, action: "same", existingId: stored.id };
      if (stored.kind !== fields.kind)
        return refused(row, { column: "kind", problem: "kind_changed" });
      if (ctx.index.scope && stored.id === ctx.index.scope.id)
        return refused(row, { column: "path", problem: "outside_scope" });
      if (stored.category === "graduate" && fields.graduationMonth !== stored.graduationMonth)
        return refused(row, { column: "graduationMonth", problem: "use_change_request" });
      return {
        rowNo: row,
        action: "change",
        existingId: stored.id,
        payload: fields,
        previous: before,
      };
    }
    if (existing.problem === "outside_scope" || existing.problem === "ambiguous_path")
      return refused(row, { column: "path", problem: existing.problem });
    const name = org.path.at(-1)!;
    if (org.path.length === 1) {
      if (!ctx.rootsAllowed) return refused(row, { column: "path", problem: "root_not_allowed" });
      ctx.index.addPending({
        pendingRow: row,
        name,
        kind: org.kind,
        level: org.level,
        parent: null,
      });
      return { rowNo: row, action: "add", payload: { ...fields, name, parentRow: null } };
    }
    const parent = ctx.index.resolve(org.path.slice(0, -1));
    if (!parent.ok)
      return refused(row, {
        column: "path",
        problem: parent.problem === "unknown_path" ? "parent_unknown" : parent.problem,
      });
    const p = placeOrganization({
      row: org,
      parent: parent.org,
      levelAbove: nearestLevel(ctx.index.levelsAbove(parent.org).map((level) => ({ level }))),
      seasonYear: ctx.seasonYear,
    });
    if (p) return refused(row, p);
    ctx.index.addPending({
      pendingRow: row,
      name,
      kind: org.kind,
      level: org.level,
      parent: parent.org,
    });
    return {
      rowNo: row,
      action: "add",
      targetId: isPending(parent.org) ? null : parent.org.id,
      payload: { ...fields, name, parentRow: isPending(parent.org) ? parent.org.pendingRow : null },
    };
  };
}

async function adminStager(tx: Queryable, ctx: StagingContext): Promise<RowStager> {
  const known = new Map<string, { id: number; phone: string | null }>();
  const rows = await tx
    .select({ id: admins.id, orgId: admins.orgId, name: admins.name, phone: admins.phone })
    .from(admins);
  for (const a of rows)
    if (ctx.index.get(a.orgId)) known.set(`${a.orgId}/${a.name}`, { id: a.id, phone: a.phone });
  const seen = new Set<string>();
  return ({ row, cells }) => {
    const parsed = parseAdminRow(cells, ctx.columns);
    if (!parsed.ok) return refused(row, parsed);
    const org = ctx.index.resolveStored(parsed.value.orgPath);
    if (!org.ok) return refused(row, { column: "org", problem: org.problem });
    const key = `${org.org.id}/${parsed.value.name}`;
    if (seen.has(key)) return refused(row, { column: "name", problem: "duplicate_in_file" });
    seen.add(key);
    const existing = known.get(key);
    const payload = { phone: parsed.value.phone };
    if (!existing)
      return { rowNo: row, action: "add", name: parsed.value.name, targetId: org.org.id, payload };
    if (existing.phone === parsed.value.phone)
      return { rowNo: row, action: "same", existingId: existing.id };
    return {
      rowNo: row,
      action: "change",
      name: parsed.value.name,
      targetId: org.org.id,
      existingId: existing.id,
      payload,
      previous: { phone: existing.phone },
    };
  };
}

export async function rowStager(
  tx: Queryable,
  kind: ImportKind,
  ctx: StagingContext,
): Promise<RowStager> {
  if (kind === "members") return memberStager(ctx);
  if (kind === "organizations") return orgStager(ctx);
  return adminStager(tx, ctx);
}
