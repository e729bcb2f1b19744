/**
 * What an admin's pickers offer: branches of the admin's subtree and their members. Only
 * choices; every action on them is checked again by its own service.
 */
import { and, asc, eq, ilike, isNull, ne, or, sql } from "drizzle-orm";
import type { Queryable } from "../db/client.ts";
import { within } from "../db/queries/subtree.ts";
import { members, organizations } from "../db/schema.ts";
import { openIdNumber } from "../db/sealing.ts";
import type { MemberIdentity } from "../domain/member.ts";
import { loadAdmin } from "./orgStore.ts";

/** The materialized path of the admin's organization, the root of what they may touch. */
async function adminPath(db: Queryable, adminId: number): Promise<string | null> {
  return (await loadAdmin(db, adminId))?.org.path ?? null;
}

/**
 * Branches in the admin's subtree whose name contains `query` (shortest names first); the
 * special-unit library belongs to the province's approvals, not to anyone's branch work; a
 * deleted graduate organization (R3) is no one's work any more.
 */
export async function branchesUnder(
  db: Queryable,
  input: { adminId: number; query: string; limit: number },
): Promise<{ id: number; name: string }[]> {
  const path = await adminPath(db, input.adminId);
  const query = input.query.trim();
  if (path === null || query === "") return [];
  const pattern = `%${query.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
  return db
    .select({ id: organizations.id, name: organizations.name })
    .from(organizations)
    .where(
      and(
        within(organizations.path, path),
        eq(organizations.kind, "branch"),
        ne(organizations.category, "special_unit_library"),
        isNull(organizations.deletedAt),
        ilike(organizations.name, pattern),
      ),
    )
    .orderBy(sql`length(${organizations.name})`, asc(organizations.id))
    .limit(input.limit);
}

export interface BranchMember {
  id: number;
  name: string;
  /** In full: callers mask it for anyone but a leading organ (R4). */
  idNumber: string;
  identity: MemberIdentity;
}

/**
 * The members of a branch in the admin's subtree, or null when the branch is not theirs.
 * `graduatingToo` adds the marked people who graduate from it but were moved out (delayed
 * graduates sit in the school's delayed-graduation organization, R9), so that their mark can
 * be revoked from the branch they came from (R10).
 */
export async function branchMembers(
  db: Queryable,
  input: { adminId: number; branchId: number; graduatingToo?: boolean },
): Promise<BranchMember[] | null> {
  const path = await adminPath(db, input.adminId);
  if (path === null) return null;
  const [branch] = await db
    .select({ id: organizations.id })
    .from(organizations)
    .where(
      and(
        eq(organizations.id, input.branchId),
        eq(organizations.kind, "branch"),
        within(organizations.path, path),
      ),
    );
  if (!branch) return null;
  const inBranch = eq(members.branchId, branch.id);
  const markedFromIt = and(
    eq(members.graduationBranchId, branch.id),
    ne(members.identity, "graduate"),
  );
  const rows = await db
    .select({
      id: members.id,
      name: members.name,
      idSealed: members.idSealed,
      identity: members.identity,
    })
    .from(members)
    .where(input.graduatingToo ? or(inBranch, markedFromIt) : inBranch)
    .orderBy(asc(members.id));
  return rows.map(({ idSealed, ...m }) => ({ ...m, idNumber: openIdNumber(idSealed) }));
}

/** The full ID number a service needs again, so a dialog need not keep it in its state. */
export async function idNumberOf(db: Queryable, memberId: number): Promise<string | null> {
  const [member] = await db
    .select({ idSealed: members.idSealed })
    .from(members)
    .where(eq(members.id, memberId));
  return member ? openIdNumber(member.idSealed) : null;
}
