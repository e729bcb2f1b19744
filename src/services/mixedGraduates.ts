/**
 * Mixed branches (R6: a branch whose graduation month cannot be set because only some of its
 * members graduate, e.g. graduate students): admins mark which members graduate in which month,
 * one by one or the whole branch at once, as R9 marks are made. A member so marked is a
 * graduate of that season for every rule and indicator (their graduation month, year and
 * branch are set as a graduate branch's members' are); the others are not. The branch itself
 * keeps no month, so R7's conversion never turns it into a graduate organization.
 */
import { and, eq, inArray } from "drizzle-orm";
import type { Db } from "../db/client.ts";
import { markHistory, members } from "../db/schema.ts";
import type { Season } from "../domain/calendar.ts";
import { graduationMonthProblem, yearOfMonth } from "../domain/graduation.ts";
import { canMarkGraduation } from "../domain/permissions.ts";
import { refreshLeagueAge } from "./marks.ts";
import { loadAdmin, loadOrg } from "./orgStore.ts";
import { type Refusal, refuse } from "./result.ts";

/** Whether a branch is "mixed" (R6): some of its members graduate, each in their own month. */
export const isMixedBranch = (branch: { kind: string; graduationUnsetReason: string | null }) =>
  branch.kind === "branch" && branch.graduationUnsetReason === "mixed_branch";

/**
 * Marks members of a mixed branch as graduating in `month`, or (month null) as not graduating.
 * `memberIds` names members of the branch; without it, every graduate-identity member of the
 * branch (teachers and delayed graduates keep their R9 marks). All or nothing.
 */
export async function markMixedGraduates(
  db: Db,
  input: { adminId: number; branchId: number; memberIds?: number[]; month: string | null },
  now: Date,
  season: Season,
): Promise<{ ok: true; marked: number } | Refusal> {
  const month = input.month;
  if (month !== null) {
    const problem = graduationMonthProblem(month, season.year);
    if (problem) return refuse({ reason: problem });
  }
  return db.transaction(async (tx) => {
    const admin = await loadAdmin(tx, input.adminId);
    if (!admin) return refuse({ reason: "unknown_admin" });
    const branch = await loadOrg(tx, input.branchId);
    if (!branch) return refuse({ reason: "unknown_org" });
    if (!isMixedBranch(branch)) return refuse({ reason: "branch_not_mixed" });
    if (!canMarkGraduation(admin, branch)) return refuse({ reason: "not_permitted" });
    const inBranch = and(eq(members.branchId, branch.id), eq(members.identity, "graduate"))!;
    const people = await tx
      .select({ id: members.id })
      .from(members)
      .where(input.memberIds ? and(inBranch, inArray(members.id, input.memberIds)) : inBranch);
    if (input.memberIds && people.length !== new Set(input.memberIds).size) {
      return refuse({ reason: "unknown_member" });
    }
    if (people.length === 0) return { ok: true, marked: 0 };
    const ids = people.map((p) => p.id);
    await tx
      .update(members)
      .set({
        graduationMonth: month,
        graduationYear: month ? yearOfMonth(month) : null,
        graduationBranchId: branch.id,
      })
      .where(inArray(members.id, ids));
    await refreshLeagueAge(tx, inArray(members.id, ids));
    await tx.insert(markHistory).values(
      ids.map((memberId) => ({
        memberId,
        orgId: branch.id,
        action: month ? "mixed_graduates" : "mixed_not_graduating",
        actorAdminId: admin.adminId,
        detail: { month },
        at: now,
      })),
    );
    return { ok: true, marked: ids.length };
  });
}
