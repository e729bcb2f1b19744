/**
 * Organization use cases: flow branches (R1), graduate organizations offered for deletion
 * (R3), locating a member (R5), and the destination search of the wizard (R2, R13–R15, Q2.6).
 */
import { and, asc, eq, ilike, inArray, isNull, ne, sql } from "drizzle-orm";
import { atomically, type Db } from "../db/client.ts";
import { createOrganization } from "../db/orgTree.ts";
import { orgColumns } from "../db/queries/organizations.ts";
import { within } from "../db/queries/subtree.ts";
import {
  admins,
  bindingCodes,
  chatBindings,
  chatIdentities,
  markHistory,
  members,
  organizations,
} from "../db/schema.ts";
import {
  type AdminActor,
  canDeleteGraduateOrg,
  checkFlowBranchCreation,
  mayCreateFlowBranch,
} from "../domain/permissions.ts";
import { destinationProblem, type TransferRequest } from "../domain/transferRules.ts";
import { type OrgNode, pathIds } from "../domain/tree.ts";
import { findMemberByNameAndIdNumber } from "./memberLookups.ts";
import { loadAdmin, loadOrg } from "./orgStore.ts";
import { type Refusal, refuse } from "./result.ts";

/** R1: a school committee with an institution code, or a county committee, makes one. */
export async function createFlowBranch(
  db: Db,
  input: { adminId: number; name: string },
): Promise<{ ok: true; orgId: number } | Refusal> {
  const name = input.name.trim();
  return db.transaction(async (tx) => {
    const admin = await loadAdmin(tx, input.adminId);
    if (!admin) return refuse({ reason: "unknown_admin" });
    const check = checkFlowBranchCreation(admin.org, name);
    if (!check.ok) return refuse({ reason: check.reason });
    const created = await createOrganization(tx, {
      parentId: admin.org.id,
      name,
      kind: "branch",
      domain: admin.org.domain,
      category: "flow_branch",
      schoolId: admin.org.domain === "school" ? admin.org.id : null,
    });
    return { ok: true, orgId: created.id };
  });
}

/** R1: whether this admin's organization may create flow branches (to offer it at all). */
export async function canCreateFlowBranch(db: Db, input: { adminId: number }): Promise<boolean> {
  const admin = await loadAdmin(db, input.adminId);
  return admin !== undefined && mayCreateFlowBranch(admin.org);
}

/**
 * R3: graduate organizations in an admin's subtree whose members have all transferred out:
 * someone graduated from it and nobody is left in it.
 */
function emptiedGraduateOrgs(admin: AdminActor) {
  return and(
    eq(organizations.category, "graduate"),
    isNull(organizations.deletedAt),
    within(organizations.path, admin.org.path),
    ne(organizations.id, admin.org.id),
    sql`exists (select 1 from ${members} m where m.graduation_branch_id = ${organizations.id})`,
    sql`not exists (select 1 from ${members} m where m.branch_id = ${organizations.id})`,
  );
}

/** R3: what is offered for deletion to this admin, by name. */
export async function graduateOrgsToDelete(db: Db, input: { adminId: number }) {
  const admin = await loadAdmin(db, input.adminId);
  if (!admin) return refuse({ reason: "unknown_admin" });
  const rows = await db
    .select({ id: organizations.id, name: organizations.name })
    .from(organizations)
    .where(emptiedGraduateOrgs(admin))
    .orderBy(asc(organizations.name));
  return { ok: true as const, orgs: rows };
}

/**
 * R3: deletes an offered graduate organization. The row stays for history (members' graduation
 * branch, applications, decisions name it); it leaves every list, its chats are unbound and its
 * own admins removed, and its unused binding codes expire. Checked again inside the transaction:
 * a member who arrived since the offer keeps it alive.
 */
export async function deleteGraduateOrg(
  db: Db,
  input: { adminId: number; orgId: number; now: Date },
): Promise<{ ok: true; name: string } | Refusal> {
  return atomically(db, async (tx) => {
    const admin = await loadAdmin(tx, input.adminId);
    if (!admin) return refuse({ reason: "unknown_admin" });
    const org = await loadOrg(tx, input.orgId);
    if (!org || !canDeleteGraduateOrg(admin, org)) return refuse({ reason: "not_permitted" });
    const [deleted] = await tx
      .update(organizations)
      .set({ deletedAt: input.now })
      .where(and(eq(organizations.id, org.id), emptiedGraduateOrgs(admin)))
      .returning({ id: organizations.id });
    if (!deleted) return refuse({ reason: "graduate_org_not_empty", orgName: org.name });
    await tx.delete(chatBindings).where(eq(chatBindings.orgId, org.id));
    const removed = await tx
      .update(admins)
      .set({ removedAt: input.now })
      .where(and(eq(admins.orgId, org.id), isNull(admins.removedAt)))
      .returning({ id: admins.id });
    if (removed.length > 0) {
      const ids = removed.map((r) => r.id);
      await tx.delete(chatIdentities).where(inArray(chatIdentities.adminId, ids));
      await tx
        .update(bindingCodes)
        .set({ expiresAt: input.now })
        .where(and(inArray(bindingCodes.adminId, ids), isNull(bindingCodes.usedAt)));
    }
    await tx.insert(markHistory).values({
      orgId: org.id,
      action: "deleted",
      actorAdminId: admin.adminId,
      at: input.now,
    });
    return { ok: true, name: org.name };
  });
}

/**
 * R5 (Q2.5): any admin who gives a member's name and ID number sees where the member is and
 * how to reach that organization's admins; nothing else about the member. A wrong name looks
 * the same as an unknown number, so the lookup reveals nothing; it is budgeted and recorded
 * (memberLookups.ts).
 */
export async function locateMember(
  db: Db,
  input: { adminId: number; name: string; idNumber: string; now: Date },
): Promise<
  | {
      ok: true;
      orgName: string;
      hotline: string | null;
      admins: { name: string; phone: string | null }[];
    }
  | Refusal
> {
  return atomically(db, async (tx) => {
    const admin = await loadAdmin(tx, input.adminId);
    if (!admin) return refuse({ reason: "unknown_admin" });
    const found = await findMemberByNameAndIdNumber(tx, { ...input, purpose: "locate" });
    if (!found.ok) return found;
    const org = await loadOrg(tx, found.member.branchId);
    if (!org) return refuse({ reason: "unknown_org" });
    // A branch without admins of its own is reached through its direct superior's admins (R22).
    const orgIds = [org.id, ...(org.parentId ? [org.parentId] : [])];
    const contacts = await tx
      .select({ name: admins.name, phone: admins.phone, orgId: admins.orgId })
      .from(admins)
      .where(
        sql`${admins.orgId} in (${sql.join(
          orgIds.map((id) => sql`${id}`),
          sql`, `,
        )}) and ${admins.removedAt} is null`,
      )
      .orderBy(asc(admins.id));
    const own = contacts.filter((c) => c.orgId === org.id);
    const [hotline] = await tx
      .select({ hotline: organizations.hotline })
      .from(organizations)
      .where(eq(organizations.id, org.id));
    return {
      ok: true,
      orgName: org.name,
      hotline: hotline?.hotline ?? null,
      admins: (own.length > 0 ? own : contacts).map(({ name, phone }) => ({ name, phone })),
    };
  });
}

/** The provincial-level roots a destination is chosen under: provinces and system committees. */
export async function provinceRoots(db: Db) {
  return db
    .select({
      id: organizations.id,
      name: organizations.name,
      isSystemCommittee: organizations.isSystemCommittee,
      isExternalProvince: organizations.isExternalProvince,
    })
    .from(organizations)
    .where(and(eq(organizations.level, "provincial"), eq(organizations.kind, "committee")))
    .orderBy(
      asc(organizations.isExternalProvince),
      asc(organizations.isSystemCommittee),
      asc(organizations.id),
    );
}

const SEARCH_CANDIDATES = 400;

/**
 * Organizations under a province or system committee whose name contains `query` and that
 * the request may go to: graduate organizations (R2), the special-unit library and
 * system-made branches are never offered. Paged for pickers of `limit` items.
 */
export async function searchDestinations(
  db: Db,
  input: {
    rootId: number;
    query: string;
    request: Pick<TransferRequest, "reason" | "external">;
    offset?: number;
    limit?: number;
  },
): Promise<{ total: number; items: { id: number; name: string; parentName: string | null }[] }> {
  const query = input.query.trim();
  if (query === "") return { total: 0, items: [] };
  const pattern = `%${query.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
  const rows = await db
    .select(orgColumns)
    .from(organizations)
    .where(and(eq(organizations.provinceId, input.rootId), ilike(organizations.name, pattern)))
    .orderBy(sql`length(${organizations.name})`, asc(organizations.id))
    .limit(SEARCH_CANDIDATES);
  // R14, R15 look at every organization above a candidate (a township's community branches).
  const aboveIds = [...new Set(rows.flatMap((r) => pathIds(r.path).slice(0, -1)))];
  const ancestors =
    aboveIds.length > 0
      ? await db.select(orgColumns).from(organizations).where(inArray(organizations.id, aboveIds))
      : [];
  const byId = new Map<number, OrgNode>(ancestors.map((a) => [a.id, a]));
  const aboveOf = (org: OrgNode) =>
    pathIds(org.path)
      .slice(0, -1)
      .map((id) => byId.get(id))
      .filter((o): o is OrgNode => o !== undefined);
  const allowed = rows.filter((r) => destinationProblem(input.request, r, aboveOf(r)) === null);
  const offset = Math.max(0, input.offset ?? 0);
  const limit = Math.max(1, input.limit ?? 8);
  return {
    total: allowed.length,
    items: allowed.slice(offset, offset + limit).map((r) => ({
      id: r.id,
      name: r.name,
      parentName: r.parentId === null ? null : (byId.get(r.parentId)?.name ?? null),
    })),
  };
}
