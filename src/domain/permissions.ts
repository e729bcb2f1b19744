/**
 * Who may act on what (SPEC §1–§4). Pure: callers pass the acting admin's organization and the
 * target with its ancestors. Every service asks here; refusals carry the reason code.
 */

import type { ApplicationState } from "./application.ts";
import naming from "./naming.json" with { type: "json" };
import { isLeadingOrgan } from "./organization.ts";
import { isStrictlyBelow, isWithin, nearestAbove, type OrgNode } from "./tree.ts";

export interface AdminActor {
  adminId: number;
  org: OrgNode;
}

/** R4: leading organs see full ID numbers; everyone else sees them masked. */
export function seesFullIdNumbers(viewer: AdminActor | null): boolean {
  return viewer !== null && isLeadingOrgan(viewer.org);
}

/**
 * R22: a branch receiver is decided by its own admin or its direct superior's admin; any
 * other receiver by its own admin.
 */
export function canDecideAsReceiver(admin: AdminActor, receiver: OrgNode): boolean {
  if (admin.org.id === receiver.id) return true;
  return receiver.kind === "branch" && receiver.parentId === admin.org.id;
}

/**
 * R22: the stages whose deciding organization, when a branch, is decided by its own admin or
 * its direct superior's: the receiver's, and the out-organization's release of an
 * in-organization's start (the member's branch).
 */
export const BRANCH_OR_SUPERIOR_STAGES = [
  "pending",
  "awaiting_out_org",
] as const satisfies readonly ApplicationState[];

/**
 * Who decides an application at the stage it waits at: the receiver (R22), the out-organization
 * (R22), the leading organ (R19) or the province (R17), and for assignment the receiving
 * committee itself.
 */
export function canDecideAtStage(
  admin: AdminActor,
  state: ApplicationState,
  deciding: OrgNode,
): boolean {
  switch (state) {
    case "pending":
    case "awaiting_out_org":
      return canDecideAsReceiver(admin, deciding);
    case "awaiting_leader":
    case "awaiting_province":
      return canDecideAsApprover(admin, deciding);
    case "awaiting_assignment":
      return canAssign(admin, deciding);
    default:
      return false;
  }
}

/** R22: only the receiving committee's own admin assigns the member to a branch. */
export function canAssign(admin: AdminActor, receiver: OrgNode): boolean {
  return admin.org.id === receiver.id;
}

/** R17, R19: the organization the application waits on decides, by its own admins. */
export function canDecideAsApprover(admin: AdminActor, approver: OrgNode): boolean {
  return admin.org.id === approver.id;
}

/** R6: admins of any organization except a branch may mark a branch in their subtree. */
export function canMarkGraduation(admin: AdminActor, branch: OrgNode): boolean {
  return (
    admin.org.kind !== "branch" &&
    branch.kind === "branch" &&
    isWithin(branch, admin.org) &&
    admin.org.id !== branch.id
  );
}

/**
 * R9: school-domain admins mark people in their subtree; a school that is only a branch is
 * marked by its direct superior's admin.
 */
export function canMarkIdentity(admin: AdminActor, branchChain: OrgNode[]): boolean {
  const branch = branchChain[branchChain.length - 1];
  if (!branch) return false;
  const parent = branchChain[branchChain.length - 2];
  const schoolIsOnlyABranch = branch.domain === "school" && parent?.domain !== "school";
  if (schoolIsOnlyABranch && parent?.id === admin.org.id) return true;
  return admin.org.domain === "school" && isWithin(branch, admin.org);
}

/** R11: the out-organization's admin is an admin of the member's branch or above it. */
export function canStartAsOutAdmin(admin: AdminActor, memberBranch: OrgNode): boolean {
  return isWithin(memberBranch, admin.org);
}

/** R11: the in-organization's admin receives into their own subtree. */
export function canStartAsInAdmin(admin: AdminActor, destination: OrgNode): boolean {
  return isWithin(destination, admin.org);
}

/**
 * A bound group chat (issue 6.1) is managed — unbound, its language set, its digest asked for —
 * by an admin of the bound organization or of one above it.
 */
export function canManageGroupChat(
  admin: Pick<AdminActor, "org">,
  bound: { path: string },
): boolean {
  return isWithin(bound, admin.org);
}

/**
 * §8: binding codes for members are issued by an admin whose subtree holds the member's branch
 * (one member, or every member of a branch).
 */
export function canIssueMemberCodes(
  admin: Pick<AdminActor, "org">,
  branch: { path: string },
): boolean {
  return isWithin(branch, admin.org);
}

/**
 * §8: an admin's binding code is issued, and an admin removed, only by an admin of an
 * organization above theirs: never by a peer of the same organization, nor by themselves.
 */
export function canManageAdmin(
  admin: Pick<AdminActor, "org">,
  target: Pick<AdminActor, "org">,
): boolean {
  return isStrictlyBelow(target.org, admin.org);
}

/** R8: the change request comes from the admin of the graduate organization's direct superior. */
export function canRequestGraduationChange(admin: AdminActor, branch: OrgNode): boolean {
  return branch.parentId === admin.org.id;
}

/** R8, R19: the leading organ above an organization (its nearest leading-organ ancestor). */
export function leadingOrganAbove(chain: OrgNode[]): OrgNode | undefined {
  return nearestAbove(chain, isLeadingOrgan);
}

/**
 * R3 (G4.4 note 3): an emptied graduate organization is deleted by an admin above it — never by
 * its own admin, who would lock themselves out mid-way.
 */
export function canDeleteGraduateOrg(admin: AdminActor, org: OrgNode): boolean {
  return org.category === "graduate" && isStrictlyBelow(org, admin.org);
}

export type FlowBranchRefusal = "flow_branch_creator" | "flow_branch_name";

/** R1: the organizations whose admins may create a flow branch, whatever its name. */
export function mayCreateFlowBranch(creator: OrgNode): boolean {
  const isSchoolCommittee =
    creator.kind === "committee" && creator.domain === "school" && !!creator.institutionCode;
  const isCountyCommittee = creator.kind === "committee" && creator.level === "county";
  return isSchoolCommittee || isCountyCommittee;
}

/**
 * R1: a school flow branch is created by a school committee with an institution code and its
 * name contains "流动团员" (Q2.1); county committees may create one too (G2.2 note 2).
 */
export function checkFlowBranchCreation(
  creator: OrgNode,
  name: string,
): { ok: true } | { ok: false; reason: FlowBranchRefusal } {
  if (!mayCreateFlowBranch(creator)) return { ok: false, reason: "flow_branch_creator" };
  if (!name.includes(naming.flowBranchKeyword)) {
    return { ok: false, reason: "flow_branch_name" };
  }
  return { ok: true };
}
