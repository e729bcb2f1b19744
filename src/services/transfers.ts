/**
 * Filing a transfer application (R11–R20): by the member, the out-organization's admin or the
 * in-organization's admin. One transaction: checks, the application, its history, its outbox.
 */
import { and, eq, inArray } from "drizzle-orm";
import { type Db, isUniqueViolation, type Tx } from "../db/client.ts";
import { applicationHistory, applications, members } from "../db/schema.ts";
import { birthDateOf } from "../db/sealing.ts";
import type { InitiatorKind } from "../domain/application.ts";
import { dayIn, type Season } from "../domain/calendar.ts";
import { OPEN_STATES } from "../domain/lifecycle.ts";
import { canStartAsInAdmin, canStartAsOutAdmin, leadingOrganAbove } from "../domain/permissions.ts";
import {
  checkDestination,
  checkFields,
  destinationSource,
  firstStage,
  needsLeaderApproval,
  STAGE_STATE,
  type TransferRequest,
} from "../domain/transferRules.ts";
import { type OrgNode, schoolOf } from "../domain/tree.ts";
import { findMemberByNameAndIdNumber } from "./memberLookups.ts";
import { notify } from "./notify.ts";
import { loadAdmin, loadChain, loadOrg, systemBranch } from "./orgStore.ts";
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
};

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

async function fileIn(
  tx: Tx,
  input: FileInput,
  now: Date,
  season: Season,
): Promise<Filed | Refusal> {
  const who = await resolveMember(tx, input, now);
  if (!who.ok) return who;
  const { member } = who;
  const [open] = await tx
    .select({ id: applications.id })
    .from(applications)
    .where(
      and(eq(applications.memberId, member.id), inArray(applications.state, [...OPEN_STATES])),
    );
  if (open) return refuse({ reason: "already_open", applicationId: open.id });

  const fieldProblem = checkFields(input, input.as);
  if (fieldProblem) return refuse(fieldProblem);

  const branch = await loadOrg(tx, member.branchId);
  if (!branch) return refuse({ reason: "unknown_org" });
  const chain = await loadChain(tx, branch);

  let destination: OrgNode | undefined;
  const source = destinationSource(input);
  if (source === "chosen") {
    destination = await loadOrg(
      tx,
      input.destinationOrgId ?? (input.as === "in_admin" ? who.adminOrg?.id : undefined),
    );
    if (input.destinationOrgId && !destination) return refuse({ reason: "unknown_org" });
    const parent = destination ? await loadOrg(tx, destination.parentId) : undefined;
    const problem = checkDestination(input, destination, parent, branch);
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
    const problem = checkDestination(input, undefined, undefined, branch);
    if (problem) return refuse(problem);
    if (source !== "none") {
      // The original school: where the member graduates from, else where they are now.
      const gradBranch = (await loadOrg(tx, member.graduationBranchId)) ?? branch;
      const school = schoolOf(await loadChain(tx, gradBranch));
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
    destination ? destination.domain : null,
  );
  if (leaderNeeded && (input.under16Explanation ?? "").trim() === "") {
    return refuse({ reason: "under16_explanation_required" });
  }
  const stage = firstStage(input, leaderNeeded);
  let decidingOrgId: number;
  if (stage === "leader") {
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
  await notify(tx, [
    {
      event: "decision_needed",
      to: { org: decidingOrgId },
      payload: { applicationId, stage },
      key: `app:${applicationId}:needed:${stage}`,
    },
  ]);
  return { ok: true, applicationId, state, decidingOrgId };
}
