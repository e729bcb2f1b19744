/**
 * What a transfer application must contain and where it may go (SPEC §4: R11–R20), and the
 * approval path it starts on. Pure: the service loads the records and resolves the plan.
 */
import {
  ADDRESS_KINDS,
  type AddressKind,
  type InitiatorKind,
  STUDY_TYPES,
  type StudyType,
  type TransferReason,
} from "./application.ts";
import { ageOn } from "./idNumber.ts";
import type { OrgNode } from "./tree.ts";

export const TEXT_FIELD_MAX = 200;
export const UNDER16_AGE = 16;

export interface TransferRequest {
  reason: TransferReason;
  /** Destination in (or member from) Beijing, Guangdong or Fujian (M1.4.5). */
  external: boolean;
  destinationOrgId?: number | null;
  studyType?: StudyType | null;
  schoolName?: string | null;
  schoolAddress?: string | null;
  employerName?: string | null;
  employerAddress?: string | null;
  address?: string | null;
  addressKind?: AddressKind | null;
  /** "Not placed": keep the relation in the school's flow branch (R15, G2.4 ②). */
  retainAtSchool?: boolean;
  externalOrgName?: string | null;
  externalOrgAddress?: string | null;
  externalOrgDetails?: string | null;
  under16Explanation?: string | null;
}

export type TextField =
  | "schoolName"
  | "schoolAddress"
  | "employerName"
  | "employerAddress"
  | "address"
  | "externalOrgName"
  | "externalOrgAddress"
  | "externalOrgDetails"
  | "under16Explanation";

export type TransferRefusal =
  | { reason: "missing_field"; field: TextField | "studyType" | "addressKind" | "destination" }
  | { reason: "field_too_long"; field: TextField; max: number }
  | { reason: "in_admin_further_study_only" }
  | { reason: "residence_required" }
  | { reason: "destination_not_allowed" }
  | { reason: "destination_graduate_org" }
  | { reason: "destination_not_school" }
  | { reason: "destination_teacher_branch" }
  | { reason: "destination_not_township" }
  | { reason: "destination_not_external" }
  | { reason: "destination_is_current" }
  | { reason: "under16_explanation_required" }
  | { reason: "retain_not_for_reason" }
  | { reason: "no_destination_for_reason" };

/** Where a destination comes from: chosen by the applicant, or found by the system. */
export type DestinationSource = "chosen" | "overseas_branch" | "school_flow_branch" | "none";

export function destinationSource(req: TransferRequest): DestinationSource {
  if (req.reason === "special_unit") return "none";
  if (req.reason === "overseas") return "overseas_branch";
  if (req.reason === "not_placed" && req.retainAtSchool) return "school_flow_branch";
  return "chosen";
}

const REQUIRED_FIELDS: Record<TransferReason, TextField[]> = {
  further_study: ["schoolName", "schoolAddress"],
  employed_with_org: ["employerName", "employerAddress"],
  employed_without_org: ["employerName", "employerAddress"],
  overseas: [],
  not_placed: ["address"],
  special_unit: [],
};

const EXTERNAL_FIELDS: TextField[] = [
  "externalOrgName",
  "externalOrgAddress",
  "externalOrgDetails",
];

const clean = (v: string | null | undefined) => (v ?? "").trim();

/**
 * R18 (interpretation): a school filing "not placed" must name where the member lives, so the
 * household address is not offered to it at all; the member may give either (residence
 * preferred, G2.4).
 */
export function allowedAddressKinds(initiator: InitiatorKind): readonly AddressKind[] {
  return initiator === "out_admin" ? ["residence"] : ADDRESS_KINDS;
}

/** R11, R12, R18, R20: the fields a request must carry for its reason and initiator. */
export function checkFields(
  req: TransferRequest,
  initiator: InitiatorKind,
): TransferRefusal | null {
  if (initiator === "in_admin" && req.reason !== "further_study") {
    return { reason: "in_admin_further_study_only" };
  }
  if (req.reason === "further_study" && !STUDY_TYPES.includes(req.studyType as StudyType)) {
    return { reason: "missing_field", field: "studyType" };
  }
  const external = req.external && destinationSource(req) === "chosen";
  const fields = [...REQUIRED_FIELDS[req.reason], ...(external ? EXTERNAL_FIELDS : [])];
  for (const field of fields) {
    const value = clean(req[field]);
    if (value === "") return { reason: "missing_field", field };
  }
  for (const field of [...fields, "under16Explanation" as const]) {
    if (clean(req[field]).length > TEXT_FIELD_MAX) {
      return { reason: "field_too_long", field, max: TEXT_FIELD_MAX };
    }
  }
  if (req.reason === "not_placed") {
    if (!ADDRESS_KINDS.includes(req.addressKind as AddressKind)) {
      return { reason: "missing_field", field: "addressKind" };
    }
    if (!allowedAddressKinds(initiator).includes(req.addressKind as AddressKind)) {
      return { reason: "residence_required" };
    }
  }
  if (req.retainAtSchool && req.reason !== "not_placed") return { reason: "retain_not_for_reason" };
  return null;
}

/** A 团委 or 团工委 of a 乡镇 / 街道 (R14). */
export function isTownshipLevel(org: OrgNode): boolean {
  return (org.kind === "committee" || org.kind === "working_committee") && org.level === "township";
}

/**
 * R14, R15 (interpretation of G2.2 "乡镇、街道团组织"): a township/street organization or one
 * inside its subtree (its village or community branches, its flow branch), or a county
 * committee's flow branch. `above` is the destination's ancestors, root first.
 */
export function isTownshipLevelReceiver(dest: OrgNode, above: readonly OrgNode[]): boolean {
  if (isTownshipLevel(dest) || above.some(isTownshipLevel)) return true;
  const parent = above.at(-1);
  return (
    dest.category === "flow_branch" &&
    parent?.id === dest.parentId &&
    parent?.kind === "committee" &&
    parent.level === "county"
  );
}

/** Categories the applicant may never choose as a destination (R2 and system-made branches). */
const NEVER_CHOSEN = new Set([
  "graduate",
  "special_unit_library",
  "delayed_graduation",
  "overseas_branch",
]);

/**
 * R2, R13, R14, R15, R20: may an applicant choose this organization for this reason? Used both
 * to check a request and to filter destination searches, so the two never disagree. `above` is
 * the destination's ancestors, root first.
 */
export function destinationProblem(
  req: Pick<TransferRequest, "reason" | "external">,
  dest: OrgNode,
  above: readonly OrgNode[],
): TransferRefusal | null {
  if (dest.category === "graduate") return { reason: "destination_graduate_org" };
  if (NEVER_CHOSEN.has(dest.category)) return { reason: "destination_not_allowed" };
  if (req.external) {
    return dest.isExternalProvince ? null : { reason: "destination_not_external" };
  }
  if (dest.isExternalProvince) return { reason: "destination_not_allowed" };
  if (dest.category === "flow_branch" && !isTownshipLevelReceiver(dest, above)) {
    // A school's flow branch is reached only by retaining at school.
    return { reason: "destination_not_allowed" };
  }
  switch (req.reason) {
    case "further_study":
      if (dest.domain !== "school") return { reason: "destination_not_school" };
      // A teachers' branch (R6) receives staff, not students.
      return dest.graduationUnsetReason === "teacher_branch"
        ? { reason: "destination_teacher_branch" }
        : null;
    case "employed_without_org":
    case "not_placed":
      return isTownshipLevelReceiver(dest, above) ? null : { reason: "destination_not_township" };
    default:
      return null;
  }
}

/** The whole destination check of a request; `memberBranch` is where the member is now. */
export function checkDestination(
  req: TransferRequest,
  dest: OrgNode | undefined,
  above: readonly OrgNode[],
  memberBranch: OrgNode,
): TransferRefusal | null {
  if (destinationSource(req) !== "chosen") {
    return req.destinationOrgId ? { reason: "no_destination_for_reason" } : null;
  }
  if (!dest) return { reason: "missing_field", field: "destination" };
  const problem = destinationProblem(req, dest, above);
  if (problem) return problem;
  // Only the member's own branch is pointless: a committee above it may well receive them
  // (a graduate student staying at their university; a township receiving its own school's
  // graduate).
  if (dest.id === memberBranch.id) return { reason: "destination_is_current" };
  return null;
}

/**
 * R19: under 16 on the filing day and going outside the school domain → an explanation, and
 * the leading organ above the member's organization approves first. Further study always goes
 * to a school, so it never needs this, an external one included (its destination is known only
 * as text). Special-unit transfers have no destination and go to the province instead (R17).
 */
export function needsLeaderApproval(
  birthDate: string,
  today: string,
  reason: TransferReason,
  destinationDomain: string | null,
): boolean {
  if (destinationDomain === null || reason === "further_study") return false;
  return ageOn(birthDate, today) < UNDER16_AGE && destinationDomain !== "school";
}

export type ApprovalStage = "leader" | "province" | "out" | "receiver";

/**
 * Where an application starts: the province for a special unit (R17), the out-organization for
 * an in-organization's start (R22), the leading organ for R19, else the receiver.
 */
export function firstStage(
  req: TransferRequest,
  leaderApprovalNeeded: boolean,
  initiator: InitiatorKind,
): ApprovalStage {
  if (req.reason === "special_unit") return "province";
  if (leaderApprovalNeeded) return "leader";
  return initiator === "in_admin" ? "out" : "receiver";
}

export const STAGE_STATE = {
  leader: "awaiting_leader",
  province: "awaiting_province",
  out: "awaiting_out_org",
  receiver: "pending",
} as const;
