/** Loading organizations and admins as the domain sees them. */
import { eq, sql } from "drizzle-orm";
import { type Queryable, query, type Tx } from "../db/client.ts";
import { createOrganization } from "../db/orgTree.ts";
import { activeAdmin } from "../db/queries/admins.ts";
import { orgColumns, orgFields } from "../db/queries/organizations.ts";
import { organizations } from "../db/schema.ts";
import naming from "../domain/naming.json" with { type: "json" };
import type { OrgCategory } from "../domain/organization.ts";
import type { AdminActor } from "../domain/permissions.ts";
import type { OrgNode } from "../domain/tree.ts";

// Hand-written: these run several times in every filing and decision, and the query builder
// takes longer to compose a select of these columns than PostgreSQL takes to answer it.
const ORG = orgFields("o");

const isId = (id: number | null | undefined): id is number =>
  id !== null && id !== undefined && Number.isInteger(id);

export async function loadOrg(
  tx: Queryable,
  id: number | null | undefined,
): Promise<OrgNode | undefined> {
  if (!isId(id)) return undefined;
  const [org] = await query<OrgNode>(
    tx,
    sql`select ${ORG} from organizations o where o.id = ${id}`,
  );
  return org;
}

/** The organization's ancestors root first, ending with the organization itself. */
export function loadChain(tx: Queryable, org: OrgNode): Promise<OrgNode[]> {
  return loadWithChain(tx, org.id);
}

/**
 * The organization `id` and its ancestors, root first (it is the last), in one statement; empty
 * when there is no such organization.
 */
export async function loadWithChain(
  tx: Queryable,
  id: number | null | undefined,
): Promise<OrgNode[]> {
  if (!isId(id)) return [];
  // An ancestor's path is a prefix of its descendant's: shorter comes first.
  return query<OrgNode>(
    tx,
    sql`select ${ORG} from organizations b
        join organizations o
          on o.id = any(string_to_array(trim(both '/' from b.path), '/')::int[])
        where b.id = ${id}
        order by length(o.path)`,
  );
}

export async function loadAdmin(
  tx: Queryable,
  adminId: number,
): Promise<(AdminActor & { name: string; phone: string | null }) | undefined> {
  if (!Number.isInteger(adminId)) return undefined;
  return activeAdmin(tx, adminId);
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
