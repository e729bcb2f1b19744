/** Organization vocabulary of SPEC §1. Values are stored as-is in the database. */

export const ORG_KINDS = ["committee", "working_committee", "general_branch", "branch"] as const;
export type OrgKind = (typeof ORG_KINDS)[number];

/** Committee levels, highest first; `none` for anything that is not a committee. */
export const ORG_LEVELS = ["central", "provincial", "city", "county", "township", "none"] as const;
export type OrgLevel = (typeof ORG_LEVELS)[number];

export const ORG_DOMAINS = [
  "school",
  "enterprise",
  "government",
  "rural",
  "community",
  "other",
] as const;
export type OrgDomain = (typeof ORG_DOMAINS)[number];

export const ORG_CATEGORIES = [
  "normal",
  "graduate",
  "flow_branch",
  "overseas_branch",
  "delayed_graduation",
  "special_unit_library",
] as const;
export type OrgCategory = (typeof ORG_CATEGORIES)[number];

/** Why a branch carries no graduation month (R6). */
export const GRADUATION_UNSET_REASONS = ["teacher_branch", "mixed_branch"] as const;
export type GraduationUnsetReason = (typeof GRADUATION_UNSET_REASONS)[number];

/** Leading organs (团的领导机关) are committees at county level and above (G4.3). */
export function isLeadingOrgan(org: { kind: OrgKind; level: OrgLevel }): boolean {
  return (
    org.kind === "committee" &&
    (org.level === "central" ||
      org.level === "provincial" ||
      org.level === "city" ||
      org.level === "county")
  );
}
