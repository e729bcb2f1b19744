/**
 * Services answer with a typed result or a typed refusal: a reason code the dialogs localize
 * (key `refusal.<reason>`), with details for the message. Never a thrown string.
 */
import type { ApplicationState } from "../domain/application.ts";
import type { FilingObstacle } from "../domain/filing.ts";
import type { MonthProblem } from "../domain/graduation.ts";
import type { IdNumberError } from "../domain/idNumber.ts";
import type { FlowBranchRefusal } from "../domain/permissions.ts";
import type { ReasonProblem } from "../domain/rejection.ts";
import type { TransferRefusal } from "../domain/transferRules.ts";

export type Refusal =
  | { ok: false; reason: "unknown_member" }
  | { ok: false; reason: "unknown_admin" }
  | { ok: false; reason: "unknown_org" }
  | { ok: false; reason: "unknown_application" }
  | { ok: false; reason: "unknown_request" }
  | { ok: false; reason: "not_permitted" }
  /** Only an admin of the bound organization, or of one above it, unbinds its chat. */
  | { ok: false; reason: "unbind_not_permitted"; orgName: string }
  /** R3: someone joined the graduate organization since it was offered for deletion. */
  | { ok: false; reason: "graduate_org_not_empty"; orgName: string }
  | ({ ok: false } & FilingObstacle)
  | {
      ok: false;
      reason: "already_decided";
      state: ApplicationState | "approved";
      by: string | null;
      at: Date | null;
    }
  | { ok: false; reason: "not_allowed_now"; state: ApplicationState }
  | { ok: false; reason: ReasonProblem }
  | { ok: false; reason: "text_too_long"; max: number }
  | { ok: false; reason: "not_a_branch" }
  | { ok: false; reason: "branch_not_in_receiver" }
  | { ok: false; reason: MonthProblem }
  | { ok: false; reason: "month_or_reason_required" }
  | { ok: false; reason: "use_change_request" }
  | { ok: false; reason: "not_graduate_org" }
  | { ok: false; reason: "same_month" }
  | { ok: false; reason: "no_leading_organ" }
  | { ok: false; reason: "delayed_date_not_later" }
  | { ok: false; reason: "branch_not_marked" }
  | { ok: false; reason: "not_marked" }
  | { ok: false; reason: "no_school" }
  | { ok: false; reason: "no_special_unit_library" }
  | { ok: false; reason: "lookup_limit"; max: number; retryAt: Date }
  /** R15: retaining at school is offered only from this day ("YYYY-MM-DD"). */
  | { ok: false; reason: "retention_not_yet"; from: string }
  /** §5 targets (src/services/targets.ts). */
  | { ok: false; reason: "target_bad_date"; year: number }
  | { ok: false; reason: "target_bad_indicator" }
  | { ok: false; reason: "target_bad_percent" }
  | { ok: false; reason: "target_not_leading_organ" }
  | { ok: false; reason: "target_not_stricter"; percent: number; due: string }
  | { ok: false; reason: "target_unknown" }
  /** R6: graduating members are marked one by one only in a branch marked "mixed". */
  | { ok: false; reason: "branch_not_mixed" }
  /** Issue 20: a leading organ at or above switched batch approval off for its region. */
  | { ok: false; reason: "batch_off"; orgName: string }
  | { ok: false; reason: "batch_empty" }
  /** Issue 20.2: a member nudges each application once a day. */
  | { ok: false; reason: "nudged_today" }
  /** Issue 20.3: a colleague's name (1 to `max` characters) or a phone number that is not one. */
  | { ok: false; reason: "admin_name_invalid" | "phone_invalid"; max: number }
  | ({ ok: false } & { reason: FlowBranchRefusal })
  | { ok: false; reason: IdNumberError }
  | ({ ok: false } & TransferRefusal);

export type RefusalReason = Refusal["reason"];

type RefusalBody = Refusal extends infer R ? (R extends unknown ? Omit<R, "ok"> : never) : never;

export const refuse = (r: RefusalBody): Refusal => ({ ok: false, ...r }) as Refusal;

/** Who is acting: a bound member, a bound admin, or the system (jobs). */
export type Actor =
  | { kind: "member"; memberId: number }
  | { kind: "admin"; adminId: number }
  | { kind: "system" };

export const MAX_NOTE = 500;
