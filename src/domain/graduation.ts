/** Graduation months are "YYYY-MM" strings (R6, R9). */

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
