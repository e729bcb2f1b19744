/**
 * Written reasons (R8, R9, R23) and the reasons a rejection may give (R30): one place decides
 * what is enough of a reason and what a receiver may never give as one.
 */
import words from "./rejection.json" with { type: "json" };

/** R30: the reasons the bot offers (M1.5: 信息错误、未按要求报到、人员不符合要求), then "other". */
export const REJECT_PRESETS = ["information_wrong", "not_reported", "person_mismatch"] as const;
export type RejectPreset = (typeof REJECT_PRESETS)[number];

/** A reason of one character says nothing (R23: no rejection without cause). */
export const MIN_REASON_LENGTH = 2;

export type ReasonProblem = "reason_required" | "reason_too_short" | "reason_household";

/** A written reason: present and more than a character. */
export function writtenReasonProblem(
  reason: string,
): Exclude<ReasonProblem, "reason_household"> | null {
  const value = reason.trim();
  if (value === "") return "reason_required";
  if ([...value].length < MIN_REASON_LENGTH) return "reason_too_short";
  return null;
}

/**
 * R30: "居住地团组织不得以非本地户籍为由拒绝接收": a written rejection reason that rests on
 * household registration (户籍 / 户口) is refused.
 */
export function rejectReasonProblem(reason: string): ReasonProblem | null {
  const written = writtenReasonProblem(reason);
  if (written) return written;
  const lower = reason.toLowerCase();
  return words.householdWords.some((w) => lower.includes(w)) ? "reason_household" : null;
}
