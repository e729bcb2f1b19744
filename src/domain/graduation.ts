/** Graduation months are "YYYY-MM" strings (R6, R9). */
import input from "./monthInput.json" with { type: "json" };

export function isValidMonth(value: string): boolean {
  return /^(19|20|21)\d{2}-(0[1-9]|1[0-2])$/.test(value);
}

export function yearOfMonth(month: string): number {
  return Number(month.slice(0, 4));
}

/** R9: a delayed graduate's date must be strictly later than the branch's. */
export function isStrictlyLaterMonth(candidate: string, than: string): boolean {
  return candidate > than;
}

/**
 * A month as people type it: "2028-06", "2028-6", "2028/06", "2028.6", "2028年6月" → "2028-06";
 * null when it is not a month.
 */
export function parseMonth(typed: string): string | null {
  let rest = typed.trim();
  const ending = input.endings.find((e) => rest.endsWith(e));
  if (ending) rest = rest.slice(0, -ending.length).trim();
  const year = rest.slice(0, 4);
  const separator = input.separators.find((s) => rest.slice(4).trimStart().startsWith(s));
  if (!/^\d{4}$/.test(year) || !separator) return null;
  const month = rest.slice(4).trimStart().slice(separator.length).trim();
  if (!/^\d{1,2}$/.test(month)) return null;
  const normalized = `${year}-${month.padStart(2, "0")}`;
  return isValidMonth(normalized) ? normalized : null;
}

export type MonthProblem = "invalid_month" | "month_before_season";

/**
 * R6: a graduation month is a real month, and not before the season the bot works on: a year
 * already past has no graduates left to mark.
 */
export function graduationMonthProblem(month: string, seasonYear: number): MonthProblem | null {
  if (!isValidMonth(month)) return "invalid_month";
  return yearOfMonth(month) < seasonYear ? "month_before_season" : null;
}
