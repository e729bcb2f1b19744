/** Loading organizations and admins as the domain sees them. */
import { eq, inArray, type SQL, sql } from "drizzle-orm";
import type { BuildAliasTable } from "drizzle-orm/pg-core";
import { type Queryable, query, type Tx } from "../db/client.ts";
import { createOrganization } from "../db/orgTree.ts";
import { organizations } from "../db/schema.ts";
import naming from "../domain/naming.json" with { type: "json" };
import type { OrgCategory } from "../domain/organization.ts";
import type { AdminActor } from "../domain/permissions.ts";
import { type OrgNode, pathIds } from "../domain/tree.ts";

/** The columns the domain's OrgNode needs, of `organizations` or an alias of it. */
export function orgColumnsOf(
  t: typeof organizations | BuildAliasTable<typeof organizations, string>,
) {
  return {
    id: t.id,
    parentId: t.parentId,
    path: t.path,
    name: t.name,
    kind: t.kind,
    level: t.level,
    domain: t.domain,
    category: t.category,
    institutionCode: t.institutionCode,
    provinceId: t.provinceId,
    isSystemCommittee: t.isSystemCommittee,
    isExternalProvince: t.isExternalProvince,
    graduationMonth: t.graduationMonth,
    graduationUnsetReason: t.graduationUnsetReason,
  };
}

export const orgColumns = orgColumnsOf(organizations);

/**
 * An OrgNode as one json column, for hand-written statements: `json_build_object(...)` over the
 * organization aliased `alias`, made from the same column list as `orgColumns`.
 */
export function orgNodeJson(alias: string): SQL {
  const pairs = Object.entries(orgColumns).map(
    ([key, column]) => `'${key}', ${alias}.${column.name}`,
  );
  return sql.raw(`json_build_object(${pairs.join(", ")})`);
}

export async function loadOrg(
  tx: Queryable,
  id: number | null | undefined,
): Promise<OrgNode | undefined> {
  if (id === null || id === undefined || !Number.isInteger(id)) return undefined;
  const [org] = await tx.select(orgColumns).from(organizations).where(eq(organizations.id, id));
  return org;
}

/** The organization's ancestors root first, ending with the organization itself. */
export async function loadChain(tx: Queryable, org: OrgNode): Promise<OrgNode[]> {
  const ids = pathIds(org.path);
  const rows = await tx
    .select(orgColumns)
    .from(organizations)
    .where(inArray(organizations.id, ids));
  const byId = new Map(rows.map((r) => [r.id, r]));
  return ids.map((id) => byId.get(id)).filter((o): o is OrgNode => o !== undefined);
}

const ADMIN_ORG = orgNodeJson("o");

export async function loadAdmin(
  tx: Queryable,
  adminId: number,
): Promise<(AdminActor & { name: string; phone: string | null }) | undefined> {
  if (!Number.isInteger(adminId)) return undefined;
  const [row] = await query<AdminActor & { name: string; phone: string | null }>(
    tx,
    sql`select a.id as "adminId", a.name, a.phone, ${ADMIN_ORG} as org
        from admins a join organizations o on o.id = a.org_id
        where a.id = ${adminId} and a.removed_at is null`,
  );
  return row;
}

/**
 * A system-made branch under a school or province (overseas, flow, delayed-graduation,
 * special-unit library): found, or created on demand (R9, R15, R16, R17).
 */
export async function systemBranch(
  tx: Tx,
  parent: OrgNode,
  category: Extract<
    OrgCategory,
    "overseas_branch" | "flow_branch" | "delayed_graduation" | "special_unit_library"
  >,
): Promise<OrgNode> {
  const existing = await tx
    .select(orgColumns)
    .from(organizations)
    .where(eq(organizations.parentId, parent.id));
  const found = existing.find((o) => o.category === category);
  if (found) return found;
  const suffix = {
    overseas_branch: naming.overseasBranchSuffix,
    flow_branch: naming.flowBranchSuffix,
    delayed_graduation: naming.delayedGraduationSuffix,
    special_unit_library: naming.specialUnitLibrarySuffix,
  }[category];
  const created = await createOrganization(tx, {
    parentId: parent.id,
    name: `${parent.name}${suffix}`,
    kind: "branch",
    domain: category === "special_unit_library" ? "other" : parent.domain,
    category,
    schoolId: parent.domain === "school" ? parent.id : null,
  });
  return (await loadOrg(tx, created.id))!;
}
