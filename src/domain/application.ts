/** Vocabulary of transfer applications (SPEC §4). Transitions live in the lifecycle module. */

export const APPLICATION_STATES = [
  "awaiting_leader",
  "awaiting_province",
  /** R22: started by the in-organization, approved by the out-organization (转出审批). */
  "awaiting_out_org",
  "pending",
  "awaiting_assignment",
  "completed",
  "rejected",
  "withdrawn",
  "auto_returned",
] as const;
export type ApplicationState = (typeof APPLICATION_STATES)[number];

export const TRANSFER_REASONS = [
  "further_study",
  "employed_with_org",
  "employed_without_org",
  "overseas",
  "not_placed",
  "special_unit",
] as const;
export type TransferReason = (typeof TRANSFER_REASONS)[number];

export const INITIATOR_KINDS = ["member", "out_admin", "in_admin"] as const;
export type InitiatorKind = (typeof INITIATOR_KINDS)[number];

export const STUDY_TYPES = [
  "general_high_school",
  "secondary_vocational",
  "university",
  "higher_vocational",
] as const;
export type StudyType = (typeof STUDY_TYPES)[number];

/** Which address a "not placed" application gives (residence preferred, G2.4). */
export const ADDRESS_KINDS = ["residence", "household"] as const;
export type AddressKind = (typeof ADDRESS_KINDS)[number];

export const HISTORY_ACTIONS = [
  "create",
  "leader_approve",
  "province_approve",
  "out_approve",
  "withdraw",
  "approve",
  "assign",
  "reject",
  "auto_return",
] as const;
export type HistoryAction = (typeof HISTORY_ACTIONS)[number];
