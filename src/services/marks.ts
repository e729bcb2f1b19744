/**
 * Graduation marking (R6–R8) and identity marks (R9, R10). Every change is one transaction with
 * its mark_history rows; a batch is all or nothing.
 */
import { and, asc, desc, eq, inArray, like, type SQL, sql } from "drizzle-orm";
import { type Db, type Queryable, query, type Tx } from "../db/client.ts";
import {
  admins,
  graduationChangeRequests,
  markHistory,
  members,
  organizations,
} from "../db/schema.ts";
import { birthDateOf } from "../db/sealing.ts";
import { type Season, startOfDay } from "../domain/calendar.ts";
import { leavesLeagueByAge } from "../domain/filing.ts";
import { graduationMonthProblem, isStrictlyLaterMonth, yearOfMonth } from "../domain/graduation.ts";
import type { GraduationUnsetReason } from "../domain/organization.ts";
import {
  canMarkGraduation,
  canMarkIdentity,
  canRequestGraduationChange,
  leadingOrganAbove,
} from "../domain/permissions.ts";
import { writtenReasonProblem } from "../domain/rejection.ts";
import { schoolOf } from "../domain/tree.ts";
import { notify } from "./notify.ts";
import { loadAdmin, loadChain, loadOrg, loadWithChain, systemBranch } from "./orgStore.ts";
import { MAX_NOTE, type Refusal, refuse } from "./result.ts";

/**
 * R31: whether each of these members is 28 or older in their graduation month, kept on the
 * member for the indicators. Every change of a graduation month calls it for the people it
 * touched, in the same transaction.
 */
export async function refreshLeagueAge(tx: Queryable, which: SQL): Promise<void> {
  const people = await tx
    .select({
      id: members.id,
      identity: members.identity,
      idSealed: members.idSealed,
      graduationMonth: members.graduationMonth,
      agesOut: members.agesOut,
    })
    .from(members)
    .where(which);
  const changed = people
    .map((p) => ({
      id: p.id,
      agesOut:
        p.graduationMonth !== null &&
        leavesLeagueByAge({
          identity: p.identity,
          birthDate: birthDateOf(p.idSealed),
          graduationMonth: p.graduationMonth,
          today: "",
        }),
      was: p.agesOut,
    }))
    .filter((p) => p.agesOut !== p.was);
  for (const flag of [true, false]) {
    const ids = changed.filter((p) => p.agesOut === flag).map((p) => p.id);
    if (ids.length === 0) continue;
    await query(
      tx,
      sql`update members set ages_out = ${flag} where id = any(${sql.param(ids)}::int[])`,
    );
  }
}

/** Graduates of a branch take its month (delayed graduates and teachers keep theirs). */
export async function applyMonthToGraduates(tx: Tx, branchId: number, month: string | null) {
  const graduates = and(eq(members.branchId, branchId), eq(members.identity, "graduate"));
  await tx
    .update(members)
    .set({
      graduationMonth: month,
      graduationYear: month ? yearOfMonth(month) : null,
      graduationBranchId: branchId,
    })
    .where(graduates);
  await refreshLeagueAge(tx, graduates!);
}

/** R6: set a branch's expected graduation month, or the reason it has none. */
export async function markBranchGraduation(
  db: Db,
  input: {
    adminId: number;
    branchId: number;
    month?: string | null;
    unsetReason?: GraduationUnsetReason | null;
  },
  now: Date,
  season: Season,
): Promise<{ ok: true } | Refusal> {
  return db.transaction(async (tx) => {
    const admin = await loadAdmin(tx, input.adminId);
    if (!admin) return refuse({ reason: "unknown_admin" });
    const branch = await loadOrg(tx, input.branchId);
    if (!branch) return refuse({ reason: "unknown_org" });
    if (branch.kind !== "branch") return refuse({ reason: "not_a_branch" });
    if (!canMarkGraduation(admin, branch)) return refuse({ reason: "not_permitted" });
    if (branch.category === "graduate") return refuse({ reason: "use_change_request" });
    const month = input.month?.trim() || null;
    const unsetReason = input.unsetReason ?? null;
    if ((month === null) === (unsetReason === null)) {
      return refuse({ reason: "month_or_reason_required" });
    }
    const monthProblem = month === null ? null : graduationMonthProblem(month, season.year);
    if (monthProblem) return refuse({ reason: monthProblem });
    await tx
      .update(organizations)
      .set({ graduationMonth: month, graduationUnsetReason: unsetReason })
      .where(eq(organizations.id, branch.id));
    // A branch staying mixed keeps its members' own months (src/services/mixedGraduates.ts).
    const staysMixed =
      unsetReason === "mixed_branch" && branch.graduationUnsetReason === "mixed_branch";
    if (!staysMixed) await applyMonthToGraduates(tx, branch.id, month);
    await tx.insert(markHistory).values({
      orgId: branch.id,
      action: "graduation_month",
      actorAdminId: admin.adminId,
      detail: { month, unsetReason, previous: branch.graduationMonth },
      at: now,
    });
    return { ok: true };
  });
}

/**
 * R7: from the configured day of year Y, every branch marked as graduating in Y becomes a
 * graduate organization. Idempotent: converted branches are not touched again.
 */
export async function convertGraduateOrganizations(
  db: Db,
  season: Season,
  now: Date,
): Promise<number[]> {
  if (now < startOfDay(season.conversionDate, season.timezone)) return [];
  return db.transaction(async (tx) => {
    const converted = await tx
      .update(organizations)
      .set({ category: "graduate", convertedAt: now })
      .where(
        and(
          eq(organizations.kind, "branch"),
          eq(organizations.category, "normal"),
          like(organizations.graduationMonth, `${season.year}-%`),
        ),
      )
      .returning({ id: organizations.id });
    if (converted.length > 0) {
      await tx
        .insert(markHistory)
        .values(converted.map((c) => ({ orgId: c.id, action: "converted", at: now })));
    }
    return converted.map((c) => c.id);
  });
}

/** R8: the direct superior's admin asks to change a graduate organization's month. */
export async function requestGraduationChange(
  db: Db,
  input: { adminId: number; branchId: number; newMonth: string; reason: string },
  now: Date,
  season: Season,
): Promise<{ ok: true; requestId: number; approverOrgId: number } | Refusal> {
  const reason = input.reason.trim();
  const reasonProblem = writtenReasonProblem(reason);
  if (reasonProblem) return refuse({ reason: reasonProblem });
  if (reason.length > MAX_NOTE) return refuse({ reason: "text_too_long", max: MAX_NOTE });
  const monthProblem = graduationMonthProblem(input.newMonth, season.year);
  if (monthProblem) return refuse({ reason: monthProblem });
  return db.transaction(async (tx) => {
    const admin = await loadAdmin(tx, input.adminId);
    if (!admin) return refuse({ reason: "unknown_admin" });
    const branch = await loadOrg(tx, input.branchId);
    if (!branch) return refuse({ reason: "unknown_org" });
    if (branch.category !== "graduate") return refuse({ reason: "not_graduate_org" });
    if (!canRequestGraduationChange(admin, branch)) return refuse({ reason: "not_permitted" });
    if (branch.graduationMonth === input.newMonth) return refuse({ reason: "same_month" });
    const approver = leadingOrganAbove(await loadChain(tx, admin.org));
    if (!approver) return refuse({ reason: "no_leading_organ" });
    const [request] = await tx
      .insert(graduationChangeRequests)
      .values({
        branchId: branch.id,
        oldMonth: branch.graduationMonth,
        newMonth: input.newMonth,
        reason,
        requestedByAdminId: admin.adminId,
        approverOrgId: approver.id,
        state: "pending",
        createdAt: now,
      })
      .returning({ id: graduationChangeRequests.id });
    const requestId = request!.id;
    await tx.insert(markHistory).values({
      orgId: branch.id,
      action: "graduation_change_requested",
      actorAdminId: admin.adminId,
      detail: { requestId, newMonth: input.newMonth, reason },
      at: now,
    });
    await notify(tx, [
      {
        event: "graduation_change_needed",
        to: { org: approver.id },
        payload: { requestId },
        key: { requestId },
      },
    ]);
    return { ok: true, requestId, approverOrgId: approver.id };
  });
}

/** R8: the leading organ approves or rejects; only approval changes the month. */
export async function decideGraduationChange(
  db: Db,
  input: { adminId: number; requestId: number; approve: boolean; note?: string },
  now: Date,
): Promise<{ ok: true; state: "approved" | "rejected" } | Refusal> {
  return db.transaction(async (tx) => {
    const admin = await loadAdmin(tx, input.adminId);
    if (!admin) return refuse({ reason: "unknown_admin" });
    const [request] = await tx
      .select()
      .from(graduationChangeRequests)
      .where(eq(graduationChangeRequests.id, input.requestId));
    if (!request) return refuse({ reason: "unknown_request" });
    if (request.approverOrgId !== admin.org.id) return refuse({ reason: "not_permitted" });
    const state = input.approve ? ("approved" as const) : ("rejected" as const);
    const updated = await tx
      .update(graduationChangeRequests)
      .set({
        state,
        decidedByAdminId: admin.adminId,
        decidedAt: now,
        decisionNote: input.note?.trim() || null,
      })
      .where(
        and(
          eq(graduationChangeRequests.id, request.id),
          eq(graduationChangeRequests.state, "pending"),
        ),
      )
      .returning({ id: graduationChangeRequests.id });
    if (updated.length === 0) {
      return refuse({
        reason: "already_decided",
        state: request.state === "approved" ? "approved" : "rejected",
        by: null,
        at: request.decidedAt,
      });
    }
    if (input.approve) {
      await tx
        .update(organizations)
        .set({ graduationMonth: request.newMonth })
        .where(eq(organizations.id, request.branchId));
      const graduates = and(
        eq(members.graduationBranchId, request.branchId),
        eq(members.identity, "graduate"),
      )!;
      await tx
        .update(members)
        .set({ graduationMonth: request.newMonth, graduationYear: yearOfMonth(request.newMonth) })
        .where(graduates);
      await refreshLeagueAge(tx, graduates);
    }
    await tx.insert(markHistory).values({
      orgId: request.branchId,
      action: `graduation_change_${state}`,
      actorAdminId: admin.adminId,
      detail: { requestId: request.id, newMonth: request.newMonth },
      at: now,
    });
    await notify(tx, [
      {
        event: "graduation_change_decided",
        to: { admin: request.requestedByAdminId },
        payload: { requestId: request.id, approved: input.approve },
        key: { requestId: request.id },
      },
    ]);
    return { ok: true, state };
  });
}

/** R8: the change requests a leading organ must still decide, oldest first. */
export async function pendingGraduationChanges(db: Queryable, approverOrgId: number) {
  return db
    .select({ id: graduationChangeRequests.id })
    .from(graduationChangeRequests)
    .where(
      and(
        eq(graduationChangeRequests.approverOrgId, approverOrgId),
        eq(graduationChangeRequests.state, "pending"),
      ),
    )
    .orderBy(asc(graduationChangeRequests.id));
}

/** R8: a change request as its card shows it, with the branch and who asked; null if unknown. */
export async function graduationChangeView(db: Queryable, requestId: number) {
  const [row] = await db
    .select({ request: graduationChangeRequests, branch: organizations.name, by: admins.name })
    .from(graduationChangeRequests)
    .innerJoin(organizations, eq(organizations.id, graduationChangeRequests.branchId))
    .innerJoin(admins, eq(admins.id, graduationChangeRequests.requestedByAdminId))
    .where(eq(graduationChangeRequests.id, requestId));
  return row ?? null;
}

/** R8: the approval progress of a branch's change requests, newest first. */
export async function graduationChangeProgress(db: Db, branchId: number) {
  return db
    .select()
    .from(graduationChangeRequests)
    .where(eq(graduationChangeRequests.branchId, branchId))
    .orderBy(desc(graduationChangeRequests.id));
}

export type IdentityMark = { kind: "teacher" } | { kind: "delayed"; month: string; reason: string };

type Target = { memberIds: number[] } | { branchId: number };

async function targetMembers(tx: Tx, target: Target) {
  if ("branchId" in target) {
    return tx.select().from(members).where(eq(members.branchId, target.branchId));
  }
  if (target.memberIds.length === 0) return [];
  return tx.select().from(members).where(inArray(members.id, target.memberIds));
}

/**
 * R9: mark members as teacher (confirm only) or delayed graduate (a date strictly later than
 * the branch's and a reason). Delayed graduates move to the school's delayed-graduation
 * organization (G2.6), created on demand. One member or a whole branch; all or nothing.
 */
export async function markIdentity(
  db: Db,
  input: { adminId: number; mark: IdentityMark } & Target,
  now: Date,
  season: Season,
): Promise<{ ok: true; marked: number } | Refusal> {
  const { mark } = input;
  if (mark.kind === "delayed") {
    const monthProblem = graduationMonthProblem(mark.month, season.year);
    if (monthProblem) return refuse({ reason: monthProblem });
    const reasonProblem = writtenReasonProblem(mark.reason);
    if (reasonProblem) return refuse({ reason: reasonProblem });
    if (mark.reason.trim().length > MAX_NOTE)
      return refuse({ reason: "text_too_long", max: MAX_NOTE });
  }
  return db.transaction(async (tx) => {
    const admin = await loadAdmin(tx, input.adminId);
    if (!admin) return refuse({ reason: "unknown_admin" });
    const people = (await targetMembers(tx, input)).filter(
      (m) => "memberIds" in input || m.identity === "graduate",
    );
    if ("memberIds" in input && people.length !== new Set(input.memberIds).size) {
      return refuse({ reason: "unknown_member" });
    }
    // Check everyone first, so a refusal writes nothing.
    const plans: {
      member: (typeof people)[number];
      branchChain: Awaited<ReturnType<typeof loadChain>>;
    }[] = [];
    for (const member of people) {
      const branchChain = await loadWithChain(tx, member.branchId);
      const branch = branchChain.at(-1);
      if (!branch) return refuse({ reason: "unknown_org" });
      if (!canMarkIdentity(admin, branchChain)) return refuse({ reason: "not_permitted" });
      if (mark.kind === "delayed") {
        if (!branch.graduationMonth) return refuse({ reason: "branch_not_marked" });
        if (!isStrictlyLaterMonth(mark.month, branch.graduationMonth)) {
          return refuse({ reason: "delayed_date_not_later" });
        }
      }
      plans.push({ member, branchChain });
    }
    for (const { member, branchChain } of plans) {
      const branch = branchChain[branchChain.length - 1]!;
      if (mark.kind === "teacher") {
        await tx
          .update(members)
          .set({ identity: "teacher", delayedReason: null })
          .where(eq(members.id, member.id));
      } else {
        const school = schoolOf(branchChain) ?? branchChain[branchChain.length - 2] ?? branch;
        const delayedOrg = await systemBranch(tx, school, "delayed_graduation");
        await tx
          .update(members)
          .set({
            identity: "delayed",
            graduationMonth: mark.month,
            graduationYear: yearOfMonth(mark.month),
            delayedReason: mark.reason.trim(),
            graduationBranchId: member.graduationBranchId ?? branch.id,
            branchId: delayedOrg.id,
          })
          .where(eq(members.id, member.id));
      }
      await tx.insert(markHistory).values({
        memberId: member.id,
        orgId: branch.id,
        action: `mark_${mark.kind}`,
        actorAdminId: admin.adminId,
        detail: mark.kind === "delayed" ? { month: mark.month, reason: mark.reason.trim() } : {},
        at: now,
      });
    }
    if (mark.kind === "delayed" && plans.length > 0) {
      await refreshLeagueAge(
        tx,
        inArray(
          members.id,
          plans.map((p) => p.member.id),
        ),
      );
    }
    return { ok: true, marked: plans.length };
  });
}

/**
 * R10: revoking returns the person to graduate with the graduating branch's date (and a
 * delayed graduate back into that branch).
 */
export async function revokeIdentity(
  db: Db,
  input: { adminId: number; memberIds: number[] },
  now: Date,
): Promise<{ ok: true; revoked: number } | Refusal> {
  return db.transaction(async (tx) => {
    const admin = await loadAdmin(tx, input.adminId);
    if (!admin) return refuse({ reason: "unknown_admin" });
    const people = await targetMembers(tx, { memberIds: input.memberIds });
    if (people.length !== new Set(input.memberIds).size)
      return refuse({ reason: "unknown_member" });
    const plans = [];
    for (const member of people) {
      if (member.identity === "graduate") return refuse({ reason: "not_marked" });
      const homeChain = await loadWithChain(tx, member.graduationBranchId ?? member.branchId);
      const home = homeChain.at(-1);
      if (!home) return refuse({ reason: "unknown_org" });
      if (!canMarkIdentity(admin, homeChain)) {
        return refuse({ reason: "not_permitted" });
      }
      plans.push({ member, home });
    }
    for (const { member, home } of plans) {
      await tx
        .update(members)
        .set({
          identity: "graduate",
          delayedReason: null,
          branchId: member.identity === "delayed" ? home.id : member.branchId,
          graduationBranchId: home.id,
          graduationMonth: home.graduationMonth,
          graduationYear: home.graduationMonth ? yearOfMonth(home.graduationMonth) : null,
        })
        .where(eq(members.id, member.id));
      await tx.insert(markHistory).values({
        memberId: member.id,
        orgId: home.id,
        action: `revoke_${member.identity}`,
        actorAdminId: admin.adminId,
        detail: { previousMonth: member.graduationMonth },
        at: now,
      });
    }
    if (plans.length > 0) {
      await refreshLeagueAge(
        tx,
        inArray(
          members.id,
          plans.map((p) => p.member.id),
        ),
      );
    }
    return { ok: true, revoked: plans.length };
  });
}
