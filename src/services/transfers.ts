/**
 * Filing a transfer application (R11–R20): by the member, the out-organization's admin or the
 * in-organization's admin. One transaction: checks, the application, its history, its outbox.
 */
import { eq } from "drizzle-orm";
import { type Db, isUniqueViolation, type Queryable, type Tx } from "../db/client.ts";
import { applicationHistory, applications, members } from "../db/schema.ts";
import { birthDateOf } from "../db/sealing.ts";
import type { InitiatorKind } from "../domain/application.ts";
import { dayIn, retentionOpen, type Season } from "../domain/calendar.ts";
import { filingObstacle } from "../domain/filing.ts";
import { canStartAsInAdmin, canStartAsOutAdmin, leadingOrganAbove } from "../domain/permissions.ts";
import {
  checkDestination,
  checkFields,
  type DestinationSource,
  destinationSource,
  firstStage,
  needsLeaderApproval,
  STAGE_STATE,
  type TransferRequest,
} from "../domain/transferRules.ts";
import { type OrgNode, schoolOf } from "../domain/tree.ts";
import { findMemberByNameAndIdNumber } from "./memberLookups.ts";
import { type Notice, notify } from "./notify.ts";
import { loadAdmin, loadOrg, loadWithChain, systemBranch } from "./orgStore.ts";
import { refreshOutcomes } from "./outcomes.ts";
import { type Actor, type Refusal, refuse } from "./result.ts";

export type FileInput = TransferRequest & {
  actor: Actor;
  /** R11: who starts it. A member actor always files as "member". */
  as: InitiatorKind;
  /** out_admin: the member to transfer. */
  memberId?: number;
  /** in_admin: the member is found by name + ID number (M1.4.3). */
  memberName?: string;
  memberIdNumber?: string;
  /** Issue 20.4: refiled from this rejected or returned application of the same member. */
  refiledFromId?: number;
};

/** The states an application can be refiled from: it ended without a transfer, not by choice. */
export const REFILABLE_STATES = ["rejected", "auto_returned"] as const;

/** The member's own rejected or returned application, or null. */
export async function loadOwnClosed(tx: Queryable, applicationId: number, memberId: number) {
  if (!Number.isInteger(applicationId)) return null;
  const [app] = await tx.select().from(applications).where(eq(applications.id, applicationId));
  if (!app || app.memberId !== memberId) return null;
  return (REFILABLE_STATES as readonly string[]).includes(app.state) ? app : null;
}

export type Filed = { ok: true; applicationId: number; state: string; decidingOrgId: number };

type Member = typeof members.$inferSelect;

async function resolveMember(
  tx: Tx,
  input: FileInput,
  now: Date,
): Promise<{ ok: true; member: Member; adminOrg?: OrgNode; adminId?: number } | Refusal> {
  const byId = async (id: number | undefined) =>
    id === undefined ? undefined : (await tx.select().from(members).where(eq(members.id, id)))[0];
  if (input.as === "member") {
    if (input.actor.kind !== "member") return refuse({ reason: "not_permitted" });
    const member = await byId(input.actor.memberId);
    return member ? { ok: true, member } : refuse({ reason: "unknown_member" });
  }
  if (input.actor.kind !== "admin") return refuse({ reason: "not_permitted" });
  const admin = await loadAdmin(tx, input.actor.adminId);
  if (!admin) return refuse({ reason: "unknown_admin" });
  if (input.as === "out_admin") {
    const member = await byId(input.memberId);
    if (!member) return refuse({ reason: "unknown_member" });
    const branch = await loadOrg(tx, member.branchId);
    if (!branch || !canStartAsOutAdmin(admin, branch)) return refuse({ reason: "not_permitted" });
    return { ok: true, member, adminOrg: admin.org, adminId: admin.adminId };
  }
  const found = await findMemberByNameAndIdNumber(tx, {
    adminId: admin.adminId,
    name: input.memberName ?? "",
    idNumber: input.memberIdNumber ?? "",
    purpose: "in_admin_start",
    now,
  });
  if (!found.ok) return found;
  const member = await byId(found.member.id);
  if (!member) return refuse({ reason: "unknown_member" });
  return { ok: true, member, adminOrg: admin.org, adminId: admin.adminId };
}

/** Files an application; see the module comment. */
export async function fileApplication(
  db: Db,
  input: FileInput,
  now: Date,
  season: Season,
): Promise<Filed | Refusal> {
  try {
    return await db.transaction((tx) => fileIn(tx, input, now, season));
  } catch (error) {
    // The one-open-application index settles two filings racing for one member.
    if (isUniqueViolation(error)) return refuse({ reason: "already_open", applicationId: 0 });
    throw error;
  }
}

/**
 * The rules about the member themselves (one open application, R28, R31), asked by the wizard
 * before its first question and by `fileIn` again; when none stands in the way, the member's
 * branch with its ancestors (the branch last).
 */
async function obstacleFor(
  tx: Queryable,
  member: Member,
  as: InitiatorKind,
  now: Date,
  season: Season,
): Promise<Refusal | { ok: true; chain: OrgNode[] }> {
  const [earlier, chain] = await Promise.all([
    tx
      .select({
        id: applications.id,
        state: applications.state,
        retainAtSchool: applications.retainAtSchool,
      })
      .from(applications)
      .where(eq(applications.memberId, member.id)),
    loadWithChain(tx, member.branchId),
  ]);
  const branch = chain.at(-1);
  if (!branch) return refuse({ reason: "unknown_org" });
  const obstacle = filingObstacle({
    earlier,
    initiator: as,
    currentBranch: branch,
    identity: member.identity,
    birthDate: birthDateOf(member.idSealed),
    graduationMonth: member.graduationMonth,
    today: dayIn(now, season.timezone),
  });
  return obstacle ? refuse(obstacle) : { ok: true, chain };
}

/** Whether a transfer may be filed for this member now, by this kind of initiator (R11). */
export async function filingCheck(
  db: Queryable,
  input: { memberId: number; as: InitiatorKind },
  now: Date,
  season: Season,
): Promise<Refusal | null> {
  const [member] = await db.select().from(members).where(eq(members.id, input.memberId));
  if (!member) return refuse({ reason: "unknown_member" });
  const allowed = await obstacleFor(db, member, input.as, now, season);
  return allowed.ok ? null : allowed;
}

/** The domain R19 looks at: the chosen organization's, or the school's for its own branches. */
function destinationDomain(source: DestinationSource, chosen: OrgNode | undefined) {
  if (source === "none") return null;
  if (source === "chosen") return chosen?.domain ?? null;
  return "school";
}

/**
 * R19, asked by the wizard once the destination is known: does this member need the under-16
 * explanation (and the leading organ's approval) for this request?
 */
export async function under16ExplanationNeeded(
  db: Queryable,
  input: { memberId: number; request: TransferRequest },
  now: Date,
  season: Season,
): Promise<boolean> {
  const [member] = await db
    .select({ idSealed: members.idSealed })
    .from(members)
    .where(eq(members.id, input.memberId));
  if (!member) return false;
  const source = destinationSource(input.request);
  const chosen =
    source === "chosen" ? await loadOrg(db, input.request.destinationOrgId) : undefined;
  return needsLeaderApproval(
    birthDateOf(member.idSealed),
    dayIn(now, season.timezone),
    input.request.reason,
    destinationDomain(source, chosen),
  );
}

async function fileIn(
  tx: Tx,
  input: FileInput,
  now: Date,
  season: Season,
): Promise<Filed | Refusal> {
  const who = await resolveMember(tx, input, now);
  if (!who.ok) return who;
  const { member } = who;
  const allowed = await obstacleFor(tx, member, input.as, now, season);
  if (!allowed.ok) return allowed;
  const { chain } = allowed;
  const branch = chain.at(-1)!;

  const fieldProblem = checkFields(input, input.as);
  if (fieldProblem) return refuse(fieldProblem);
  if (input.reason === "not_placed" && input.retainAtSchool && !retentionOpen(season, now)) {
    return refuse({ reason: "retention_not_yet", from: season.retentionFrom });
  }

  let destination: OrgNode | undefined;
  const source = destinationSource(input);
  if (source === "chosen") {
    const chosen = await loadWithChain(
      tx,
      input.destinationOrgId ?? (input.as === "in_admin" ? who.adminOrg?.id : undefined),
    );
    destination = chosen.at(-1);
    if (input.destinationOrgId && !destination) return refuse({ reason: "unknown_org" });
    const above = chosen.slice(0, -1);
    const problem = checkDestination(input, destination, above, branch);
    if (problem) return refuse(problem);
    if (
      input.as === "in_admin" &&
      !(
        who.adminOrg &&
        destination &&
        canStartAsInAdmin({ adminId: who.adminId!, org: who.adminOrg }, destination)
      )
    ) {
      return refuse({ reason: "not_permitted" });
    }
  } else {
    const problem = checkDestination(input, undefined, [], branch);
    if (problem) return refuse(problem);
    if (source !== "none") {
      // The original school: where the member graduates from, else where they are now.
      const graduatedIn =
        member.graduationBranchId === null || member.graduationBranchId === branch.id
          ? chain
          : await loadWithChain(tx, member.graduationBranchId);
      const school = schoolOf(graduatedIn.length > 0 ? graduatedIn : chain);
      if (!school || (source === "school_flow_branch" && !school.institutionCode)) {
        return refuse({ reason: "no_school" });
      }
      destination = await systemBranch(
        tx,
        school,
        source === "overseas_branch" ? "overseas_branch" : "flow_branch",
      );
    }
  }

  const leaderNeeded = needsLeaderApproval(
    birthDateOf(member.idSealed),
    dayIn(now, season.timezone),
    input.reason,
    destinationDomain(source, destination),
  );
  if (leaderNeeded && (input.under16Explanation ?? "").trim() === "") {
    return refuse({ reason: "under16_explanation_required" });
  }
  const stage = firstStage(input, leaderNeeded, input.as);
  let decidingOrgId: number;
  if (stage === "out") {
    // R22: the member's branch releases them (its admin or its direct superior's).
    decidingOrgId = branch.id;
  } else if (stage === "leader") {
    const leader = leadingOrganAbove(chain);
    if (!leader) return refuse({ reason: "no_leading_organ" });
    decidingOrgId = leader.id;
  } else if (stage === "province") {
    if (!branch.provinceId) return refuse({ reason: "no_leading_organ" });
    decidingOrgId = branch.provinceId;
  } else {
    decidingOrgId = destination!.id;
  }

  const state = STAGE_STATE[stage];
  const refiledFrom = input.refiledFromId
    ? await loadOwnClosed(tx, input.refiledFromId, member.id)
    : null;
  const text = (v: string | null | undefined) => {
    const t = (v ?? "").trim();
    return t === "" ? null : t;
  };
  const [app] = await tx
    .insert(applications)
    .values({
      memberId: member.id,
      state,
      stageSince: now,
      initiatorKind: input.as,
      initiatorMemberId: input.as === "member" ? member.id : null,
      initiatorAdminId: input.as === "member" ? null : (who.adminId ?? null),
      reason: input.reason,
      external: input.external && source === "chosen",
      fromOrgId: branch.id,
      toOrgId: destination?.id ?? null,
      decidingOrgId,
      studyType: input.reason === "further_study" ? (input.studyType ?? null) : null,
      schoolName: text(input.schoolName),
      schoolAddress: text(input.schoolAddress),
      employerName: text(input.employerName),
      employerAddress: text(input.employerAddress),
      address: text(input.address),
      addressKind: input.reason === "not_placed" ? (input.addressKind ?? null) : null,
      retainAtSchool: input.reason === "not_placed" && !!input.retainAtSchool,
      externalOrgName: text(input.externalOrgName),
      externalOrgAddress: text(input.externalOrgAddress),
      externalOrgDetails: text(input.externalOrgDetails),
      under16Explanation: leaderNeeded ? text(input.under16Explanation) : null,
      graduationYear: member.graduationYear,
      refiledFromId: refiledFrom?.id ?? null,
      createdAt: now,
      updatedAt: now,
    })
    .returning({ id: applications.id });
  const applicationId = app!.id;
  await tx.insert(applicationHistory).values({
    applicationId,
    action: "create",
    actorKind: input.actor.kind === "admin" ? "admin" : "member",
    actorMemberId: input.actor.kind === "member" ? input.actor.memberId : null,
    actorAdminId: input.actor.kind === "admin" ? input.actor.adminId : null,
    fromState: null,
    toState: state,
    note: null,
    at: now,
  });
  await refreshOutcomes(tx, [member.id]);
  const notices: Notice[] = [
    {
      event: "decision_needed",
      to: { org: decidingOrgId },
      payload: { applicationId, stage },
      key: { applicationId, stage },
    },
  ];
  // A member an admin filed for hears of it, and of what happens next.
  if (input.as !== "member") {
    notices.push({
      event: "progress",
      to: { member: member.id },
      payload: { applicationId, step: "filed_for_you" },
      key: { applicationId, step: "filed_for_you" },
    });
  }
  await notify(tx, notices);
  return { ok: true, applicationId, state, decidingOrgId };
}
